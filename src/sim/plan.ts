import type { Rng } from '../genome/Rng.js';

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
