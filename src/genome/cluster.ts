import { FastList } from '../crdt/fast/FastList.js';
import { memberOf, type ActorId } from '../crdt/ids.js';
import { fairShare, type ListOptions, type MakeList } from '../crdt/list.js';
import type { OpRules } from '../crdt/validate.js';
import { isGene, type Gene } from './gene.js';

/** What a genome replica in a cluster of `members` actors (ids 0 .. members - 1) takes: ops of their incarnations, of genes. */
export const genomeRules = (members: number): OpRules<Gene> => ({ isMember: (actor: ActorId) => memberOf(actor) < members, isValue: isGene });

/** How a genome replica's list is made: each member has a fair share of its pending set. */
export const genomeListOptions = (members: number): ListOptions<Gene> => ({ maxPendingPerAuthor: fairShare(members) });

/** The list a genome replica keeps. */
export const genomeList =
  (members: number): MakeList<Gene> =>
  (actor) =>
    new FastList<Gene>(actor, genomeListOptions(members));
