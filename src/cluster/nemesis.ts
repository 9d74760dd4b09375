import { setTimeout as sleep } from 'node:timers/promises';
import { Rng } from '../genome/Rng.js';
import type { Lab } from './Lab.js';

/** A fault the nemesis injects. A late start has no end; the others are undone by their `end`. */
export type Fault =
  | { kind: 'kill' | 'pause' | 'start'; actor: number }
  | { kind: 'drop'; actor: number; rate: number }
  | { kind: 'partition'; groups: number[][] };

/** One step of a schedule, at `at` ms after the start: a fault begins, or fault `id` ends. */
export type Action = { at: number; id: number } & ({ type: 'begin'; fault: Fault } | { type: 'end' });

export interface Plan {
  /** Actors held back at the start; each has a `start` fault. */
  held: number[];
  actions: Action[];
}

/**
 * Late joiners at most. Each costs a start (a second of CPU) and a catch-up within the first half
 * of the run: a quarter of 64 actors, 16, would keep one of two cores busy starting them.
 */
export const MAX_LATE = 8;

/**
 * A seeded random schedule of faults over `durationMs` for `count` actors: kills (undone by a
 * restart), paused mutations, drop bursts, partitions into two sides, and late joins (a quarter
 * of the actors, at least one when there are three or more and at most MAX_LATE, start within the
 * first half). Each fault but a late start ends before the duration does. Pure: the same seed
 * gives the same plan.
 */
export function planNemesis(seed: number, count: number, durationMs: number): Plan {
  const rng = new Rng(seed ^ 0x6e656d65);
  const ids = Array.from({ length: count }, (_, i) => i);
  const held = count >= 3 ? shuffle(ids, rng).slice(0, Math.min(MAX_LATE, Math.max(1, Math.floor(count / 4)))) : [];
  const actions: Action[] = [];
  let id = 0;
  for (const actor of held) actions.push({ at: Math.round(durationMs * (0.1 + 0.4 * rng.next())), id: id++, type: 'begin', fault: { kind: 'start', actor } });
  const end = durationMs * 0.9;
  for (let t = Math.round(durationMs * 0.05); t < end; t += rng.between(400, 2000)) {
    const lasts = Math.min(rng.between(500, 3000), Math.max(100, Math.floor(end - t)));
    const actor = rng.int(count);
    let fault: Fault;
    switch (rng.int(count < 2 ? 3 : 4)) {
      case 0:
        fault = { kind: 'kill', actor };
        break;
      case 1:
        fault = { kind: 'pause', actor };
        break;
      case 2:
        fault = { kind: 'drop', actor, rate: Math.round((0.3 + 0.6 * rng.next()) * 100) / 100 };
        break;
      default: {
        const order = shuffle(ids, rng);
        const cut = 1 + rng.int(count - 1);
        fault = { kind: 'partition', groups: [order.slice(0, cut).sort((a, b) => a - b), order.slice(cut).sort((a, b) => a - b)] };
      }
    }
    actions.push({ at: t, id, type: 'begin', fault }, { at: t + lasts, id, type: 'end' });
    id++;
  }
  actions.sort((a, b) => a.at - b.at || (a.type === 'end' ? -1 : 1));
  return { held, actions };
}

function shuffle<X>(items: readonly X[], rng: Rng): X[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j] as X, out[i] as X];
  }
  return out;
}

/** Faults injected so far, readable while the schedule runs. */
export interface Tally {
  faults: number;
}

/**
 * Carry out a plan on the lab, each action at its time. A fault that does not apply (killing an
 * actor that is down, starting one that is not held) is skipped, and so is its end. Overlapping
 * faults of one kind on one target are counted: the fault is undone when the last of them ends
 * (a drop burst ends at the `baseline` drop rate).
 */
export async function runNemesis(plan: Plan, lab: Lab, baseline: number, tally: Tally, signal: AbortSignal): Promise<void> {
  const start = Date.now();
  const begun = new Map<number, Fault>();
  const active = new Map<string, number>();
  const key = (f: Fault): string => ('actor' in f ? `${f.kind}:${f.actor}` : f.kind);
  for (const action of plan.actions) {
    const wait = start + action.at - Date.now();
    if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => undefined);
    if (signal.aborted) break;
    try {
      if (action.type === 'begin') {
        if (!(await begin(action.fault, lab))) continue;
        tally.faults++;
        begun.set(action.id, action.fault);
        active.set(key(action.fault), (active.get(key(action.fault)) ?? 0) + 1);
      } else {
        const fault = begun.get(action.id);
        if (fault === undefined) continue;
        const left = (active.get(key(fault)) ?? 1) - 1;
        active.set(key(fault), left);
        if (left === 0) await end(fault, lab, baseline);
      }
    } catch (err) {
      lab.event('exit', [], `nemesis: ${action.type} failed: ${(err as Error).message}`, 'error');
    }
  }
}

/** Inject a fault; false when it does not apply now. */
async function begin(fault: Fault, lab: Lab): Promise<boolean> {
  switch (fault.kind) {
    case 'kill': {
      const phase = lab.phase(fault.actor);
      if (phase !== 'up' && phase !== 'starting') return false;
      await lab.kill(fault.actor);
      return true;
    }
    case 'start':
      if (lab.phase(fault.actor) !== 'held') return false;
      await lab.restart(fault.actor);
      return true;
    case 'pause':
      await lab.pauseMutations(fault.actor, true);
      return true;
    case 'drop':
      await lab.setDropRate(fault.actor, fault.rate);
      return true;
    case 'partition':
      await lab.partition(fault.groups);
      return true;
  }
}

async function end(fault: Fault, lab: Lab, baseline: number): Promise<void> {
  switch (fault.kind) {
    case 'kill':
      if (lab.phase(fault.actor) === 'down') await lab.restart(fault.actor);
      return;
    case 'pause':
      return lab.pauseMutations(fault.actor, false);
    case 'drop':
      return lab.setDropRate(fault.actor, baseline);
    case 'partition':
      return lab.unpartition();
    case 'start':
      return;
  }
}
