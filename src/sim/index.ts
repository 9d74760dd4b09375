/**
 * Deterministic simulation: the real crdt and sync code under a seeded scheduler with a virtual
 * clock and a faulty simulated network. `crdt-genome sim --seed S --verbose` replays one run.
 */
import { Rng } from '../genome/Rng.js';
import { makeLongPlan, makePlan } from './plan.js';
import { Simulation, type SimResult } from './Simulation.js';

export type { SimResult } from './Simulation.js';
export type { Fault, LongRun, SimPlan } from './plan.js';

/** The most actors a fault simulation runs (a dissemination experiment runs more: `MAX_SPREAD_ACTORS`). */
export const MAX_SIM_ACTORS = 64;

/**
 * One run of `seed`'s plan: the default one, or with `mutations` a long plan of that many in all
 * (`makeLongPlan`). Replicas collect tombstones in every run, those where the plan copies a key too.
 */
export function runSim(seed: number, opts: { actors?: number; mutations?: number; log?: (line: string) => void } = {}): SimResult {
  const rng = new Rng(seed);
  const plan = opts.mutations === undefined ? makePlan(rng, opts.actors) : makeLongPlan(rng, opts.actors ?? 3, opts.mutations);
  return new Simulation(plan, rng, opts.log).run();
}

/** The command that replays a seed verbosely. */
export const replayCommand = (seed: number, actors?: number, mutations?: number): string =>
  `crdt-genome sim --seed ${seed}${actors === undefined ? '' : ` --actors ${actors}`}${mutations === undefined ? '' : ` --mutations ${mutations}`} --verbose`;
