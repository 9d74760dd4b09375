/**
 * The replication protocol, pure: push of own ops and anti-entropy by version vectors, as a state
 * machine (`Replicator`), and `Replica`, which ties a list to its store under the durability rule.
 * See INTERNALS.md for the protocol and why it converges.
 */
export type { PeerId, Reply, Request, SyncPage } from './messages.js';
export { missingOps, ownOpsAfter, type PageLimits } from './pages.js';
export { Replica } from './Replica.js';
export { Replicator, type Outgoing, type PageOutcome, type SyncConfig } from './Replicator.js';
export type { Store } from './store.js';
