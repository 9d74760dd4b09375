import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../src/genome/Rng.js';
import { runSpread } from '../src/sim/spread.js';
import type { Request, SyncPage } from '../src/sync/messages.js';
import type { Replica } from '../src/sync/Replica.js';
import { copyBacking, memoryBacking } from '../src/store/MemoryStore.js';
import { deliver, newReplica, signedPush, testConfig } from './helpers/feeds.js';

const empty: SyncPage<number> = { version: new Map(), ops: [], proofs: [], forks: [], heads: [], more: false };

/** A replica of member 0 among `n` - 1 peers named p1.., gossiping with `fanout` when given. */
function replicaAmong(n: number, fanout?: number): Replica<number> {
  const peers = Array.from({ length: n - 1 }, (_, i) => `p${i + 1}`);
  const rng = new Rng(9);
  const gossip = fanout === undefined ? {} : { fanout, random: () => rng.next(), peerMembers: new Map(peers.map((p, i) => [p, i + 1])) };
  return newReplica(0, { peers, config: { members: n, maxOps: 100, ...gossip } });
}

/** Every request polled at `now`, each answered at once as a peer holding nothing would. */
function round(r: Replica<number>, now: number): Array<{ peer: string; request: Request<number> }> {
  const out = r.poll(now);
  for (const { peer, request } of out) r.onReply(peer, request, request.type === 'push' ? { type: 'push' } : { type: 'sync', ...empty }, now);
  return out;
}

describe('gossip', () => {
  it('is off where a replica has no more peers than the fan-out: every peer is asked at start, then each in turn, as without it', () => {
    const a = replicaAmong(4, 3);
    const b = replicaAmong(4);
    expect(a.replicator.gossips).toBe(false);
    for (let t = 0; t < 8; t++) {
      a.edit((l) => l.insert(0, t));
      b.edit((l) => l.insert(0, t));
      const said = (out: ReturnType<typeof round>) => out.map(({ peer, request }) => `${request.type}>${peer}`);
      expect(said(round(a, t * testConfig.syncIntervalMs))).toEqual(said(round(b, t * testConfig.syncIntervalMs)));
    }
  });

  it('asks fan-out peers at start, one a round after, and pushes only to this round\'s targets, drawn among peers that answered', () => {
    const n = 12;
    const fanout = 3;
    const r = replicaAmong(n, fanout);
    expect(r.replicator.gossips).toBe(true);
    const start = round(r, 0);
    expect(start.map((o) => o.request.type)).toEqual(['sync', 'sync', 'sync']);
    expect(new Set(start.map((o) => o.peer)).size).toBe(fanout);
    const answered = new Set(start.map((o) => o.peer));
    const visits = new Map<string, number[]>();
    for (let t = 1; t <= 4 * (n - 1); t++) {
      r.edit((l) => l.insert(0, t));
      const out = round(r, t * testConfig.syncIntervalMs);
      const syncs = out.filter((o) => o.request.type === 'sync');
      const pushes = out.filter((o) => o.request.type === 'push');
      expect(syncs).toHaveLength(1);
      expect(pushes.length, `round ${t}: ${out.map((o) => `${o.request.type}>${o.peer}`).join(" ")}`).toBeGreaterThan(0);
      expect(pushes.length).toBeLessThanOrEqual(fanout);
      expect(new Set(pushes.map((o) => o.peer)).size).toBe(pushes.length);
      // A push goes only to a peer whose answer this replica took (so its reports name that peer).
      for (const p of pushes) expect(answered.has(p.peer)).toBe(true);
      for (const s of syncs) {
        answered.add(s.peer);
        visits.set(s.peer, [...(visits.get(s.peer) ?? []), t]);
      }
    }
    // A random order, drawn again each time through: every peer within any 2(n - 1) - 1 rounds.
    expect(visits.size).toBe(n - 1);
    for (const ts of visits.values()) {
      const gaps = [ts[0] as number, ...ts.slice(1).map((t, i) => t - (ts[i] as number))];
      expect(Math.max(...gaps)).toBeLessThanOrEqual(2 * (n - 1) - 1);
    }
  });

  it('a replica serving a sync asks the asker back when the asker holds ops it lacks, once a round', () => {
    const server = replicaAmong(12, 3);
    const asker = newReplica(5, { peers: [], config: { members: 12 } });
    asker.edit((l) => l.insert(0, 1));
    round(server, 0);
    server.serveSync(asker.actor, asker.list.version());
    const back = server.poll(10).filter((o) => o.peer === 'p5');
    expect(back.map((o) => o.request.type)).toEqual(['sync']);
    // An asker that holds nothing new is not asked back.
    const quiet = newReplica(7, { peers: [], config: { members: 12 } });
    server.serveSync(quiet.actor, quiet.list.version());
    expect(server.poll(20).filter((o) => o.peer === 'p7')).toEqual([]);
  });

  it('converges for any loss below 1 once the network heals, within 2(n - 1) + 6 rounds of the heal, sending O(1) requests a round', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 14 }),
        fc.double({ min: 0, max: 0.95, noNaN: true }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 0x7fffffff }),
        (actors, loss, opsPerActor, healAfter, fanoutWanted, seed) => {
          const fanout = Math.min(fanoutWanted, Math.max(1, actors - 1));
          const report = runSpread({ actors, loss, opsPerActor, fanout, seed, healAfter });
          expect(report.converged).toBe(true);
          expect(report.ops).toBe(actors * opsPerActor);
          // INTERNALS.md, "Gossip": each replica's anti-entropy order reaches every author within
          // 2(n - 1) rounds; a backoff from before the heal delays it by at most 5 rounds; one
          // more for the round the ops were made in.
          expect(report.rounds).toBeLessThanOrEqual(healAfter + 2 * (actors - 1) + 6);
          // A round's requests: one sync drawn, one asker asked back, a push to each target (and
          // at the start the fan-out's catch-up syncs), whatever the cluster's size. While the
          // network loses messages, a lost one is sent again after its timeout (500 ms) and the
          // backoff (at least 100 ms): each at most twice in a round of 1,000 ms.
          const once = 2 * fanout + 2;
          expect(report.maxMessagesPerActorPerRound).toBeLessThanOrEqual(loss === 0 || healAfter === 0 ? once : 2 * once);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('heads as a digest', () => {
  /** `asker` polls and `server` (its peer named `name`) answers as an actor does: digests unless asked for every head. */
  function exchange(asker: Replica<number>, server: Replica<number>, name: string, now: number): Request<number>[] {
    const sent: Request<number>[] = [];
    for (const { peer, request } of asker.poll(now)) {
      if (peer !== name || request.type !== 'sync') continue;
      sent.push(request);
      const page = server.serveSync(request.from, request.version, false, request.report, now, request.fullHeads === true);
      asker.onReply(peer, request, { type: 'sync', ...page }, now);
    }
    return sent;
  }

  it('hides no fork: a feed forked at its last op, held to one length on both sides, differs in the digest, and the asker then asks for every head and finds the fork', () => {
    const backing = memoryBacking<number>();
    const author = newReplica(5, { backing });
    for (let i = 0; i < 3; i++) author.edit((l) => l.insert(l.length, i));
    const copy = newReplica(5, { backing: copyBacking(backing) });
    author.edit((l) => l.insert(0, 40));
    copy.edit((l) => l.insert(3, 41));
    const r0 = newReplica(0, { peers: ['r1'], config: { maxOps: 100 } });
    const r1 = newReplica(1, { peers: ['r0'], config: { maxOps: 100 } });
    expect(deliver(r0, signedPush(author)).status).toBe('ok');
    expect(deliver(r1, { from: copy.actor, ops: copy.list.opsOf(copy.actor, 0, 4), proof: copy.replicator.feeds.proof(copy.actor, 4) }).status).toBe('ok');
    // Same length, other branch: the first answer's digest differs, so the next request asks for every head.
    const first = exchange(r1, r0, 'r0', 0);
    expect(first.map((r) => r.type === 'sync' && r.fullHeads === true)).toEqual([false]);
    const asked: boolean[] = [];
    for (let t = 1; t < 20 && r1.replicator.feeds.equivocations().length === 0; t++) {
      for (const r of exchange(r1, r0, 'r0', t * 1000)) asked.push(r.type === 'sync' && r.fullHeads === true);
    }
    expect(asked[0]).toBe(true);
    expect(r1.replicator.feeds.equivocations()).toEqual([{ actor: author.actor, at: 4 }]);
  });

  it('costs nothing more where the heads agree: no request for every head follows', () => {
    const author = newReplica(5, { backing: memoryBacking() });
    for (let i = 0; i < 3; i++) author.edit((l) => l.insert(l.length, i));
    const r0 = newReplica(0, { peers: ['r1'], config: { maxOps: 100 } });
    const r1 = newReplica(1, { peers: ['r0'], config: { maxOps: 100 } });
    for (const r of [r0, r1]) expect(deliver(r, signedPush(author)).status).toBe('ok');
    const sent = [0, 1000, 2000, 3000].flatMap((t) => exchange(r1, r0, 'r0', t));
    expect(sent.length).toBeGreaterThan(2);
    expect(sent.some((r) => r.type === 'sync' && r.fullHeads === true)).toBe(false);
  });
});
