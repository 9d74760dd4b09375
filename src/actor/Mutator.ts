import { setImmediate as yieldNow, setTimeout as sleep } from 'node:timers/promises';
import type { Op } from '../crdt/ops.js';
import type { Gene } from '../genome/gene.js';
import { nextMutation } from '../genome/mutation.js';
import { Rng } from '../genome/Rng.js';
import type { ActorState } from './ActorState.js';

export interface Interval {
  readonly min: number;
  readonly max: number;
}

/**
 * Mutates the genome at random intervals until `limit` mutations are made. Positions and genes
 * come from an RNG seeded with `seed`; the waits from a second one, so that changing the interval
 * leaves the sequence of mutations alone.
 */
export async function runMutator(
  state: ActorState,
  opts: { interval: Interval; limit: number | undefined; seed: number },
  onOp: (op: Op<Gene>) => void,
  signal: AbortSignal,
): Promise<void> {
  const rng = new Rng(opts.seed);
  const waits = new Rng(opts.seed ^ 0x5bd1e995);
  const { min, max } = opts.interval;
  while (!signal.aborted && (opts.limit === undefined || state.mutations < opts.limit)) {
    const delay = waits.between(min, max);
    try {
      if (delay === 0) await yieldNow(undefined, { signal });
      else await sleep(delay, undefined, { signal });
    } catch {
      return; // aborted
    }
    onOp(state.mutate(nextMutation(state.list.length, rng)));
  }
}
