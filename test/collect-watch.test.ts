import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { opId, type ActorId, type OpId } from '../src/crdt/ids.js';
import type { Op } from '../src/crdt/ops.js';
import { covers, type VersionVector } from '../src/crdt/version.js';
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

  it('finds the same first unsafe note as the property written plainly (every note against every covered delete)', () => {
    const note = fc.record({
      who: fc.constantFrom('p', 'q'),
      collectable: fc.array(fc.nat(12), { minLength: 3, maxLength: 3 }),
      held: fc.array(fc.nat(12), { minLength: 3, maxLength: 3 }),
    });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(2), fc.boolean(), fc.nat(), fc.nat()), { maxLength: 36 }), fc.array(note, { maxLength: 12 }), fc.nat(), (steps, notes, forgedAt) => {
        const made = randomOps(steps);
        const forged = new Set(made.filter((_, i) => i % 7 === forgedAt % 7));
        const watch = new CollectWatch();
        const plain: Array<{ who: string; at: number; collectable: VersionVector; held: VersionVector }> = [];
        const last = new Map<string, VersionVector>();
        notes.forEach((n, at) => {
          const c = counts(n.collectable);
          watch.note(n.who, at, collectable(c), counts(n.held));
          const before = last.get(n.who);
          if (before !== undefined && covers(before, c)) return;
          last.set(n.who, c);
          plain.push({ who: n.who, at, collectable: c, held: counts(n.held) });
        });
        const got = watch.problem(made, forged);
        expect(got?.replace(/ could collect.*/, '') ?? null).toBe(firstUnsafe(plain, made, forged));
      }),
    );
  });
});

const counts = (ns: number[]): VersionVector => v(...ns.map((n, a): [number, number] => [a, n]));

/** Ops of three authors, each naming elements inserted before it (deletes may target one twice). */
function randomOps(steps: Array<[number, boolean, number, number]>): Op<number>[] {
  const next = [1, 1, 1];
  const inserted: OpId[] = [];
  const out: Op<number>[] = [];
  for (const [author, del, a, b] of steps) {
    const id = opId(author, next[author]!++);
    const pick = (n: number): OpId | null => (inserted.length === 0 || n % 4 === 0 ? null : inserted[n % inserted.length]!);
    const target = pick(a);
    if (del && target !== null) out.push({ type: 'delete', id, target });
    else {
      out.push({ type: 'insert', id, value: 0, left: pick(a), right: pick(b) });
      inserted.push(id);
    }
  }
  return out;
}

/** The property as stated: at the first note where some covered delete's target is named by an op not held there. */
function firstUnsafe(notes: ReadonlyArray<{ who: string; at: number; collectable: VersionVector; held: VersionVector }>, made: readonly Op<number>[], forged: ReadonlySet<Op<number>>): string | null {
  const held = (ver: VersionVector, id: OpId): boolean => id.counter <= (ver.get(id.actor) ?? 0);
  const names = (op: Op<number>, id: OpId): boolean => (op.type === 'insert' ? [op.left, op.right] : [op.target]).some((n) => n !== null && n.actor === id.actor && n.counter === id.counter);
  for (const s of notes) {
    for (const d of made) {
      if (d.type !== 'delete' || !held(s.collectable, d.id)) continue;
      if (made.some((op) => names(op, d.target) && !held(s.held, op.id) && !forged.has(op))) return `t=${s.at}: ${s.who}`;
    }
  }
  return null;
}
