import { describe, expect, it } from 'vitest';
import { actorId, memberOf, tagOf } from '../crdt/ids.js';
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
  });
}
