import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { actorId, memberOf, type ActorId } from '../src/crdt/ids.js';
import { ReferenceList } from '../src/crdt/ReferenceList.js';
import type { VersionVector } from '../src/crdt/version.js';
import { memoryBacking } from '../src/store/MemoryStore.js';
import type { Proof } from '../src/sync/Feeds.js';
import type { Reply, Request } from '../src/sync/messages.js';
import { missingOps, type PageFeeds } from '../src/sync/pages.js';
import { deliverAll, play, scenarioArb } from '../src/testing/scenario.js';
import { deliver, newReplica, signedPush, testConfig as config } from './helpers/feeds.js';

const makeList = (a: ReturnType<typeof actorId>) => new ReferenceList<number>(a);

/** Feeds as pages see them, with a signed point at every multiple of `every` and at each feed's end. */
function provable(held: VersionVector, every: number, advertise: (v: VersionVector) => VersionVector = (v) => v): PageFeeds<number> {
  return {
    advertise,
    checked: (v) => v,
    forks: () => [],
    heads: () => [],
    pointAtOrBefore: (actor, counter) => (counter >= (held.get(actor) ?? 0) ? (held.get(actor) ?? 0) : counter - (counter % every)),
    proof: (actor: ActorId, counter: number): Proof => ({ actor, counter, key: new Uint8Array(32), signature: new Uint8Array(64) }),
  };
}

describe('anti-entropy pages', () => {
  it('are causally closed and end each feed at a signed point: a fresh replica applies every page at once and ends equal', () => {
    fc.assert(
      fc.property(scenarioArb(4, 50), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 5 }), (scenario, maxOps, every) => {
        const run = play(makeList, scenario);
        deliverAll(run, scenario.orderSeed);
        const source = run.lists[0]!;
        const feeds = provable(source.version(), every);
        const fresh = new ReferenceList<number>(actorId(40));
        for (let pages = 0; ; pages++) {
          expect(pages).toBeLessThan(1000);
          const page = missingOps(source, fresh.version(), { ...config, maxOps }, feeds);
          const last = new Map<ActorId, number>();
          for (const op of page.ops) {
            expect(fresh.apply(op)).toBe('applied');
            last.set(op.id.actor, op.id.counter);
          }
          // One proof per feed in the page, at its last op.
          expect(new Map(page.proofs.map((p) => [p.actor, p.counter]))).toEqual(last);
          if (!page.more) break;
        }
        expect(fresh.toArray()).toEqual(source.toArray());
        expect(fresh.version()).toEqual(source.version());
      }),
      { numRuns: 200 },
    );
  });
});

describe('a page from a replica that suspects its copy of a feed', () => {
  it('still sends the ops of it that replica checked: a newcomer gets them (it advertises less only to be sent them again)', () => {
    const source = new ReferenceList<number>(actorId(1));
    for (let i = 0; i < 6; i++) source.insert(i, i);
    const author = source.actor;
    // Suspected from 3 on (another signed end was seen at its length): advertised as 3.
    const feeds = provable(source.version(), 2, (v) => new Map([...v].map(([a, n]) => [a, a === author ? Math.min(n, 3) : n])));
    const fresh = new ReferenceList<number>(actorId(40));
    for (let pages = 0; pages < 10; pages++) {
      const page = missingOps(source, fresh.version(), config, feeds);
      expect(page.version.get(author)).toBe(3);
      for (const op of page.ops) expect(fresh.apply(op)).toBe('applied');
      if (!page.more) break;
    }
    expect(fresh.version()).toEqual(source.version());
  });
});

/** Two replicas wired by hand: `a` (member 0) talks to peer "b" (member 1). */
function pair() {
  const a = newReplica(0, { peers: ['b'], config: { maxOps: 100 } });
  const bBacking = memoryBacking<number>();
  const b = newReplica(1, { peers: ['a'], backing: bBacking, config: { maxOps: 100 } });
  const serve = (request: Request<number>): Reply<number> => {
    if (request.type === 'push') {
      expect(b.receivePush(request.from, request.ops, request.proof).status).toBe('ok');
      return { type: 'push' };
    }
    return { type: 'sync', ...b.serveSync(request.from, request.version) };
  };
  return { a, b, bBacking, serve };
}

describe('Replicator', () => {
  it('syncs with every peer first, then pushes own ops with their signature, one request in flight per peer', () => {
    const { a, b, serve } = pair();
    const [first] = a.poll(0);
    expect(first?.request).toMatchObject({ type: 'sync' });
    expect(a.poll(0)).toEqual([]);
    a.onReply('b', first!.request, serve(first!.request), 1);
    a.edit((l) => l.insert(0, 5));
    const [push] = a.poll(2);
    expect(push?.request).toMatchObject({ type: 'push', ops: [{ id: { actor: a.actor, counter: 1 } }], proof: { actor: a.actor, counter: 1 } });
    serve(push!.request);
    expect(b.list.toArray()).toEqual([5]);
  });

  it('mutates at once, without waiting for peers, and backs off exponentially up to the cap', () => {
    const a = newReplica(0, { peers: ['b'], config: { syncIntervalMs: 1e9 } });
    a.edit((l) => l.insert(0, 1));
    let now = 0;
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      const [out] = a.poll(now);
      expect(out?.request.type).toBe('sync');
      a.onFailure('b', out!.request, now);
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
    expect(b.list.version().get(a.actor)).toBeUndefined();
    const [sync] = a.poll(1000); // the periodic round: b's version shows it lacks our op
    expect(sync?.request.type).toBe('sync');
    a.onReply('b', sync!.request, serve(sync!.request), 1000);
    const [again] = a.poll(1001);
    expect(again?.request).toMatchObject({ type: 'push' });
    serve(again!.request);
    expect(b.list.version().get(a.actor)).toBe(1);
  });

  it('pages a large backlog at signed points and stores what it takes, with the keys and points to relay it', () => {
    const { a, b, serve } = pair();
    // One point kept every POINT_SPACING (256) ops and at the latest: pages of 100 ops grow to reach one.
    for (let i = 0; i < 600; i++) b.edit((l) => l.insert(l.length, i % 256));
    let now = 0;
    let exchanges = 0;
    for (let more = true; more; exchanges++) {
      const [out] = a.poll(now++);
      const reply = serve(out!.request);
      a.onReply('b', out!.request, reply, now);
      more = reply.type === 'sync' && reply.more;
    }
    expect(exchanges).toBe(2); // to 256; then the rest, to the latest point, within four pages
    expect(a.list.toArray()).toEqual(b.list.toArray());
    // a relays b's ops to a third replica, which checks them against b's signature.
    const c = newReplica(2, { peers: ['a'] });
    const page = a.serveSync(c.actor, new Map());
    expect(page.proofs).toEqual([expect.objectContaining({ actor: b.actor, counter: 256 })]);
    const request = { type: 'sync', from: c.actor, version: new Map() } as const;
    expect(c.onReply('a', request, { type: 'sync', ...page }, 0).accepted).toHaveLength(256);
  });

  it('a member that lost its store starts a new incarnation: its old ops stay, its new ones never collide with them', () => {
    const old = newReplica(0);
    old.edit((l) => l.insert(0, 1), 2);
    const peer = newReplica(1, { peers: ['a'] });
    expect(deliver(peer, signedPush(old)).status).toBe('ok');
    const again = newReplica(0, { peers: ['p'] }); // same member, new store
    expect(again.actor).not.toBe(old.actor);
    expect(memberOf(again.actor)).toBe(0);
    again.edit((l) => l.insert(0, 9)); // at once: its ids are its own
    const [sync] = again.poll(0);
    again.onReply('p', sync!.request, { type: 'sync', ...peer.serveSync(again.actor, (sync!.request as { version: VersionVector }).version) }, 0);
    expect(again.mutations).toBe(3); // its earlier incarnation's two, as the peer reports them, and its own
    expect(deliver(peer, signedPush(again)).status).toBe('ok');
    expect(peer.list.toArray()).toEqual(again.list.toArray());
  });

  it('a replica restarted on its store rebuilds the same list, the same incarnation and its feed', () => {
    const backing = memoryBacking<number>();
    const r1 = newReplica(3, { backing });
    const other = newReplica(9);
    other.edit((l) => l.insert(0, 7));
    other.edit((l) => l.insert(1, 8));
    expect(deliver(r1, signedPush(other)).status).toBe('ok');
    r1.edit((l) => l.insert(1, 1), 3);
    const r2 = newReplica(3, { backing });
    expect(r2.actor).toBe(r1.actor);
    expect(r2.list.toArray()).toEqual(r1.list.toArray());
    expect(r2.mutations).toBe(3);
    expect(r2.edit((l) => l.delete(0))[0]!.id).toEqual({ actor: r1.actor, counter: 4 });
    // It relays what it took before the restart, and its own feed runs on from where it was.
    const c = newReplica(4);
    expect(deliver(c, signedPush(r1)).status).toBe('ok');
    expect(deliver(c, signedPush(r2, 3)).status).toBe('ok');
    // Pages of 3 ops: the first holds both of the other's ops; its own first op ends at no signed point (its edit of three does), so it waits for the next page.
    expect(r2.serveSync(c.actor, new Map()).proofs.map((p) => p.actor)).toEqual([other.actor]);
  });
});
