import { describe, expect, it } from 'vitest';
import { actorId, memberOf, tagOf, type ActorId } from '../crdt/ids.js';
import type { Op } from '../crdt/ops.js';
import { ReferenceList } from '../crdt/ReferenceList.js';
import { MAX_COUNTER } from '../crdt/validate.js';
import type { Store } from '../sync/store.js';

/** A place a store lives: `open` gives a store over what earlier (closed) stores committed there. */
export interface StoreHome {
  open(): Store<number>;
}

/**
 * The behaviour every Store must show. `makeHome(actor)` gives a fresh, empty home for an actor.
 */
export function runStoreTests(name: string, makeHome: (actor: number) => StoreHome): void {
  describe(`Store conformance: ${name}`, () => {
    const sample = (): Op<number>[] => {
      const a = new ReferenceList<number>(actorId(2));
      const b = new ReferenceList<number>(actorId(5));
      const ops: Op<number>[] = [a.insert(0, 0), a.insert(1, 255), a.insert(1, 17)];
      for (const op of ops) b.apply(op);
      ops.push(b.insert(0, 3), b.delete(1), a.delete(0), b.insert(3, 128));
      return ops;
    };

    it('starts empty, as a new incarnation of its member', () => {
      const store = makeHome(2).open();
      expect(store.load()).toEqual([]);
      expect(store.member).toBe(2);
      expect(memberOf(store.actor)).toBe(2);
      expect(tagOf(store.actor)).toBeGreaterThan(0);
      store.close();
    });

    it('gives back what was appended, in order, after a restart', () => {
      const home = makeHome(2);
      const ops = sample();
      let store = home.open();
      store.append(ops.slice(0, 3));
      store.append([]);
      store.append(ops.slice(3));
      expect(store.load()).toEqual(ops);
      store.close();
      store = home.open();
      expect(store.load()).toEqual(ops);
      store.close();
    });

    it('ignores ops it already holds', () => {
      const home = makeHome(2);
      const ops = sample();
      const store = home.open();
      store.append(ops);
      store.append([ops[1] as Op<number>, ops[4] as Op<number>]);
      expect(store.load()).toEqual(ops);
      store.close();
    });

    it('replaces an op held under the same id with other content, moving it to the end', () => {
      const home = makeHome(2);
      const ops = sample();
      const first = ops[0] as Op<number>;
      const other: Op<number> = { type: 'insert', id: first.id, value: 99, left: null, right: null };
      let store = home.open();
      store.append(ops);
      store.append([other]);
      store.close();
      store = home.open();
      expect(store.load()).toEqual([...ops.slice(1), other]);
      store.close();
    });

    it('refuses, in check and in append, an op it could not load back; append then stores nothing of the call', () => {
      const home = makeHome(2);
      const good = sample()[0] as Op<number>;
      const bad: Op<number> = { type: 'insert', id: { actor: actorId(5), counter: MAX_COUNTER + 1 }, value: 1, left: null, right: null };
      let store = home.open();
      expect(store.check(good)).toBeNull();
      expect(store.check(bad)).toMatch(/counter outside/);
      expect(() => store.append([good, bad])).toThrow(/counter outside/);
      store.close();
      store = home.open();
      expect(store.load()).toEqual([]);
      store.close();
    });

    it('holds large counters and many ops', () => {
      const home = makeHome(1);
      const list = new ReferenceList<number>(actorId(1));
      const ops = Array.from({ length: 3000 }, (_, i) => list.insert(i % 5 === 0 ? 0 : list.length, i % 256));
      const big: Op<number> = { type: 'insert', id: { actor: actorId(9), counter: 2 ** 40 }, value: 1, left: { actor: actorId(1), counter: 2 ** 33 }, right: null };
      let store = home.open();
      store.append(ops);
      store.append([big]);
      store.close();
      store = home.open();
      expect(store.load()).toEqual([...ops, big]);
      store.close();
    });

    it('compacts: keeps the snapshot in place of the rows it covers, and of the points up to each feed, the ones it is told to keep', () => {
      const home = makeHome(2);
      const ops = sample();
      const [a, b] = [actorId(2), actorId(5)];
      const point = (actor: ActorId, counter: number) => ({ actor, counter, signature: new Uint8Array(64).fill(counter) });
      let store = home.open();
      store.append(ops, { keys: [], points: [point(a, 1), point(a, 3), point(b, 1), point(b, 2), point(b, 4)] });
      expect(store.snapshot()).toBeNull();
      // Covers a2.1..3 and a5.1..2; a5.3 and a2.4 stay rows, in order.
      store.compact({ snapshot: new Uint8Array([1, 2, 3]), covers: new Map([[a, 3], [b, 2]]), points: { upTo: new Map([[a, 3], [b, 2]]), keep: [point(a, 3)] } });
      const rest = ops.filter((op) => op.id.counter > (op.id.actor === a ? 3 : 2));
      const kept = (s: Store<number>) => s.records().points.map((p) => `${p.actor}.${p.counter}`).sort();
      expect(store.load()).toEqual(rest);
      expect(kept(store)).toEqual(['2.3', '5.4']);
      store.close();
      store = home.open();
      expect([...(store.snapshot() ?? [])]).toEqual([1, 2, 3]);
      expect(store.load()).toEqual(rest);
      expect(kept(store)).toEqual(['2.3', '5.4']);
      // A later compaction replaces the snapshot; ops appended after it are rows.
      const later = { type: 'delete', id: { actor: b, counter: 5 }, target: (ops[0] as Op<number>).id } as const;
      store.append([later]);
      store.compact({ snapshot: new Uint8Array([4]), covers: new Map([[a, 4], [b, 4]]), points: { upTo: new Map(), keep: [] } });
      expect([...(store.snapshot() ?? [])]).toEqual([4]);
      expect(store.load()).toEqual([later]);
      store.close();
    });

    it('replaces snapshot and rows by the rows it is given, with their records', () => {
      const home = makeHome(2);
      const ops = sample();
      let store = home.open();
      store.append(ops);
      store.compact({ snapshot: new Uint8Array([9]), covers: new Map([[actorId(2), 2]]), points: { upTo: new Map(), keep: [] } });
      store.replace(ops.slice(0, 4), { keys: [], points: [], dropped: [(ops[4] as Op<number>).id] });
      store.close();
      store = home.open();
      expect(store.snapshot()).toBeNull();
      expect(store.load()).toEqual(ops.slice(0, 4));
      expect(store.records().dropped).toEqual([(ops[4] as Op<number>).id]);
      store.close();
    });

    it('forgets a saved chain or base when an op at or before its count is dropped, and keeps one before the op', () => {
      const home = makeHome(2);
      const b = actorId(5);
      let store = home.open();
      store.append(sample());
      const saved = { actor: b, count: 2, state: new Uint8Array([3]) };
      store.compact({ snapshot: new Uint8Array([9]), covers: new Map(), points: { upTo: new Map(), keep: [] }, chains: [saved], bases: [saved] });
      store.drop([{ actor: b, counter: 3 }], { keys: [], points: [], dropped: [{ actor: b, counter: 3 }] });
      store.close();
      store = home.open();
      expect(store.records().chains?.map((c) => c.count)).toEqual([2]);
      expect(store.records().bases?.map((c) => c.count)).toEqual([2]);
      store.drop([{ actor: b, counter: 2 }], { keys: [], points: [], dropped: [{ actor: b, counter: 2 }] });
      expect(store.records().chains).toEqual([]);
      expect(store.records().bases).toEqual([]);
      store.close();
    });

    it('replaces snapshot and rows by a snapshot and rows, keeping the bases it is given past those the dropped ops forget', () => {
      const home = makeHome(2);
      const ops = sample();
      const [a, b] = [actorId(2), actorId(5)];
      let store = home.open();
      store.append(ops);
      store.compact({ snapshot: new Uint8Array([9]), covers: new Map([[a, 2]]), points: { upTo: new Map(), keep: [] }, bases: [{ actor: b, count: 2, state: new Uint8Array([1]) }] });
      // b.2 and what follows it are dropped; the list kept is the new snapshot (a.1..3, b.1), a.4 stays a row.
      const row = ops[5] as Op<number>;
      store.replace([row], { keys: [], points: [], dropped: [(ops[4] as Op<number>).id, (ops[6] as Op<number>).id] }, {
        snapshot: new Uint8Array([7]),
        covers: new Map([[a, 3], [b, 1]]),
        points: { upTo: new Map(), keep: [] },
        bases: [{ actor: b, count: 1, state: new Uint8Array([2]) }],
      });
      store.close();
      store = home.open();
      expect([...(store.snapshot() ?? [])]).toEqual([7]);
      expect(store.load()).toEqual([row]);
      expect(store.records().dropped).toHaveLength(2);
      expect(store.records().bases?.map((x) => [x.actor, x.count, [...x.state]])).toEqual([[b, 1, [2]]]);
      store.close();
    });
  });
}
