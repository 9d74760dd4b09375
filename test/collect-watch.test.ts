import { describe, expect, it } from 'vitest';
import { opId, type ActorId } from '../src/crdt/ids.js';
import type { Op } from '../src/crdt/ops.js';
import type { VersionVector } from '../src/crdt/version.js';
import { CollectWatch } from '../src/sim/collect-watch.js';

const v = (...pairs: Array<[number, number]>): VersionVector => new Map(pairs.map(([a, n]) => [a as ActorId, n]));
const collectable = (version: VersionVector) => ({ version, counted: [] });

// a0 inserts x and deletes it; a1 inserts y with x as its left origin; a2 inserts z at the start.
const x = opId(0, 1);
const ops: Op<number>[] = [
  { type: 'insert', id: x, value: 1, left: null, right: null },
  { type: 'delete', id: opId(0, 2), target: x },
  { type: 'insert', id: opId(1, 1), value: 2, left: x, right: null },
  { type: 'insert', id: opId(2, 1), value: 3, left: null, right: null },
];

describe('CollectWatch: the simulator\'s check of the collection rule', () => {
  it('finds a replica that could collect an element while it lacked an op naming it', () => {
    const watch = new CollectWatch();
    watch.note('r', 10, collectable(v([0, 2])), v([0, 2]));
    expect(watch.problem(ops)).toMatch(/^t=10: r could collect a0\.1 \(deleted by a0\.2\) while it lacked a1\.1/);
  });

  it('passes a replica that held every op naming what it could collect', () => {
    const watch = new CollectWatch();
    watch.note('r', 10, collectable(v([0, 2])), v([0, 2], [1, 1]));
    watch.note('r', 20, collectable(v([0, 2], [2, 1])), v([0, 2], [1, 1], [2, 1]));
    expect(watch.problem(ops)).toBeNull();
  });

  it('leaves out ops a copied key signed', () => {
    const watch = new CollectWatch();
    watch.note('r', 10, collectable(v([0, 2])), v([0, 2]));
    expect(watch.problem(ops, new Set([ops[2] as Op<number>]))).toBeNull();
  });

  it('checks again, after a replica\'s held version shrank (a new incarnation under its name), what it had checked before', () => {
    const watch = new CollectWatch();
    watch.note('r', 10, collectable(v([0, 2])), v([0, 2], [1, 1]));
    // Lost its store: it holds less, and works out a collectable version that covers a0.2 again.
    watch.note('r', 20, collectable(v([0, 2], [2, 1])), v([0, 2], [2, 1]));
    expect(watch.problem(ops)).toMatch(/^t=20: r could collect a0\.1 .* lacked a1\.1/);
  });

  it('keeps each replica\'s notes apart: one that held everything does not vouch for another', () => {
    const watch = new CollectWatch();
    watch.note('p', 10, collectable(v([0, 2])), v([0, 2], [1, 1]));
    watch.note('q', 20, collectable(v([0, 2])), v([0, 2]));
    expect(watch.problem(ops)).toMatch(/^t=20: q could collect a0\.1/);
  });
});
