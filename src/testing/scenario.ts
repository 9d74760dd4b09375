import fc from 'fast-check';
import { actorId } from '../crdt/ids.js';
import type { List, MakeList } from '../crdt/list.js';
import type { Op } from '../crdt/ops.js';

/** One step of a concurrent editing scenario. Positions are fractions, scaled to the list length. */
export type Step =
  | { kind: 'insert'; replica: number; at: number; value: number }
  | { kind: 'delete'; replica: number; at: number }
  | { kind: 'deliver'; replica: number; pick: number };

export interface Scenario {
  replicas: number;
  steps: Step[];
  /** Seeds the order of the final full delivery. */
  orderSeed: number;
}

export const scenarioArb = (maxReplicas = 5, maxSteps = 60): fc.Arbitrary<Scenario> =>
  fc.integer({ min: 2, max: maxReplicas }).chain((replicas) =>
    fc.record({
      replicas: fc.constant(replicas),
      steps: fc.array(stepArb(replicas), { maxLength: maxSteps }),
      orderSeed: fc.integer(),
    }),
  );

const stepArb = (replicas: number): fc.Arbitrary<Step> => {
  const replica = fc.nat({ max: replicas - 1 });
  const at = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('insert' as const), replica, at, value: fc.nat({ max: 255 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), replica, at }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('deliver' as const), replica, pick: fc.nat() }) },
  );
};

export interface Run {
  lists: List<number>[];
  /** Every op made, in the order made. */
  ops: Op<number>[];
}

/**
 * Plays the editing steps. Each local edit is checked against a plain array at the moment it is
 * made (it must land where asked); `deliver` hands a replica any op made so far, in any order,
 * duplicates included, so ops often arrive before their dependencies.
 */
export function play(make: MakeList<number>, scenario: Scenario): Run {
  const lists = Array.from({ length: scenario.replicas }, (_, i) => make(actorId(i)));
  const ops: Op<number>[] = [];
  for (const step of scenario.steps) {
    const list = lists[step.replica] as List<number>;
    if (step.kind === 'deliver') {
      if (ops.length > 0) list.apply(ops[step.pick % ops.length] as Op<number>);
      continue;
    }
    const before = list.toArray();
    if (step.kind === 'insert') {
      const index = Math.floor(step.at * (before.length + 1));
      ops.push(list.insert(index, step.value));
      before.splice(index, 0, step.value);
    } else {
      if (before.length === 0) continue;
      const index = Math.floor(step.at * before.length);
      ops.push(list.delete(index));
      before.splice(index, 1);
    }
    const after = list.toArray();
    if (JSON.stringify(after) !== JSON.stringify(before)) {
      throw new Error(`local ${step.kind} landed wrong on replica ${step.replica}: ${list}`);
    }
  }
  return { lists, ops };
}

/** Deliver every op to every replica, in a per-replica shuffled order, each op twice. */
export function deliverAll(run: Run, orderSeed: number): void {
  run.lists.forEach((list, r) => {
    const order = [...run.ops, ...run.ops]
      .map((op, i) => ({ op, key: mix(orderSeed, r * 1_000_003 + i) }))
      .sort((a, b) => a.key - b.key);
    for (const { op } of order) list.apply(op);
  });
}

/** A 32-bit integer hash (murmur3's finaliser), for reproducible shuffles without global randomness. */
export function mix(seed: number, n: number): number {
  let h = (seed ^ Math.imul(n, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
