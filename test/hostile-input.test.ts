import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LogThrottle, quietSince } from '../src/actor/LogThrottle.js';
import { formatActor, formatId, replicaId, tagOf, type ActorId } from '../src/crdt/ids.js';
import { fairShare } from '../src/crdt/list.js';
import type { Op } from '../src/crdt/ops.js';
import { MAX_COUNTER } from '../src/crdt/validate.js';
import { memoryBacking } from '../src/store/MemoryStore.js';
import type { SyncPage } from '../src/sync/messages.js';
import { newSigner } from '../src/transport/signing.js';
import { decodeSyncReply, encodeOp, encodeSyncReply } from '../src/transport/wire.js';
import { BINARY_TYPE, encodeBinaryPush, encodeBinarySyncRequest } from '../src/transport/binary-wire.js';
import { pushVarint } from '../src/crdt/codec.js';
import { sqliteActorApp, type ActorApp } from './helpers/actor-app.js';
import { newReplica, signedPush, type SignedPush } from './helpers/feeds.js';
import { binaryPush, del, HandAuthor, held, id, ins, jsonPush, refusalState } from './helpers/hostile.js';

/**
 * Hostile requests, one per case an attacker tried, against an actor as the program runs it (SQLite
 * store, fast list, three members). Each is refused with 4xx and changes nothing (its genome,
 * version, pending ops, the feeds it has checked and their keys); afterwards the store reopens to
 * exactly what the actor held, as the same incarnation, and the actor makes its next op.
 *
 * Ops are signed: the attacker here holds a key of its own (`HandAuthor`), with which it signs
 * whatever it likes as its own feed. Where an op is refused for what it is, it is signed by its
 * author, so that nothing but the op can be the reason.
 */

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const dir = mkdtempSync(join(tmpdir(), 'genome-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
let current: ActorApp | undefined;
let file = '';
let peers: string[] = [];
function setup(withPeers: string[] = []): ActorApp {
  file = join(dir, `case-${n++}`, 'actor-0.db');
  peers = withPeers;
  current = sqliteActorApp(file, 3, 0, peers);
  return current;
}
afterEach(async () => {
  await current?.app.close();
  current?.state.replica.close();
  current = undefined;
});

/** Close the store, open it again: the same incarnation, the same holdings; the next local op is made and stored. */
async function expectReopensAndGoesOn(actor: ActorApp, authors: readonly ActorId[] = []): Promise<void> {
  const before = held(actor.state, authors);
  const incarnation = actor.state.incarnation;
  const next = actor.state.replica.list.nextCounter;
  await actor.app.close();
  actor.state.replica.close();
  current = sqliteActorApp(file, 3, 0, peers);
  expect(current.state.incarnation).toBe(incarnation);
  expect(held(current.state, authors)).toEqual(before);
  const [op] = current.state.replica.edit((list) => list.insert(0, 7));
  expect(op?.id).toEqual({ actor: incarnation, counter: next });
}

const post = (actor: ActorApp, body: string | Uint8Array, url = '/genome') =>
  actor.app.inject({ method: 'POST', url, payload: typeof body === 'string' ? body : Buffer.from(body), headers: { 'content-type': typeof body === 'string' ? 'application/json' : BINARY_TYPE } });

const binary = (push: SignedPush): Uint8Array => encodeBinaryPush(push.from, push.ops, push.proof);
const json = (push: SignedPush): string => jsonPush(push.from, push.ops.map(encodeOp), push.proof);

/** `author`'s ops as a JSON push, signed by it as its feed from 1 (the proof at most at the highest counter, as the schema allows). */
const signedJson = (author: HandAuthor, ops: Op<number>[]): string =>
  jsonPush(author.actor, ops.map(encodeOp), author.sign(ops, Math.min(MAX_COUNTER, (ops[ops.length - 1] as Op<number>).id.counter)));

// Run heads and references of the batch format (src/crdt/batch-codec.ts).
const INSERT = 0;
const DELETE = 1;
const FOLLOWS = 2;
const NONE = 0;
const ID = 2;

async function expectRefused(actor: ActorApp, body: string | Uint8Array, status: number, code: string, url = '/genome', authors: readonly ActorId[] = []): Promise<void> {
  const before = refusalState(actor.state, authors);
  const res = await post(actor, body, url);
  expect({ status: res.statusCode, code: (res.json() as { error: string }).error }, res.body).toEqual({ status, code });
  expect(refusalState(actor.state, authors)).toEqual(before);
  await expectReopensAndGoesOn(actor, authors);
}

describe('counters at the end of the safe range', () => {
  // Hand-written binary pushes carry a proof of the author's (a signature over its first op):
  // ops no replica may take are refused as invalid_op, before any signature is looked at.
  const a = new HandAuthor(1);
  const proof = a.sign([ins(a.actor, 1, 5)]);
  const A = a.actor;

  it('binary: an insert run of two ops from a.(2^53 - 1) is refused with invalid_op', async () => {
    await expectRefused(setup(), binaryPush(A, proof, 2, [INSERT, A, MAX_SAFE, 2, NONE, NONE, 5, 6]), 400, 'invalid_op', '/genome', [A]);
  });

  it('binary: an insert run that starts at the highest counter and runs past it is refused', async () => {
    await expectRefused(setup(), binaryPush(A, proof, 2, [INSERT, A, MAX_COUNTER, 2, NONE, NONE, 5, 6]), 400, 'invalid_op', '/genome', [A]);
  });

  it('binary: a delete run whose targets step past the highest counter is refused', async () => {
    await expectRefused(setup(), binaryPush(A, proof, 2, [DELETE, A, 5, 2, ID, 0, MAX_COUNTER, 2]), 400, 'invalid_op', '/genome', [A]);
  });

  it('binary: a delete run whose target is at 2^53 - 1 is refused', async () => {
    await expectRefused(setup(), binaryPush(A, proof, 1, [DELETE, A, 5, 1, ID, 2, MAX_SAFE, 0]), 400, 'invalid_op', '/genome', [A]);
  });

  it('binary: a run that follows one ending at the highest counter is refused', async () => {
    await expectRefused(setup(), binaryPush(A, proof, 2, [INSERT, A, MAX_COUNTER, 1, NONE, NONE, 5], [INSERT | FOLLOWS, 1, NONE, NONE, 6]), 400, 'invalid_op', '/genome', [A]);
  });

  it('binary: an origin at 2^53 - 1 is refused', async () => {
    await expectRefused(setup(), binaryPush(A, proof, 1, [INSERT, A, 1, 1, ID, 2, MAX_SAFE, NONE, 5]), 400, 'invalid_op', '/genome', [A]);
  });

  it('JSON: an op a.(2^53 - 1), valid by the schema, is refused with invalid_op and never advertised', async () => {
    const actor = setup();
    await expectRefused(actor, jsonPush(A, [{ type: 'insert', id: [A, MAX_SAFE], value: 5, left: null, right: null }], proof), 400, 'invalid_op', '/genome', [A]);
    const res = await current!.app.inject({ method: 'POST', url: '/sync', payload: { v: 2, from: A, version: {} } });
    const page = decodeSyncReply(res.json());
    expect(page.version.has(A)).toBe(false);
    expect(page.ops.filter((op) => op.id.actor === A)).toEqual([]);
    // Nor reported: /status knows the actor's own incarnation only.
    const status = (await current!.app.inject({ method: 'GET', url: '/status' })).json();
    expect(status).toMatchObject({ replicas: { [current!.state.incarnation]: 1 }, equivocations: [] });
    expect(Object.keys(status.replicas)).toEqual([String(current!.state.incarnation)]);
  });

  it('JSON: an op just past the highest counter, and origins or targets past it, are refused with invalid_op, signed or not', async () => {
    const actor = setup();
    await expectRefused(actor, signedJson(a, [ins(A, MAX_COUNTER + 1, 5)]), 400, 'invalid_op', '/genome', [A]);
    await expectRefused(current!, signedJson(a, [ins(A, 1, 5, id(2, MAX_SAFE))]), 400, 'invalid_op', '/genome', [A]);
    await expectRefused(current!, signedJson(a, [del(A, 1, id(2, MAX_COUNTER + 1))]), 400, 'invalid_op', '/genome', [A]);
    await expectRefused(current!, jsonPush(A, [encodeOp(del(A, 1, id(2, MAX_COUNTER + 1)))], proof), 400, 'invalid_op', '/genome', [A]);
  });

  it('JSON: a counter of 2^53 (not a safe integer) is a malformed body', async () => {
    const actor = setup();
    const body = signedJson(a, [ins(A, 1, 5, id(2, 123_454_321))]).replace('123454321', '9007199254740992');
    expect(body).toContain('"left":[2,9007199254740992]');
    await expectRefused(actor, body, 400, 'invalid_body', '/genome', [A]);
  });

  it('a sync request naming more ops than any counter allows, or an author id past the highest, is a malformed body', async () => {
    await expectRefused(setup(), JSON.stringify({ v: 2, from: A, version: { [A]: MAX_SAFE } }), 400, 'invalid_body', '/sync', [A]);
    await expectRefused(current!, JSON.stringify({ v: 2, from: A, version: { [A]: MAX_COUNTER + 1 } }), 400, 'invalid_body', '/sync', [A]);
    await expectRefused(current!, JSON.stringify({ v: 2, from: A, version: { '9007199254740992': 1 } }), 400, 'invalid_body', '/sync', [A]);
  });

  it('binary: a sync request counting past the highest counter, cut short, with trailing bytes or unknown flags is a malformed body', async () => {
    const good = encodeBinarySyncRequest({ from: A, version: new Map([[A, 2]]) });
    const beyond: number[] = [0x51, 6];
    pushVarint(beyond, A);
    beyond.push(0, 1);
    pushVarint(beyond, A);
    pushVarint(beyond, MAX_COUNTER + 1);
    await expectRefused(setup(), Uint8Array.from(beyond), 400, 'invalid_body', '/sync', [A]);
    await expectRefused(current!, good.slice(0, good.length - 1), 400, 'invalid_body', '/sync', [A]);
    await expectRefused(current!, Uint8Array.from([...good, 0]), 400, 'invalid_body', '/sync', [A]);
    const from: number[] = [];
    pushVarint(from, A);
    await expectRefused(current!, good.map((b, i) => (i === 2 + from.length ? 0x80 : b)), 400, 'invalid_body', '/sync', [A]);
    // A head only ends a report: flag 4 alone is malformed, and so is a head whose "tailed" byte is neither 0 nor 1.
    await expectRefused(current!, good.map((b, i) => (i === 2 + from.length ? 4 : b)), 400, 'invalid_body', '/sync', [A]);
    const head = { actor: A, counter: 2, signature: new Uint8Array(64), tailed: false };
    const headed = encodeBinarySyncRequest({ from: A, version: new Map([[A, 2]]), report: { own: 0, retired: new Map(), head } });
    await expectRefused(current!, headed.map((b, i) => (i === headed.length - 65 ? 2 : b)), 400, 'invalid_body', '/sync', [A]);
    await expectRefused(current!, JSON.stringify({ v: 2, from: A, version: {}, head: { actor: A, counter: 2, signature: '00'.repeat(64), tailed: false } }), 400, 'invalid_body', '/sync', [A]);
  });

  it('an op at the highest counter is well-formed: its feed, not the op check, refuses it; as an origin it is taken, and its op waits', async () => {
    const actor = setup();
    const top = ins(A, MAX_COUNTER, 5);
    // A feed never seen, from its 2^48th op: 409 unknown_feed (not 400 invalid_op), by either wire.
    await expectRefused(actor, signedJson(a, [top]), 409, 'unknown_feed', '/genome', [A]);
    await expectRefused(current!, encodeBinaryPush(A, [top], a.sign([top])), 409, 'unknown_feed', '/genome', [A]);
    // Once the feed is known from its first op, the same op is a gap.
    const first = ins(A, 1, 4);
    expect((await post(current!, signedJson(a, [first]))).json()).toEqual({ applied: 1, duplicate: 0, pending: 0 });
    await expectRefused(current!, encodeBinaryPush(A, [top], a.sign([first, top])), 409, 'gap', '/genome', [A]);
    // Another author's op whose origin is a.(2^48): taken, and it waits for that op, across a restart.
    const b = new HandAuthor(2);
    const waiting = ins(b.actor, 1, 6, id(A, MAX_COUNTER));
    expect((await post(current!, signedJson(b, [waiting]))).json()).toEqual({ applied: 0, duplicate: 0, pending: 1 });
    await expectReopensAndGoesOn(current!, [A, b.actor]);
    expect([...current!.state.replica.list.pendingOps()]).toEqual([waiting]);
    expect(current!.state.replica.replicator.feeds.count(b.actor)).toBe(1);
  });
});

describe('only members\' ops', () => {
  for (const stranger of [3, 55, 88]) {
    it(`JSON and binary: ops of member ${stranger}'s incarnations, outside a cluster of 3, are refused before the pending set`, async () => {
      setup();
      // Its first incarnation (author id = member number) and a later one, each signing its own op.
      for (const s of [new HandAuthor(stranger, 0), new HandAuthor(stranger)]) {
        const op = ins(s.actor, 1, 5);
        await expectRefused(current!, signedJson(s, [op]), 400, 'invalid_op', '/genome', [s.actor]);
        await expectRefused(current!, encodeBinaryPush(s.actor, [op], s.sign([op])), 400, 'invalid_op', '/genome', [s.actor]);
        expect(current!.state.replica.list.pendingCount).toBe(0);
      }
      // A member's incarnation has an author id far above 65535 too: it is taken.
      const member = new HandAuthor(2);
      expect(member.actor).toBeGreaterThan(0xffff);
      expect((await post(current!, signedJson(member, [ins(member.actor, 1, 5)]))).json()).toEqual({ applied: 1, duplicate: 0, pending: 0 });
    });
  }

  it('JSON and binary: a member\'s op whose origin or target names a stranger is refused, though signed', async () => {
    const actor = setup();
    const a = new HandAuthor(1);
    const A = a.actor;
    await expectRefused(actor, signedJson(a, [ins(A, 1, 5, id(55, 1))]), 400, 'invalid_op', '/genome', [A]);
    await expectRefused(current!, signedJson(a, [del(A, 1, id(88, 3))]), 400, 'invalid_op', '/genome', [A]);
    await expectRefused(current!, signedJson(a, [ins(A, 1, 5, null, id(replicaId(55, 9), 1))]), 400, 'invalid_op', '/genome', [A]);
    const op = ins(A, 1, 5, null, id(55, 1));
    await expectRefused(current!, encodeBinaryPush(A, [op], a.sign([op])), 400, 'invalid_op', '/genome', [A]);
  });

  it('a sync request from a stranger is refused', async () => {
    await expectRefused(setup(), JSON.stringify({ v: 2, from: 55, version: {} }), 400, 'invalid_body', '/sync');
    await expectRefused(current!, JSON.stringify({ v: 2, from: new HandAuthor(55).actor, version: {} }), 400, 'invalid_body', '/sync');
  });

  it('a sync answer carrying a stranger\'s ops is refused whole: nothing of it is taken', async () => {
    const actor = setup(['p']);
    const peer = newReplica(1, { config: { maxOps: 100 } });
    peer.edit((l) => l.insert(0, 1));
    peer.edit((l) => l.insert(1, 2));
    const stranger = newReplica(55);
    stranger.edit((l) => l.insert(0, 5));
    expect(peer.receivePush(stranger.actor, signedPush(stranger).ops, signedPush(stranger).proof).status).toBe('ok');
    const full = peer.serveSync(actor.state.incarnation, new Map());
    expect(full.ops.map((op) => op.id.actor)).toEqual([peer.actor, peer.actor, stranger.actor]);
    const authors = [peer.actor, stranger.actor];
    const { replica } = actor.state;
    const request = { type: 'sync', from: actor.state.incarnation, version: replica.list.version() } as const;
    const answer = (page: SyncPage<number>) => ({ type: 'sync' as const, ...decodeSyncReply(JSON.parse(JSON.stringify(encodeSyncReply(peer.actor, page)))) });

    const before = refusalState(actor.state, authors);
    const outcome = replica.onReply('p', request, answer(full), 0);
    expect(outcome.refusals).toEqual([expect.objectContaining({ actor: stranger.actor, code: 'invalid_op', message: expect.stringMatching(new RegExp(`${formatActor(stranger.actor)}.*not a member`)) })]);
    expect(outcome.accepted).toEqual([]);
    expect(refusalState(actor.state, authors)).toEqual(before);
    expect(actor.state.replica.list.pendingCount).toBe(0);
    await expectReopensAndGoesOn(actor, authors);

    // The same answer without the stranger's op and its proof is taken.
    const honest: SyncPage<number> = { ...full, ops: full.ops.filter((op) => op.id.actor === peer.actor), proofs: full.proofs.filter((p) => p.actor === peer.actor) };
    const taken = current!.state.replica.onReply('p', request, answer(honest), 0);
    expect(taken.refusals).toEqual([]);
    expect(taken.accepted).toEqual(honest.ops);
    expect(current!.state.replica.list.toArray().filter((g) => g !== 7)).toEqual([1, 2]);
    expect(current!.state.replica.list.length).toBe(3);
    await expectReopensAndGoesOn(current!, authors);
  });
});

describe('sync answers are causal prefixes, each feed signed', () => {
  /** Hand `page` to the actor as an answer from peer 'p'; it must be refused whole, changing nothing. */
  async function expectPageRefused(actor: ActorApp, page: SyncPage<number>, code: string, why: RegExp, authors: readonly ActorId[]): Promise<void> {
    const { replica } = actor.state;
    const before = refusalState(actor.state, authors);
    const request = { type: 'sync', from: actor.state.incarnation, version: replica.list.version() } as const;
    const outcome = replica.onReply('p', request, { type: 'sync', ...page }, 0);
    expect(outcome.refusals).toEqual([expect.objectContaining({ code, message: expect.stringMatching(why) })]);
    expect(outcome.accepted).toEqual([]);
    expect(outcome.refused).toEqual([]);
    expect(refusalState(actor.state, authors)).toEqual(before);
    expect(replica.list.pendingCount).toBe(0);
    await expectReopensAndGoesOn(actor, authors);
  }

  it('an op under the receiver\'s own id, which only it makes, is left out; the feeds beside it are taken', async () => {
    const actor = setup(['p']);
    actor.state.replica.edit((list) => list.insert(0, 1));
    const self = actor.state.incarnation;
    // The actor's next id, forged, after its first op: nothing is missing, but it is not the actor's.
    const own = ins(self, 2, 9, id(self, 1));
    await expectPageRefused(actor, { version: new Map([[self, 2]]), ops: [own], proofs: [], forks: [], heads: [], more: false }, 'own_ops', /own author id/, [self]);
    expect(current!.state.hex).toBe('0701');
    // Beside a genuine feed: that feed is taken, the forged op is not.
    const peer = newReplica(1);
    peer.edit((l) => l.insert(0, 2));
    const mine = current!.state.incarnation;
    const page = { version: new Map([[mine, 2]]), ops: [own, ...signedPush(peer).ops], proofs: [signedPush(peer).proof], forks: [], heads: [], more: false };
    const { replica } = current!.state;
    const request = { type: 'sync', from: mine, version: replica.list.version() } as const;
    const outcome = replica.onReply('p', request, { type: 'sync', ...page }, 0);
    expect(outcome.refusals).toEqual([expect.objectContaining({ code: 'own_ops', actor: mine })]);
    expect(outcome.accepted).toEqual(signedPush(peer).ops);
    expect(replica.list.version()).toEqual(new Map([[mine, 2], [peer.actor, 1]]));
    expect(replica.list.toArray().filter((g) => g !== 2)).toEqual([7, 1]);
    await expectReopensAndGoesOn(current!, [mine, peer.actor]);
  });

  it('an op that would have to wait is refused: an author\'s second op without its first', async () => {
    const actor = setup(['p']);
    const peer = newReplica(1);
    peer.edit((l) => l.insert(0, 2));
    peer.edit((l) => l.insert(1, 3));
    const [, second] = peer.list.opsOf(peer.actor, 0, 2) as [Op<number>, Op<number>];
    const page = { version: peer.list.version(), ops: [second], proofs: [peer.replicator.feeds.proof(peer.actor, 2)], forks: [], heads: [], more: false };
    await expectPageRefused(actor, page, 'invalid_op', new RegExp(`waits for ${formatId({ actor: peer.actor, counter: 1 })}`), [peer.actor]);
  });

  it('an op that would have to wait is refused, with the ops before it: an origin of a third author neither held nor in the page', async () => {
    const actor = setup(['p']);
    const third = newReplica(2);
    third.edit((l) => l.insert(0, 4));
    const peer = newReplica(1, { config: { maxOps: 100 } });
    peer.edit((l) => l.insert(0, 2));
    expect(peer.receivePush(third.actor, signedPush(third).ops, signedPush(third).proof).status).toBe('ok');
    peer.edit((l) => l.insert(l.toArray().indexOf(4) + 1, 3)); // right after the third author's op
    const all = peer.serveSync(actor.state.incarnation, new Map());
    expect(all.ops.map((op) => op.id.actor)).toEqual([peer.actor, third.actor, peer.actor]);
    // The page as an honest peer could not send it: the third author's op left out.
    const page = { ...all, ops: all.ops.filter((op) => op.id.actor === peer.actor), proofs: all.proofs.filter((p) => p.actor === peer.actor) };
    await expectPageRefused(actor, page, 'invalid_op', new RegExp(`waits for ${formatId({ actor: third.actor, counter: 1 })}`), [peer.actor, third.actor]);
    // The whole page is taken.
    const request = { type: 'sync', from: current!.state.incarnation, version: current!.state.replica.list.version() } as const;
    expect(current!.state.replica.onReply('p', request, { type: 'sync', ...all }, 0)).toMatchObject({ accepted: all.ops, refused: [], refusals: [] });
    expect(current!.state.replica.list.toArray().filter((g) => g !== 7)).toEqual(peer.list.toArray());
    expect(current!.state.replica.list.length).toBe(4);
  });
});

/**
 * A third author's op (`origin`, of `missing`), and an author `one` whose first op names it, then
 * `more` ops after that: all of `one`'s ops wait for `origin` at an actor that lacks it.
 */
function waitingAuthor(more: number) {
  const missing = newReplica(2);
  missing.edit((l) => l.insert(0, 200));
  const origin = signedPush(missing);
  const one = newReplica(1);
  one.receivePush(origin.from, origin.ops, origin.proof);
  one.edit((l) => l.insert(1, 0));
  one.edit((l) => l.insert(l.length, l.length % 256), more);
  return { missing, origin, one };
}

describe('a fair share of the pending set per author', () => {
  it('one author\'s ops that cannot apply fill its share only: other authors\' waiting ops are still taken', async () => {
    const actor = setup();
    const share = fairShare(3);
    const { missing, origin, one } = waitingAuthor(share - 1);
    let v = 1;
    const filling = signedPush(one);
    expect(filling.ops.length).toBe(share);
    one.edit((l) => l.insert(l.length, v++ % 256), 2);
    const rest = signedPush(one, share);
    expect(rest.ops.map((op) => op.id.counter)).toEqual([share + 1, share + 2]);

    expect((await post(actor, binary(filling))).json()).toEqual({ applied: 0, duplicate: 0, pending: share });
    expect(actor.state.replica.list.pendingCount).toBe(share);
    const authors = [one.actor, missing.actor];
    const before = refusalState(actor.state, authors);
    for (let i = 0; i < 3; i++) {
      const over = await post(actor, binary(rest));
      expect({ status: over.statusCode, code: over.json().error }).toEqual({ status: 503, code: 'pending_full' });
    }
    expect(refusalState(actor.state, authors)).toEqual(before);
    // Logged once, however often it is sent.
    expect(actor.logs.filter((l) => String(l.msg).includes('pending set full'))).toHaveLength(1);

    // Another author (another incarnation of member 2) whose op waits for the same missing op.
    const two = newReplica(2);
    two.receivePush(origin.from, origin.ops, origin.proof);
    two.edit((l) => l.insert(1, 9));
    const res = await post(actor, binary(signedPush(two)));
    expect(res.json()).toEqual({ applied: 0, duplicate: 0, pending: 1 });
    await expectReopensAndGoesOn(actor, [...authors, two.actor]);

    // A restart keeps what waited, whatever the share; the missing op releases all of it.
    expect(current!.state.replica.list.pendingCount).toBe(share + 1);
    expect((await post(current!, binary(origin))).json()).toEqual({ applied: 1, duplicate: 0, pending: 0 });
    expect((await post(current!, binary(rest))).json()).toEqual({ applied: 2, duplicate: 0, pending: 0 });
    expect(current!.state.replica.list.pendingCount).toBe(0);
    expect(current!.state.replica.list.version()).toEqual(new Map([[current!.state.incarnation, 1], [missing.actor, 1], [one.actor, share + 2], [two.actor, 1]]));
    await expectReopensAndGoesOn(current!, [...authors, two.actor]);
  });
});

describe('a push that crosses its author\'s share of the pending set', () => {
  it('is refused with 503 past the share; the ops within it are kept, with their feed checked that far, and the rest is taken later', async () => {
    const actor = setup();
    const share = fairShare(3);
    const { missing, origin, one } = waitingAuthor(share - 2);
    let v = 1;
    const filling = signedPush(one);
    one.edit((l) => l.insert(l.length, v++ % 256), 3);
    const crossing = signedPush(one, share - 1);
    expect(crossing.ops.map((op) => op.id.counter)).toEqual([share, share + 1, share + 2]);
    const authors = [one.actor, missing.actor];

    expect((await post(actor, binary(filling))).json()).toEqual({ applied: 0, duplicate: 0, pending: share - 1 });
    const first = await post(actor, binary(crossing));
    expect({ status: first.statusCode, code: first.json().error }).toEqual({ status: 503, code: 'pending_full' });
    // The op within the share waits with the others; its feed is checked as far as it.
    expect(actor.state.replica.list.pendingCount).toBe(share);
    expect(actor.state.replica.replicator.feeds.count(one.actor)).toBe(share);
    // Sent again, as its sender would: the same answer, and nothing changes.
    const before = refusalState(actor.state, authors);
    const again = await post(actor, binary(crossing));
    expect({ status: again.statusCode, code: again.json().error }).toEqual({ status: 503, code: 'pending_full' });
    expect(refusalState(actor.state, authors)).toEqual(before);
    await expectReopensAndGoesOn(actor, authors);
    expect(current!.state.replica.list.pendingCount).toBe(share);

    // The missing op releases them all; then the crossing push is taken, its first op a duplicate.
    expect((await post(current!, binary(origin))).json()).toEqual({ applied: 1, duplicate: 0, pending: 0 });
    expect((await post(current!, binary(crossing))).json()).toEqual({ applied: 2, duplicate: 1, pending: 0 });
    expect(current!.state.replica.list.version().get(one.actor)).toBe(share + 2);
    expect(current!.state.replica.list.toArray().filter((g) => g !== 7)).toEqual(one.list.toArray().filter((g) => g !== 7));
    expect(current!.state.replica.list.length).toBe(one.list.length + 1);
    await expectReopensAndGoesOn(current!, authors);
  });
});

describe('an op the list dropped keeps its place in its author\'s feed', () => {
  it('an op its author signed that waited, then became invalid, is not replaced: another op under its id is an equivocation, before and after a restart', async () => {
    const actor = setup();
    const b = newReplica(2);
    b.edit((l) => l.insert(0, 5));
    b.edit((l) => l.delete(0));
    // Signed by author a: its origin is b's delete, not yet known here, so it waits.
    const a = new HandAuthor(1);
    const forged = ins(a.actor, 1, 9, id(b.actor, 2));
    expect((await post(actor, signedJson(a, [forged]))).json()).toEqual({ applied: 0, duplicate: 0, pending: 1 });
    // The delete arrives: the op can never apply, and leaves the pending set.
    expect((await post(actor, binary(signedPush(b)))).statusCode).toBe(200);
    expect(actor.state.replica.list.pendingCount).toBe(0);
    expect(actor.state.replica.replicator.feeds.count(a.actor)).toBe(1);
    const authors = [a.actor, b.actor];
    const other = ins(a.actor, 1, 7);
    // Signed by a: a signed two ops at 1.
    const before = held(actor.state, authors);
    await expectRefusedEquivocation(actor, signedJson(a, [other]), a.actor);
    expect(held(actor.state, authors)).toEqual(before);
    // Not signed by a: refused as another key.
    await expectRefused(actor, jsonPush(a.actor, [encodeOp(other)], new HandAuthor(1, tagOf(a.actor), newSigner().signer).sign([other])), 403, 'key_mismatch', '/genome', authors);
    expect(current!.state.hex).toBe('07');
    // After the restart the store gives back the dropped op: it still holds a's place 1.
    expect(current!.state.replica.replicator.feeds.count(a.actor)).toBe(1);
    await expectRefusedEquivocation(current!, signedJson(a, [other]), a.actor);
    await expectReopensAndGoesOn(current!, authors);
    expect(current!.state.hex).toBe('0707');
  });

  async function expectRefusedEquivocation(actor: ActorApp, body: string, author: ActorId): Promise<void> {
    const before = held(actor.state, [author]);
    const res = await post(actor, body);
    expect({ status: res.statusCode, code: res.json().error }).toEqual({ status: 409, code: 'equivocation' });
    expect(held(actor.state, [author])).toEqual(before);
    expect(actor.state.status().equivocations).toEqual([{ actor: 1, incarnation: author, at: 1 }]);
  }
});

describe('a peer that answers "more" with nothing', () => {
  it('does not keep the replica asking, nor hold back its first mutation', () => {
    const actor = setup(['p']);
    const { replica } = actor.state;
    const [request] = replica.poll(0);
    expect(request?.request.type).toBe('sync');
    // The actor mutates at once, before any peer has answered.
    const [op] = replica.edit((list) => list.insert(0, 3));
    expect(op?.id).toEqual({ actor: actor.state.incarnation, counter: 1 });
    replica.onReply('p', request!.request, { type: 'sync', version: new Map(), ops: [], proofs: [], forks: [], heads: [], more: true }, 1);
    // Not another sync: the push of that mutation, signed at it.
    const next = replica.poll(2);
    expect(next.map((o) => o.request.type)).toEqual(['push']);
    const push = next[0]!.request;
    if (push.type !== 'push') throw new Error('expected a push');
    expect(push.ops).toEqual([op]);
    expect(push.proof).toMatchObject({ actor: actor.state.incarnation, counter: 1 });
    replica.onReply('p', push, { type: 'push' }, 3);
    expect(replica.poll(4)).toEqual([]);
  });
});

describe('what a sender can make an actor log', () => {
  it('is one line per kind and sender every 10 s, however fast it sends: equivocations, forgeries', async () => {
    const actor = setup();
    // Two replicas on one key: one incarnation that signs two different first ops.
    const seed = newSigner().seed;
    const honest = newReplica(1, { backing: memoryBacking(seed) });
    const twin = newReplica(1, { backing: memoryBacking(seed) });
    honest.edit((l) => l.insert(0, 1));
    twin.edit((l) => l.insert(0, 2));
    expect((await post(actor, binary(signedPush(honest)))).statusCode).toBe(200);
    const equivocating = binary(signedPush(twin));
    for (let i = 0; i < 20; i++) expect((await post(actor, equivocating)).statusCode).toBe(409);
    const lines = actor.logs.filter((l) => String(l.msg).includes('equivocation'));
    expect(lines).toHaveLength(1);
    expect([honest.actor, formatActor(honest.actor)]).toContain(lines[0]?.sender);

    // Ops that do not match their author's signature: one line too. (Another author: the
    // equivocating one's feed is frozen now, and all its ops are refused as equivocations.)
    const third = newReplica(2);
    third.edit((l) => l.insert(0, 2));
    expect((await post(actor, binary(signedPush(third)))).statusCode).toBe(200);
    third.edit((l) => l.insert(0, 3));
    const next = signedPush(third, 1);
    const forged = binary({ ...next, ops: next.ops.map((op) => (op.type === 'insert' ? { ...op, value: 4 } : op)) });
    for (let i = 0; i < 20; i++) expect((await post(actor, forged)).statusCode).toBe(403);
    expect(actor.logs.filter((l) => String(l.msg).includes('bad_signature'))).toHaveLength(1);

    // As README says of equivocations: logged at level error, naming the sender.
    expect(lines[0]).toMatchObject({ level: 50 });
  });

  it('LogThrottle lets one line through per key and window, and counts the rest', () => {
    const t = new LogThrottle(1000);
    expect(t.pass('a', 0)).toEqual({ quiet: 0 });
    expect(t.pass('a', 10)).toBeNull();
    expect(t.pass('a', 20)).toBeNull();
    expect(t.pass('b', 30)).toEqual({ quiet: 0 });
    expect(t.pass('a', 1000)).toEqual({ quiet: 2 });
    expect(quietSince(2)).toBe(' (and 2 more since)');
  });
});
