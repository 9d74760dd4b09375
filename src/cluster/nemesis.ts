import { setTimeout as sleep } from 'node:timers/promises';
import { Rng } from '../genome/Rng.js';
import type { Lab } from './Lab.js';

/** One step of a nemesis schedule, at `at` ms after the start. Faults come with their own end. */
export type Action =
  | { at: number; kind: 'kill' | 'restart' | 'start'; actor: number }
  | { at: number; kind: 'pause' | 'resume'; actor: number }
  | { at: number; kind: 'drop'; actor: number; rate: number }
  | { at: number; kind: 'partition'; groups: number[][] }
  | { at: number; kind: 'unpartition' };

export interface Plan {
  /** Actors held back at the start; each has a `start` action. */
  held: number[];
  actions: Action[];
}

/** Actions that inject a fault (the others end one). */
const FAULTS = new Set<Action['kind']>(['kill', 'start', 'pause', 'drop', 'partition']);

export const isFault = (a: Action): boolean => FAULTS.has(a.kind) && !(a.kind === 'drop' && a.rate === 0);

/**
 * A seeded random schedule of faults over `durationMs` for `count` actors: kills with restarts,
 * paused mutations, drop bursts, partitions into two sides, and late joins (a quarter of the
 * actors, at least one when there are three or more, start within the first half). Each fault
 * ends before the duration does. Pure: the same seed gives the same plan.
 */
export function planNemesis(seed: number, count: number, durationMs: number): Plan {
  const rng = new Rng(seed ^ 0x6e656d65);
  const ids = Array.from({ length: count }, (_, i) => i);
  const held = count >= 3 ? shuffle(ids, rng).slice(0, Math.max(1, Math.floor(count / 4))) : [];
  const actions: Action[] = held.map((actor) => ({ at: Math.round(durationMs * (0.1 + 0.4 * rng.next())), kind: 'start', actor }));
  const end = durationMs * 0.9;
  for (let t = Math.round(durationMs * 0.05); t < end; t += rng.between(400, 2000)) {
    const lasts = Math.min(rng.between(500, 3000), Math.max(100, Math.floor(end - t)));
    const actor = rng.int(count);
    switch (rng.int(count < 2 ? 3 : 4)) {
      case 0:
        actions.push({ at: t, kind: 'kill', actor }, { at: t + lasts, kind: 'restart', actor });
        break;
      case 1:
        actions.push({ at: t, kind: 'pause', actor }, { at: t + lasts, kind: 'resume', actor });
        break;
      case 2:
        actions.push({ at: t, kind: 'drop', actor, rate: Math.round((0.3 + 0.6 * rng.next()) * 100) / 100 }, { at: t + lasts, kind: 'drop', actor, rate: 0 });
        break;
      default: {
        const order = shuffle(ids, rng);
        const cut = 1 + rng.int(count - 1);
        actions.push({ at: t, kind: 'partition', groups: [order.slice(0, cut).sort((a, b) => a - b), order.slice(cut).sort((a, b) => a - b)] }, { at: t + lasts, kind: 'unpartition' });
      }
    }
  }
  actions.sort((a, b) => a.at - b.at);
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

/**
 * Carry out a plan on the lab, each action at its time; an action that does not apply (killing an
 * actor that is down, restarting one that runs) is skipped. Returns the number of faults injected.
 */
export async function runNemesis(plan: Plan, lab: Lab, signal: AbortSignal): Promise<number> {
  const start = Date.now();
  let faults = 0;
  for (const action of plan.actions) {
    const wait = start + action.at - Date.now();
    if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => undefined);
    if (signal.aborted) break;
    try {
      if (await perform(action, lab)) faults += isFault(action) ? 1 : 0;
    } catch (err) {
      lab.event('exit', [], `nemesis: ${action.kind} failed: ${(err as Error).message}`, 'error');
    }
  }
  return faults;
}

async function perform(action: Action, lab: Lab): Promise<boolean> {
  const phase = 'actor' in action ? lab.snapshot().actors[action.actor]?.phase : undefined;
  switch (action.kind) {
    case 'kill':
      if (phase !== 'up' && phase !== 'starting') return false;
      await lab.kill(action.actor);
      return true;
    case 'restart':
      if (phase !== 'down') return false;
      await lab.restart(action.actor);
      return true;
    case 'start':
      if (phase !== 'held') return false;
      await lab.restart(action.actor);
      return true;
    case 'pause':
    case 'resume':
      await lab.pauseMutations(action.actor, action.kind === 'pause');
      return true;
    case 'drop':
      await lab.setDropRate(action.actor, action.rate);
      return true;
    case 'partition':
      await lab.partition(action.groups);
      return true;
    case 'unpartition':
      await lab.unpartition();
      return true;
  }
}
