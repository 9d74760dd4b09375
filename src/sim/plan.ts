import type { Rng } from '../genome/Rng.js';
import { DEFAULT_COMPACT_EVERY } from '../store/snapshot.js';

/** Everything a simulation run does, drawn from its seed before it starts. */
export interface SimPlan {
  actors: number;
  /** Mutations each actor makes in its lifetime. */
  mutations: number[];
  /** Wait between mutations, ms. */
  interval: { min: number; max: number };
  /** When each actor first starts (late joiners start after 0). */
  joinAt: number[];
  /** Network faults until `healAt`: drop, duplicate and delay. */
  dropRate: number;
  duplicateRate: number;
  delay: { min: number; max: number };
  faults: Fault[];
  /** When partitions end, drops stop and every actor is (re)started. */
  healAt: number;
  /** Actors that lose their whole store (data dir) once the run is first quiet, restart without it, and then make `extra` more mutations. */
  wipes: number[];
  extra: number;
  /** A long plan's (`makeLongPlan`) scale; absent in the default plan. */
  long?: LongRun;
}

/** How a long plan's actors work: as real actors do, rather than in the default plan's small steps. */
export interface LongRun {
  /** Ops made at each mutate event, at most, in one `Replica.edit` (as an actor at `--interval 0-0` does). */
  burst: number;
  /** Each store compacts once this many ops were stored since its snapshot (as an actor's does). */
  compactEvery: number;
}

export type Fault =
  | { at: number; kind: 'partition'; groups: number[] }
  | { at: number; kind: 'heal' }
  | { at: number; kind: 'crash'; actor: number; downFor: number }
  /** Hostile pushes to `actor` (`src/sim/junk.ts`), drawn from `seed`: refused whole, changing nothing. */
  | { at: number; kind: 'junk'; actor: number; seed: number }
  /**
   * `actor`'s key is copied: the copy signs another op at the actor's next position and pushes it
   * to `to` (an equivocation). Every replica must end up dropping the fork and what builds on it.
   */
  | { at: number; kind: 'equivocate'; actor: number; to: number };

export function makePlan(rng: Rng, actors?: number): SimPlan {
  const n = actors ?? 3 + rng.int(6);
  const healAt = 10_000 + rng.int(30_000);
  const faults: Fault[] = [];
  const count = 2 + rng.int(8);
  for (let i = 0; i < count; i++) {
    const at = rng.int(healAt);
    const kind = rng.int(3);
    if (kind === 0) {
      const groups = 2 + rng.int(2);
      faults.push({ at, kind: 'partition', groups: Array.from({ length: n }, () => rng.int(groups)) });
    } else if (kind === 1) {
      faults.push({ at, kind: 'heal' });
    } else {
      faults.push({ at, kind: 'crash', actor: rng.int(n), downFor: 100 + rng.int(8000) });
    }
  }
  for (let i = rng.int(3); i > 0; i--) faults.push({ at: rng.int(healAt), kind: 'junk', actor: rng.int(n), seed: rng.uint32() });
  if (rng.next() < 0.3) {
    const actor = rng.int(n);
    faults.push({ at: rng.int(healAt), kind: 'equivocate', actor, to: (actor + 1 + rng.int(n - 1)) % n });
  }
  faults.sort((a, b) => a.at - b.at);
  return {
    actors: n,
    mutations: Array.from({ length: n }, () => 5 + rng.int(40)),
    interval: { min: 0, max: 50 + rng.int(500) },
    joinAt: Array.from({ length: n }, () => (rng.next() < 0.25 ? rng.int(healAt) : 0)),
    dropRate: rng.next() * 0.6,
    duplicateRate: rng.next() * 0.3,
    delay: { min: 1, max: 2 + rng.int(300) },
    faults,
    healAt,
    // At least one actor keeps its store: with every store gone, the ops are gone too.
    wipes: Array.from({ length: n - 1 }, (_, i) => i).filter(() => rng.next() < 0.15),
    extra: 1 + rng.int(20),
  };
}

/** Ops an actor at `--interval 0-0` makes per turn of its event loop (src/actor/Mutator.ts). */
const BURST = 64;

/**
 * A long plan: `actors` actors share `total` mutations, made in bursts, with the actors' own page
 * sizes and compaction, under light faults (drops, duplicates, delays, a few crashes with
 * restarts from the store). No partitions, copied keys, lost stores or junk: it measures what a
 * long-lived healthy cluster holds, not how it survives an attack.
 */
export function makeLongPlan(rng: Rng, actors: number, total: number): SimPlan {
  const n = actors;
  const mutations = Array.from({ length: n }, (_, i) => Math.floor(total / n) + (i < total % n ? 1 : 0));
  const interval = { min: 0, max: 400 + rng.int(300) };
  // The heal (drops stop, every actor up) comes about when the mutations are done.
  const bursts = Math.ceil(Math.max(...mutations) / BURST);
  const healAt = Math.round(bursts * (1 + (interval.min + interval.max) / 2));
  const faults: Fault[] = [];
  for (let i = 1 + rng.int(3); i > 0; i--) faults.push({ at: rng.int(healAt), kind: 'crash', actor: rng.int(n), downFor: 100 + rng.int(3000) });
  faults.sort((a, b) => a.at - b.at);
  return {
    actors: n,
    mutations,
    interval,
    joinAt: Array.from({ length: n }, () => 0),
    dropRate: rng.next() * 0.05,
    duplicateRate: rng.next() * 0.05,
    delay: { min: 1, max: 2 + rng.int(50) },
    faults,
    healAt,
    wipes: [],
    extra: 0,
    long: { burst: BURST, compactEvery: DEFAULT_COMPACT_EVERY },
  };
}
