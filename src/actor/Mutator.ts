import { setImmediate as yieldNow, setTimeout as sleep } from 'node:timers/promises';
import type { Gene } from '../genome/gene.js';
import { mutate, nextMutation } from '../genome/mutation.js';
import { Rng } from '../genome/Rng.js';
import type { Replica } from '../sync/Replica.js';

export interface Interval {
  readonly min: number;
  readonly max: number;
}

/** At `--interval 0-0`, mutations made (and stored in one transaction) per turn of the event loop. */
const BURST = 64;

/**
 * Mutates the genome at random intervals until the actor has made `limit` mutations in its
 * lifetime (restarts and earlier incarnations included, as far as this replica holds their ops).
 * Positions and genes come from an RNG seeded with `seed`, the waits from a second one. Each
 * mutation is stored before `onMutated` lets peers see it. It waits while `paused()` (a runtime
 * fault): a pause is not an end, the limit still counts.
 */
export async function runMutator(
  replica: Replica<Gene>,
  opts: { interval: Interval; limit: number | undefined; seed: number; paused: () => boolean },
  onMutated: () => void,
  signal: AbortSignal,
): Promise<void> {
  const rng = new Rng(opts.seed);
  const waits = new Rng(opts.seed ^ 0x5bd1e995);
  const { min, max } = opts.interval;
  const left = (): number => (opts.limit === undefined ? Infinity : opts.limit - replica.mutations);
  while (!signal.aborted && left() > 0) {
    const delay = waits.between(min, max);
    try {
      if (delay === 0) await yieldNow(undefined, { signal });
      else await sleep(delay, undefined, { signal });
    } catch {
      return; // aborted
    }
    if (opts.paused()) {
      await sleep(20, undefined, { signal }).catch(() => undefined);
      continue;
    }
    const count = delay === 0 ? Math.min(BURST, left()) : 1;
    replica.edit((list) => mutate(list, nextMutation(list.length, rng)), count);
    onMutated();
  }
}
