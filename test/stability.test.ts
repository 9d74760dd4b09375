import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FastList } from '../src/crdt/fast/FastList.js';
import { replicaId, type ActorId } from '../src/crdt/ids.js';
import { meet, type VersionVector } from '../src/crdt/version.js';
import { memoryBacking } from '../src/store/MemoryStore.js';
import { Stability } from '../src/sync/stability.js';
import { newReplica, pull } from './helpers/feeds.js';

const v = (...pairs: Array<[number, number]>): VersionVector => new Map(pairs.map(([a, n]) => [a as ActorId, n]));
const [a0, a1, a2] = [replicaId(0, 7), replicaId(1, 8), replicaId(2, 9)];

describe('Stability: what every member holds', () => {
  it('is nothing until every member has been heard from, then the meet of what each said and what this replica holds', () => {
    const s = new Stability(a0, 3);
    const own = v([a0, 5], [a1, 4], [a2, 3]);
    s.hear(a1, v([a0, 5], [a1, 4], [a2, 1]));
    expect(s.stable(own)).toEqual(new Map());
    s.hear(a2, v([a0, 2], [a1, 9], [a2, 3]));
    expect(s.stable(own)).toEqual(v([a0, 2], [a1, 4], [a2, 1]));
  });

  it('never goes back for a reordered request, takes a member\'s newer incarnation, and ignores strangers and its own member', () => {
    const s = new Stability(a0, 3);
    const own = v([a0, 9], [a1, 9], [a2, 9]);
    s.hear(a1, v([a0, 4], [a1, 4], [a2, 4]));
    s.hear(a2, v([a0, 4], [a1, 4], [a2, 4]));
    s.hear(a1, v([a0, 2], [a1, 2], [a2, 2]));
    expect(s.stable(own)).toEqual(v([a0, 4], [a1, 4], [a2, 4]));
    // Member 1 lost its store: its new incarnation holds less, and it is who member 1 is now.
    s.hear(replicaId(1, 99), v([a0, 1]));
    expect(s.stable(own)).toEqual(v([a0, 1]));
    s.hear(replicaId(5, 1), v());
    s.hear(replicaId(0, 3), v());
    expect(s.stable(own)).toEqual(v([a0, 1]));
  });

  it('is, for any requests in any order, the meet of each member\'s greatest report and what this replica holds', () => {
    const report = fc.tuple(fc.constantFrom(a1, a2), fc.array(fc.tuple(fc.constantFrom(a0, a1, a2), fc.integer({ min: 0, max: 20 })), { maxLength: 3 }));
    fc.assert(
      fc.property(fc.array(report, { minLength: 1, maxLength: 20 }), ([...reports]) => {
        const s = new Stability(a0, 3);
        const own = v([a0, 20], [a1, 20], [a2, 20]);
        const greatest = new Map<ActorId, Map<ActorId, number>>();
        for (const [from, pairs] of reports) {
          const version = new Map(pairs.filter(([, n]) => n > 0)) as VersionVector;
          s.hear(from, version);
          const g = greatest.get(from) ?? new Map<ActorId, number>();
          for (const [a, n] of version) g.set(a, Math.max(n, g.get(a) ?? 0));
          greatest.set(from, g);
        }
        const want = greatest.size < 2 ? new Map() : meet(meet(own, greatest.get(a1) as VersionVector), greatest.get(a2) as VersionVector);
        expect(s.stable(own)).toEqual(want);
      }),
    );
  });
});

describe('replicas that sync retire what every member holds', () => {
  it('a delete every replica has applied retires its target everywhere; local inserts then skip it; all converge', () => {
    const names = ['r0', 'r1', 'r2'];
    const rs = [0, 1, 2].map((m) => newReplica(m, { backing: memoryBacking(), makeList: (a) => new FastList<number>(a), peers: names.filter((_, i) => i !== m), config: { members: 3 } }));
    const [r0, r1, r2] = rs as [(typeof rs)[0], (typeof rs)[0], (typeof rs)[0]];
    r0.edit((l) => l.insert(0, 1));
    r0.edit((l) => l.insert(1, 2));
    r0.edit((l) => l.insert(2, 3));
    r0.edit((l) => l.delete(1));
    const everyone = (): void => {
      for (const a of rs) for (const [i, b] of rs.entries()) if (a !== b) pull(a, b, names[i] as string);
    };
    everyone();
    everyone();
    for (const r of rs) expect(r.replicator.stable()).toEqual(r0.list.version());
    // The tombstone (2) between 1 and 3 is retired: an insert after 1 names 3 as its right origin, not it.
    const op = r1.edit((l) => l.insert(1, 9))[0];
    expect(op).toMatchObject({ type: 'insert', right: { actor: r0.actor, counter: 3 } });
    everyone();
    for (const r of rs) expect(r.list.toArray()).toEqual([1, 9, 3]);
    expect(r2.list.toArray()).toEqual(r0.list.toArray());
  });
});
