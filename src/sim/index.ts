/**
 * Deterministic simulation: the real crdt and sync code under a seeded scheduler with a virtual
 * clock and a faulty simulated network. `crdt-genome sim --seed S --verbose` replays one run.
 */
import { Rng } from '../genome/Rng.js';
import { makePlan } from './plan.js';
import { Simulation, type SimResult } from './Simulation.js';

export type { SimResult } from './Simulation.js';
export type { Fault, SimPlan } from './plan.js';

export function runSim(seed: number, opts: { actors?: number; log?: (line: string) => void } = {}): SimResult {
  const rng = new Rng(seed);
  const plan = makePlan(rng, opts.actors);
  return new Simulation(plan, rng, opts.log).run();
}

/** The command that replays a seed verbosely. */
export const replayCommand = (seed: number, actors?: number): string =>
  `crdt-genome sim --seed ${seed}${actors === undefined ? '' : ` --actors ${actors}`} --verbose`;
