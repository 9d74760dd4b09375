import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { actorId } from '../src/crdt/ids.js';
import type { List } from '../src/crdt/list.js';
import { FastList } from '../src/crdt/fast/FastList.js';
import { ReferenceList } from '../src/crdt/ReferenceList.js';
import { runListTests } from '../src/testing/list-conformance.js';
import { deliverAll, mix, play, scenarioArb } from '../src/testing/scenario.js';

runListTests('FastList', (actor, options) => new FastList(actor, options));

describe('FastList against the reference list, op for op', () => {
  it('makes the same ops and renders the same lists at every step, then after any delivery order', () => {
    fc.assert(
      fc.property(scenarioArb(5, 80), (scenario) => {
        const fast = play((a) => new FastList<number>(a), scenario);
        const ref = play((a) => new ReferenceList<number>(a), scenario);
        expect(fast.ops).toEqual(ref.ops);
        fast.lists.forEach((l, i) => expect(l.toArray()).toEqual(ref.lists[i]!.toArray()));
        deliverAll(fast, scenario.orderSeed);
        deliverAll(ref, scenario.orderSeed);
        fast.lists.forEach((l, i) => {
          expect(l.toArray()).toEqual(ref.lists[i]!.toArray());
          expect(l.version()).toEqual(ref.lists[i]!.version());
        });
      }),
      { numRuns: 500 },
    );
  });

  it('renders what the reference renders when ops arrive in any order on a fresh replica', () => {
    fc.assert(
      fc.property(scenarioArb(5, 80), fc.integer(), (scenario, seed) => {
        const run = play((a) => new ReferenceList<number>(a), scenario);
        const order = run.ops.map((op, i) => ({ op, k: mix(seed, i) })).sort((a, b) => a.k - b.k).map((x) => x.op);
        const fast = new FastList<number>(actorId(90));
        const ref = new ReferenceList<number>(actorId(90));
        for (const op of order) expect(fast.apply(op)).toBe(ref.apply(op));
        expect(fast.toArray()).toEqual(ref.toArray());
        expect(fast.pendingCount).toBe(0);
      }),
      { numRuns: 500 },
    );
  });

  it('gives back every op it holds, identical to what was applied, in a causal order', () => {
    fc.assert(
      fc.property(scenarioArb(4, 60), (scenario) => {
        const run = play((a) => new FastList<number>(a), scenario);
        deliverAll(run, scenario.orderSeed);
        const list = run.lists[0] as List<number>;
        const byId = new Map(run.ops.map((op) => [`${op.id.actor}.${op.id.counter}`, op]));
        const replay = new ReferenceList<number>(actorId(91));
        let count = 0;
        for (const op of list.appliedOps()) {
          expect(op).toEqual(byId.get(`${op.id.actor}.${op.id.counter}`));
          expect(replay.apply(op)).toBe('applied');
          count++;
        }
        expect(count).toBe(run.ops.length);
        expect(replay.toArray()).toEqual(list.toArray());
        for (const [actor, n] of list.version()) expect(list.opsOf(actor, 0, Infinity)).toEqual(run.ops.filter((o) => o.id.actor === actor).sort((a, b) => a.id.counter - b.id.counter).slice(0, n));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps long typed runs as single pieces and splits them only where edits land', () => {
    const a = new FastList<number>(actorId(1));
    for (let i = 0; i < 1000; i++) a.insert(i, i % 256);
    const pieces = () => String(a).match(/~?a\d+\.\d+(\.\.a\d+\.\d+)?:/g);
    expect(pieces()).toEqual(['a1.1..a1.1000:']);
    a.delete(500);
    a.insert(200, 7);
    const ref = new ReferenceList<number>(actorId(2));
    for (const op of a.appliedOps()) ref.apply(op);
    expect(a.toArray()).toEqual(ref.toArray());
    expect(pieces()).toEqual(['a1.1..a1.200:', 'a1.1002:', 'a1.201..a1.500:', '~a1.501:', 'a1.502..a1.1000:']);
  });
});

describe('FastList pieces depend on the ops alone', () => {
  it('folds tombstones across B+tree leaves, wherever the tree happens to cut', () => {
    const pieces = (l: FastList<number>) => String(l).replace(/^FastList a\d+ /, '');
    for (const backwards of [false, true]) {
      // Every third element deleted: some 270 pieces, so several leaves, cut where the tree grew
      // (16 to 32 pieces a leaf) in the live list and every 24 pieces in the loaded one.
      const live = new FastList<number>(actorId(1));
      for (let i = 0; i < 400; i++) live.insert(i, i % 256);
      for (let i = 2; i < live.length; i += 2) live.delete(i);
      const loaded = FastList.fromState(live.actor, live.exportState());
      // Deleting the rest one by one, from the front or the back, moves each element into the
      // tombstone next to it or folds it with both: one tombstone is left.
      while (live.length > 0) {
        const at = backwards ? live.length - 1 : 0;
        expect(loaded.delete(at)).toEqual(live.delete(at));
      }
      expect(pieces(live)).toMatch(/^\{a1:800\} pending=0 \[~a1\.1\.\.a1\.400:\[[\d,]+\]~\]$/);
      expect(pieces(loaded)).toBe(pieces(live));
      const replay = new FastList<number>(actorId(2));
      for (const op of live.appliedOps()) replay.apply(op);
      expect(pieces(replay)).toBe(pieces(live));
      live.insert(0, 1);
      expect(live.toArray()).toEqual([1]);
    }
  });
});

describe('FastList local editing', () => {
  it('matches a plain array over long runs of clustered edits (typing, backspacing, jumping)', () => {
    const edit = fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant('type' as const), n: fc.integer({ min: 1, max: 12 }) }) },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('backspace' as const), n: fc.integer({ min: 1, max: 8 }) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('forward-delete' as const), n: fc.integer({ min: 1, max: 4 }) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('jump' as const), to: fc.double({ min: 0, max: 1, noNaN: true }) }) },
    );
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 120 }), (edits) => {
        const list = new FastList<number>(actorId(1));
        const plain: number[] = [];
        let cursor = 0;
        let next = 0;
        for (const e of edits) {
          if (e.kind === 'jump') cursor = Math.floor(e.to * plain.length);
          else if (e.kind === 'type') for (let i = 0; i < e.n; i++, cursor++, next++) {
            list.insert(cursor, next);
            plain.splice(cursor, 0, next);
          }
          else if (e.kind === 'backspace') for (let i = 0; i < e.n && cursor > 0; i++) {
            list.delete(--cursor);
            plain.splice(cursor, 1);
          }
          else for (let i = 0; i < e.n && cursor < plain.length; i++) {
            list.delete(cursor);
            plain.splice(cursor, 1);
          }
          expect(list.toArray()).toEqual(plain);
        }
        const ref = new ReferenceList<number>(actorId(2));
        for (const op of list.appliedOps()) ref.apply(op);
        expect(ref.toArray()).toEqual(plain);
      }),
      { numRuns: 300 },
    );
  });
});
