import type { ActorId, OpId } from '../crdt/ids.js';
import type { Op } from '../crdt/ops.js';
import { MAX_COUNTER } from '../crdt/validate.js';
import type { Gene } from '../genome/gene.js';
import type { Rng } from '../genome/Rng.js';

/** A push an attacker could send: who it claims to come from, and its ops. */
export interface JunkPush {
  readonly what: string;
  readonly from: ActorId;
  readonly ops: Op<Gene>[];
}

/**
 * Pushes a replica in a cluster of `actors` must refuse whole, changing nothing: ops of an actor
 * outside the cluster, counters past the highest, origins or targets naming a stranger or past the
 * highest counter, a value that is not a gene. Each may come after genuine-looking ops of a member.
 */
export function junkPushes(rng: Rng, actors: number): JunkPush[] {
  const member = rng.int(actors) as ActorId;
  const stranger = (actors + rng.int(1000)) as ActorId;
  const id = (actor: ActorId, counter: number): OpId => ({ actor, counter });
  const insert = (at: OpId, value: number, left: OpId | null = null): Op<Gene> => ({ type: 'insert', id: at, value, left, right: null });
  const far = MAX_COUNTER + 1 + rng.int(1000);
  // A first op of the member that would be taken alone: the junk after it must refuse the batch.
  const lead = (ops: Op<Gene>[]): Op<Gene>[] => (rng.next() < 0.5 ? [insert(id(member, 1 + rng.int(5)), rng.int(256)), ...ops] : ops);
  return [
    { what: `ops of stranger ${stranger}`, from: stranger, ops: [insert(id(stranger, 1), rng.int(256))] },
    { what: 'a counter past the highest', from: member, ops: lead([insert(id(member, far), rng.int(256))]) },
    { what: 'an origin of a stranger', from: member, ops: lead([insert(id(member, 7), 1, id(stranger, 1))]) },
    { what: 'a target past the highest counter', from: member, ops: lead([{ type: 'delete', id: id(member, 8), target: id(member, far) }]) },
    { what: 'a value that is not a gene', from: member, ops: lead([insert(id(member, 9), 256 + rng.int(1000))]) },
  ];
}
