import type { List } from '../crdt/list.js';
import type { Op } from '../crdt/ops.js';
import type { Gene } from './gene.js';
import type { Rng } from './Rng.js';

export type Mutation = { kind: 'insert'; index: number; gene: Gene } | { kind: 'delete'; index: number };

/** Below this many genes a genome always grows. */
export const MIN_GENES = 10;

/**
 * The seed's rule: below 10 genes always insert, otherwise a fair coin between insert and delete;
 * insert position uniform over 0..len, delete position over 0..len-1, gene uniform over 0..255.
 */
export function nextMutation(length: number, rng: Rng): Mutation {
  if (length < MIN_GENES || rng.next() < 0.5) {
    return { kind: 'insert', index: rng.int(length + 1), gene: rng.int(256) };
  }
  return { kind: 'delete', index: rng.int(length) };
}

/** Make the mutation on a list; returns the op it produced. */
export function mutate(list: List<Gene>, m: Mutation): Op<Gene> {
  return m.kind === 'insert' ? list.insert(m.index, m.gene) : list.delete(m.index);
}
