import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { actorId } from '../src/crdt/ids.js';
import type { Op } from '../src/crdt/ops.js';
import { ReferenceList } from '../src/crdt/ReferenceList.js';
import { memoryBacking, MemoryStore } from '../src/store/MemoryStore.js';
import type { Reply, Request } from '../src/sync/messages.js';
import { missingOps } from '../src/sync/pages.js';
import { Replica } from '../src/sync/Replica.js';
import type { SyncConfig } from '../src/sync/Replicator.js';
import { deliverAll, play, scenarioArb } from '../src/testing/scenario.js';

const config: SyncConfig<number> = { syncIntervalMs: 1000, backoffMinMs: 100, backoffMaxMs: 800, maxOps: 3, maxBytes: Infinity, sizeOf: () => 1 };
const makeList = (a: ReturnType<typeof actorId>) => new ReferenceList<number>(a);

describe('anti-entropy pages', () => {
  it('are causally closed: a fresh replica applies every page at once, nothing pending, and ends equal', () => {
    fc.assert(
      fc.property(scenarioArb(4, 50), fc.integer({ min: 1, max: 7 }), (scenario, maxOps) => {
        const run = play(makeList, scenario);
        deliverAll(run, scenario.orderSeed);
        const source = run.lists[0]!;
        const fresh = new ReferenceList<number>(actorId(40));
        for (let page = missingOps(source, fresh.version(), { ...config, maxOps }, actorId(40)); ; page = missingOps(source, fresh.version(), { ...config, maxOps }, actorId(40))) {
          expect(page.ops.length).toBeLessThanOrEqual(maxOps);
          for (const op of page.ops) expect(fresh.apply(op)).toBe('applied');
          if (!page.more) break;
        }
        expect(fresh.toArray()).toEqual(source.toArray());
        expect(fresh.version()).toEqual(source.version());
      }),
      { numRuns: 200 },
    );
  });
});

/** Two replicas wired by hand: `a` talks to peer "b". */
function pair() {
  const a = new Replica(new MemoryStore<number>(actorId(0)), makeList, ['b'], config, 0);
  const bBacking = memoryBacking<number>();
  const b = new Replica(new MemoryStore(actorId(1), bBacking), makeList, ['a'], config, 0);
  const serve = (request: Request<number>): Reply<number> => {
    if (request.type === 'push') {
      expect(b.receivePush(request.from, request.ops).status).toBe('ok');
      return { type: 'push' };
    }
    return { type: 'sync', ...b.serveSync(request.from, request.version) };
  };
  return { a, b, bBacking, serve };
}

describe('Replicator', () => {
  it('catches up with every peer before it is ready, then pushes own ops', () => {
    const { a, serve } = pair();
    expect(a.replicator.ready).toBe(false);
    const [first] = a.poll(0);
    expect(first?.request).toMatchObject({ type: 'sync', catchUp: true });
    expect(a.poll(0)).toEqual([]); // one request in flight per peer
    a.onReply('b', first!.request, serve(first!.request), 1);
    expect(a.replicator.ready).toBe(true);
    a.edit((l) => l.insert(0, 5));
    const [push] = a.poll(2);
    expect(push?.request).toMatchObject({ type: 'push', ops: [{ id: { actor: 0, counter: 1 } }] });
  });

  it('skips a peer that fails the catch-up, and backs off exponentially up to the cap', () => {
    const a = new Replica(new MemoryStore<number>(actorId(0)), makeList, ['b'], { ...config, syncIntervalMs: 1e9 }, 0);
    let now = 0;
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      const [out] = a.poll(now);
      expect(out?.request.type).toBe('sync');
      a.onFailure('b', out!.request, now);
      expect(a.replicator.ready).toBe(true);
      const at = a.replicator.nextWakeup(now);
      delays.push(at - now);
      expect(a.poll(at - 1)).toEqual([]);
      now = at;
    }
    expect(delays).toEqual([100, 200, 400, 800, 800, 800]);
  });

  it('takes a dropped push as delivered, and learns the truth at the next sync', () => {
    const { a, b, serve } = pair();
    const [hello] = a.poll(0);
    a.onReply('b', hello!.request, serve(hello!.request), 0);
    a.edit((l) => l.insert(0, 1));
    const [push] = a.poll(1);
    a.onDropped('b', push!.request);
    expect(a.poll(2)).toEqual([]); // nothing left to push: taken as delivered
    expect(b.list.version().get(actorId(0))).toBeUndefined();
    const [sync] = a.poll(1000); // the periodic round: b's version shows it lacks our op
    expect(sync?.request.type).toBe('sync');
    a.onReply('b', sync!.request, serve(sync!.request), 1000);
    const [again] = a.poll(1001);
    expect(again?.request).toMatchObject({ type: 'push' });
    serve(again!.request);
    expect(b.list.version().get(actorId(0))).toBe(1);
  });

  it('pages a large backlog and stores what it takes', () => {
    const { a, b, serve } = pair();
    for (let i = 0; i < 10; i++) b.edit((l) => l.insert(l.length, i));
    let now = 0;
    let exchanges = 0;
    while (!a.replicator.ready || exchanges === 0) {
      const [out] = a.poll(now++);
      a.onReply('b', out!.request, serve(out!.request), now);
      exchanges++;
    }
    expect(exchanges).toBe(4); // 10 ops in pages of 3
    expect(a.list.toArray()).toEqual(b.list.toArray());
  });

  it('an actor that lost its store learns of its own ops still waiting at a peer, and makes no op until it holds them', () => {
    const b = new ReferenceList<number>(actorId(1));
    const b1 = b.insert(0, 10);
    const old = new ReferenceList<number>(actorId(0));
    old.apply(b1);
    const a1 = old.insert(1, 20); // made on top of b1
    const p = new Replica(new MemoryStore<number>(actorId(2)), makeList, [], config, 0);
    expect(p.receivePush(actorId(0), [a1]).status).toBe('ok'); // waits at p: p lacks b1
    expect(p.list.pendingCount).toBe(1);
    const a = new Replica(new MemoryStore<number>(actorId(0)), makeList, ['p'], config, 0); // its store is gone
    const [sync] = a.poll(0);
    const request = sync!.request;
    if (request.type !== 'sync') throw new Error('expected the catch-up');
    a.onReply('p', request, { type: 'sync', ...p.serveSync(actorId(0), request.version) }, 0);
    expect(a.replicator.ready).toBe(false); // a.1 exists at p: a new op now would reuse its id
    expect(p.receivePush(actorId(1), [b1]).status).toBe('ok'); // now a.1 applies at p
    const [again] = a.poll(config.syncIntervalMs);
    const request2 = again!.request;
    if (request2.type !== 'sync') throw new Error('expected a sync round');
    a.onReply('p', request2, { type: 'sync', ...p.serveSync(actorId(0), request2.version) }, config.syncIntervalMs);
    expect(a.replicator.ready).toBe(true);
    expect(a.list.nextCounter).toBe(2);
  });

  it('a replica restarted on its store rebuilds the same list and continues its counter', () => {
    const backing = memoryBacking<number>();
    const r1 = new Replica(new MemoryStore(actorId(3), backing), makeList, [], config, 0);
    const other = new ReferenceList<number>(actorId(9));
    const foreign: Op<number>[] = [other.insert(0, 7), other.insert(1, 8)];
    expect(r1.receivePush(actorId(9), foreign).status).toBe('ok');
    r1.edit((l) => l.insert(1, 1), 3);
    const r2 = new Replica(new MemoryStore(actorId(3), backing), makeList, [], config, 0);
    expect(r2.list.toArray()).toEqual(r1.list.toArray());
    expect(r2.mutations).toBe(3);
    expect(r2.edit((l) => l.delete(0))[0]!.id).toEqual({ actor: 3, counter: 4 });
  });
});
