import { ReferenceList } from '../src/crdt/ReferenceList.js';
import { runListTests } from '../src/testing/list-conformance.js';

runListTests('ReferenceList', (actor, options) => new ReferenceList(actor, options));
