import { afterEach, describe, expect, it } from 'vitest';
import { formatActor, memberOf } from '../src/crdt/ids.js';
import type { Op } from '../src/crdt/ops.js';
import { ReferenceList } from '../src/crdt/ReferenceList.js';
import { digest } from '../src/genome/render.js';
import { BATCH_BYTES, BODY_LIMIT, encodeOp, encodeProof, encodePush, encodeSyncRequest, MAX_BATCH_OPS, WIRE_VERSION, wireSize } from '../src/transport/wire.js';
import { BINARY_TYPE, decodeBinarySyncReply, encodeBinaryPush } from '../src/transport/binary-wire.js';
import { decodeSyncReply } from '../src/transport/wire.js';
import { actorApp } from './helpers/actor-app.js';
import { deliver, newReplica, type SignedPush } from './helpers/feeds.js';
import { author, binaryPush, dependentPushes, forged, jsonPush, signFeed, twinOf, type Author } from './helpers/pushes.js';

/** A peer (member 1) and its ops, one edit each: genes 1, 2, 3 then a delete of the first. */
function peer(): Author {
  const b = author(1);
  b.edit((l) => l.insert(0, 1));
  b.edit((l) => l.insert(1, 2));
  b.edit((l) => l.insert(2, 3));
  b.edit((l) => l.delete(0));
  return b;
}

let current: ReturnType<typeof actorApp> | undefined;
function setup(maxPending?: number): ReturnType<typeof actorApp> {
  current = actorApp(0, maxPending);
  return current;
}
afterEach(async () => {
  await current?.app.close();
  current = undefined;
});

async function post(app: ReturnType<typeof actorApp>['app'], payload: string, contentType = 'application/json') {
  return app.inject({ method: 'POST', url: '/genome', payload, headers: { 'content-type': contentType } });
}
const push = (app: ReturnType<typeof actorApp>['app'], p: SignedPush) => post(app, jsonPush(p));

describe('GET routes', () => {
  it('GET /genome renders hex in list order, as text/plain', async () => {
    const { app, state } = setup();
    let res = await app.inject({ url: '/genome' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toBe('');
    state.replica.edit((list) => list.insert(0, 255));
    state.replica.edit((list) => list.insert(0, 0));
    state.replica.edit((list) => list.insert(1, 1));
    res = await app.inject({ url: '/genome' });
    expect(res.body).toBe('0001ff');
  });

  it('GET /status reports actor, incarnation, length, digest, version by member and by incarnation, equivocations, pending, tombstones, stable, retired, collected, storeBytes, lastCompaction, matchCount, messages, faults', async () => {
    const { app, state } = setup();
    state.replica.edit((list) => list.insert(0, 7));
    const b = peer();
    expect((await push(app, b.push())).statusCode).toBe(200);
    const res = await app.inject({ url: '/status' });
    expect(res.statusCode).toBe(200);
    expect(memberOf(state.incarnation)).toBe(0);
    // The two authors' first inserts are concurrent: their order is the tie-break of their ids.
    expect(['070203', '020307']).toContain(state.hex);
    expect(res.json()).toEqual({
      actor: 0, incarnation: state.incarnation, length: 3, digest: digest(state.hex),
      version: { '0': 1, '1': 4 }, replicas: { [state.incarnation]: 1, [b.actor]: 4 }, equivocations: [],
      // No member heard from yet: all it holds of others is stable; of its own ops, none while
      // member 1, known by its ops, has not been heard (it may hold a copied key's op there).
      pending: 0, tombstones: 1, stable: { [b.actor]: 4 }, retired: {}, collected: {}, storeBytes: 0, lastCompaction: null, matchCount: 0, mutations: 1,
      messages: { sent: 0, dropped: 0, failed: 0, blocked: 0, syncRounds: 0, bytesIn: expect.any(Number), bytesOut: 0 },
      faults: { dropRate: 0, partition: [], pauseMutations: false },
    });
  });

  it('GET /status sums a member\'s incarnations in version, and lists each in replicas', async () => {
    const { app, state } = setup();
    // Member 1 lost its store: a new incarnation with a key (and author id) of its own.
    const before = peer();
    const after = author(1);
    expect(deliver(after.replica, before.push()).status).toBe('ok');
    after.edit((l) => l.insert(0, 9));
    expect(after.actor).not.toBe(before.actor);
    expect((await push(app, before.push())).statusCode).toBe(200);
    expect((await push(app, after.push())).statusCode).toBe(200);
    expect(state.status()).toMatchObject({ version: { '1': 5 }, replicas: { [before.actor]: 4, [after.actor]: 1 } });
  });

  it('GET /healthz answers 200; unknown routes get a JSON 404', async () => {
    const { app } = setup();
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    const res = await app.inject({ url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: 'not_found' });
  });
});

describe('POST /genome', () => {
  it('applies a signed batch; replaying it changes nothing; an empty batch is fine', async () => {
    const { app, state } = setup();
    const b = peer();
    let res = await push(app, b.push());
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ applied: 4, duplicate: 0, pending: 0 });
    expect(state.hex).toBe('0203');
    res = await push(app, b.push());
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ applied: 0, duplicate: 4, pending: 0 });
    expect(state.hex).toBe('0203');
    res = await push(app, { ...b.push(), ops: [] });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ applied: 0, duplicate: 0, pending: 0 });
    expect(state.status().replicas).toEqual({ [b.actor]: 4 });
  });

  it('refuses, with 409 `other_incarnation`, a push for another incarnation of this member, JSON or binary; takes one for this one', async () => {
    const { app, state } = setup();
    const b = peer();
    const p = b.push();
    const json = (to: number) => JSON.stringify({ ...(JSON.parse(jsonPush(p)) as object), to });
    const other = state.incarnation + 65536;
    for (const res of [await post(app, json(other)), await post(app, Buffer.from(encodeBinaryPush(p.from, p.ops, p.proof, other as typeof state.incarnation)) as unknown as string, BINARY_TYPE)]) {
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ error: 'other_incarnation' });
    }
    expect(state.replica.list.version().size).toBe(0);
    expect((await post(app, json(state.incarnation))).json()).toEqual({ applied: 4, duplicate: 0, pending: 0 });
  });

  it('takes a feed in several pushes, each running on from what it holds', async () => {
    const { app, state } = setup();
    const b = peer();
    const all = b.push();
    // Pushes as the sender makes them: each from what the receiver holds to a point the author signed.
    expect((await push(app, { ...b.push(), ops: all.ops.slice(0, 2), proof: b.proofAt(2) })).json()).toEqual({ applied: 2, duplicate: 0, pending: 0 });
    expect((await push(app, b.push(2))).json()).toEqual({ applied: 2, duplicate: 0, pending: 0 });
    expect(state.hex).toBe('0203');
  });

  it('holds ops whose origin (another author\'s op) is missing as pending, and applies them when it arrives', async () => {
    const { app, state } = setup();
    const { first, then, origin, dependent } = dependentPushes();
    expect((await push(app, then)).json()).toEqual({ applied: 0, duplicate: 0, pending: 3 });
    expect(state.status()).toMatchObject({ pending: 3, version: {}, replicas: {} });
    expect(state.hex).toBe('');
    expect((await push(app, first)).json()).toEqual({ applied: 1, duplicate: 0, pending: 0 });
    expect(state.status()).toMatchObject({ pending: 0, version: { '1': 3, '2': 1 }, replicas: { [dependent.actor]: 3, [origin.actor]: 1 } });
    expect(state.hex).toBe('0203');
  });

  it('answers 503 when the pending set is full, and takes the ops once their dependencies arrive', async () => {
    const { app, state } = setup(2);
    const { first, then } = dependentPushes();
    const res = await push(app, then);
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ error: 'pending_full' });
    expect(state.status().pending).toBe(2);
    expect((await push(app, first)).statusCode).toBe(200);
    expect(state.status().pending).toBe(0);
    // The sender retries the batch it was refused: what was held of it is duplicate, the rest applies.
    const again = await push(app, then);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ applied: 1, duplicate: 2, pending: 0 });
    expect(state.status()).toMatchObject({ pending: 0, version: { '1': 3, '2': 1 } });
    expect(state.hex).toBe('0203');
  });

  it('refuses an equivocation with 409, logs it with the sender, applies nothing of the batch', async () => {
    const { app, state, logs } = setup();
    const b = author(1);
    b.edit((l) => l.insert(0, 1));
    b.edit((l) => l.insert(1, 2));
    expect((await push(app, b.push())).statusCode).toBe(200);
    // The same incarnation signs another branch: the same first op, then another second, and a third.
    const twin = twinOf(b);
    twin.edit((l) => l.insert(0, 1));
    twin.edit((l) => l.insert(1, 99));
    twin.edit((l) => l.insert(2, 3));
    expect(twin.actor).toBe(b.actor);
    const res = await push(app, { from: b.actor, ops: twin.list.opsOf(b.actor, 1, 2), proof: twin.replicator.feeds.proof(b.actor, 3) });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ error: 'equivocation' });
    // Frozen at 1, the op both branches share: the second op goes, and no branch past it is taken.
    expect(state.status()).toMatchObject({ version: { '1': 1 }, equivocations: [{ actor: 1, incarnation: b.actor, at: 2 }] });
    expect(state.hex).toBe('01');
    const line = logs.find((l) => String(l.msg).includes('equivocation'));
    // Logged at level error, with the sender (README: "logged at level error with the word `equivocation` and the sender").
    expect(line).toMatchObject({ level: 50 });
    expect([b.actor, formatActor(b.actor)]).toContain(line?.sender);
  });

  it('refuses two ops with one id and different content inside one batch', async () => {
    const { app, state } = setup();
    const b = author(1);
    const first = b.edit((l) => l.insert(0, 1)) as Op<number> & { type: 'insert' };
    const res = await push(app, { ...b.push(), ops: [first, { ...first, value: 42 }] });
    expect(res.statusCode).toBe(409);
    // The feed check refuses it first: a feed's ops in a batch run on, one counter after another.
    expect(res.json()).toMatchObject({ error: 'gap' });
    expect(state.status().version).toEqual({});
  });

  it('refuses a push carrying ops of another author than its sender (400), or claiming to come from this actor (403 own_ops)', async () => {
    const { app, state } = setup();
    const b = peer();
    const c = author(2);
    let res = await push(app, { ...b.push(), from: c.actor });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid_op' });
    const mine = new ReferenceList<number>(state.incarnation).insert(0, 1);
    res = await push(app, { from: state.incarnation, ops: [mine], proof: { ...b.push().proof, actor: state.incarnation, counter: 1 } });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: 'own_ops', message: expect.stringMatching(/from this replica/) });
    expect(state.status().version).toEqual({});
  });

  it('refuses a signed batch whose op names a delete of the same batch, applying nothing', async () => {
    const { app, state } = setup();
    const b = peer();
    const ops = [...b.push().ops, { type: 'insert', id: { actor: b.actor, counter: 5 }, value: 5, left: { actor: b.actor, counter: 4 }, right: null } as Op<number>];
    const res = await push(app, { from: b.actor, ops, proof: signFeed(b, ops) });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid_op' });
    expect(state.status().version).toEqual({});
  });

  it('refuses a signed op whose origin is a delete, applying nothing', async () => {
    const { app, state } = setup();
    const b = peer();
    await push(app, b.push());
    const c = author(2);
    const ops: Op<number>[] = [{ type: 'insert', id: { actor: c.actor, counter: 1 }, value: 5, left: { actor: b.actor, counter: 4 }, right: null }];
    const res = await push(app, { from: c.actor, ops, proof: signFeed(c, ops) });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid_op' });
    expect(state.status().version).toEqual({ '1': 4 });
  });

  // A valid push, to take apart: its op and proof as the wire carries them.
  const sample = author(1);
  sample.edit((l) => l.insert(0, 5));
  const good = JSON.parse(jsonPush(sample.push())) as { v: number; from: number; ops: Array<Record<string, unknown>>; proof: Record<string, unknown> };
  const { v, from, proof } = good;
  const ins = good.ops[0] as Record<string, unknown>;
  const id = (counter: unknown) => [from, counter];
  const bad: Array<[string, string]> = [
    ['not JSON', '{"v":2,'],
    ['a JSON array', '[]'],
    ['a JSON string', '"hello"'],
    ['missing ops', JSON.stringify({ v, from, proof })],
    ['missing proof (an unsigned push)', JSON.stringify({ v, from, ops: [ins] })],
    ['ops not an array', JSON.stringify({ v, from, ops: {}, proof })],
    ['wire version 1 (unsigned, before feeds)', JSON.stringify({ v: 1, from, ops: [ins] })],
    ['an unknown wire version', JSON.stringify({ v: 3, from, ops: [ins], proof })],
    ['an unknown field', JSON.stringify({ ...good, extra: 1 })],
    ['an unknown op type', JSON.stringify({ v, from, ops: [{ ...ins, type: 'move' }], proof })],
    ['a gene above 255', JSON.stringify({ v, from, ops: [{ ...ins, value: 256 }], proof })],
    ['a negative gene', JSON.stringify({ v, from, ops: [{ ...ins, value: -1 }], proof })],
    ['a fractional gene', JSON.stringify({ v, from, ops: [{ ...ins, value: 1.5 }], proof })],
    ['a gene as a string', JSON.stringify({ v, from, ops: [{ ...ins, value: '5' }], proof })],
    ['a zero counter', JSON.stringify({ v, from, ops: [{ ...ins, id: id(0) }], proof })],
    ['a negative counter', JSON.stringify({ v, from, ops: [{ ...ins, id: id(-3) }], proof })],
    ['a fractional counter', JSON.stringify({ v, from, ops: [{ ...ins, id: id(2.5) }], proof })],
    ['an id of three numbers', JSON.stringify({ v, from, ops: [{ ...ins, id: [from, 2, 3] }], proof })],
    ['an author id beyond the largest', JSON.stringify({ v, from: 2 ** 53, ops: [], proof })],
    ['a delete without target', JSON.stringify({ v, from, ops: [{ type: 'delete', id: id(1) }], proof })],
    ['a valid op beside a bad one', JSON.stringify({ v, from, ops: [ins, { ...ins, id: id(2), value: 300 }], proof })],
    ['a proof without a signature', JSON.stringify({ ...good, proof: { ...proof, signature: undefined } })],
    ['a key of 63 hex digits', JSON.stringify({ ...good, proof: { ...proof, key: (proof.key as string).slice(1) } })],
    ['a key in upper case', JSON.stringify({ ...good, proof: { ...proof, key: (proof.key as string).toUpperCase() } })],
    ['a signature of 127 hex digits', JSON.stringify({ ...good, proof: { ...proof, signature: (proof.signature as string).slice(1) } })],
    ['a signature that is not hex', JSON.stringify({ ...good, proof: { ...proof, signature: 'z'.repeat(128) } })],
    ['a proof with an unknown field', JSON.stringify({ ...good, proof: { ...proof, extra: 1 } })],
    ['a proof with a negative counter', JSON.stringify({ ...good, proof: { ...proof, counter: -1 } })],
    ['deep nesting', `{"v":2,"from":1,"ops":${'['.repeat(200_000)}${']'.repeat(200_000)}}`],
  ];
  for (const [what, payload] of bad) {
    it(`answers 400 with a JSON error to ${what}, applies nothing and keeps serving`, async () => {
      const { app, state } = setup();
      const res = await post(app, payload);
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/json/);
      expect(res.json()).toMatchObject({ error: 'invalid_body' });
      expect(typeof res.json().message).toBe('string');
      expect(state.status().version).toEqual({});
      expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    });
  }

  it('takes the sample push those bodies are made from', async () => {
    const { app, state } = setup();
    expect(v).toBe(WIRE_VERSION);
    expect((await post(app, JSON.stringify(good))).statusCode).toBe(200);
    expect(state.hex).toBe('05');
  });

  it('refuses a body that is neither JSON nor binary, applying nothing', async () => {
    const { app, state } = setup();
    const res = await post(app, jsonPush(peer().push()), 'text/plain');
    expect(res.statusCode).toBe(415);
    expect(res.json()).toMatchObject({ error: 'unsupported_media_type' });
    expect(state.status().version).toEqual({});
  });

  it('answers 413 to a body over the limit', async () => {
    const { app, state } = setup();
    const huge = JSON.stringify({ ...JSON.parse(jsonPush(peer().push())), pad: 'x'.repeat(BODY_LIMIT) });
    const res = await post(app, huge);
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ error: 'body_too_large' });
    expect(state.status().version).toEqual({});
  });

  it('accepts every batch the sender splits a large backlog into', async () => {
    const { app, state } = setup();
    const sender = newReplica(1, { peers: ['actor'], config: { maxOps: MAX_BATCH_OPS, maxBytes: BATCH_BYTES, sizeOf: wireSize } });
    let i = 0;
    sender.edit((l) => {
      const op = l.insert(i % 7 === 0 ? 0 : l.length, i % 256);
      i++;
      return op;
    }, 8_000);
    // The sender's own replicator: an anti-entropy exchange, then pushes of its ops, each ending at a signed point.
    let batches = 0;
    for (let now = 0; now < 100; now++) {
      const [out] = sender.poll(now);
      if (out === undefined) break;
      const { request } = out;
      if (request.type === 'sync') {
        const res = await app.inject({ method: 'POST', url: '/sync', payload: encodeSyncRequest(request.from, request.version), headers: { 'content-type': 'application/json' } });
        expect(res.statusCode).toBe(200);
        sender.onReply('actor', request, { type: 'sync', ...decodeSyncReply(res.json()) }, now);
        continue;
      }
      const body = encodePush(request.from, request.ops, request.proof);
      expect(body.length).toBeLessThan(BODY_LIMIT);
      expect((await post(app, body)).statusCode).toBe(200);
      sender.onReply('actor', request, { type: 'push' }, now);
      batches++;
    }
    expect(batches).toBeGreaterThan(1);
    expect(state.status().version).toEqual({ '1': 8_000 });
    expect(state.replica.list.toArray()).toEqual(sender.list.toArray());
  });
});

describe('signed feeds', () => {
  it('refuses a forged op (altered after signing) with 403 bad_signature, applying nothing of the batch', async () => {
    const { app, state } = setup();
    const b = peer();
    for (const binary of [false, true]) {
      const forgery = forged(b, 2, (op) => ({ ...(op as Op<number> & { type: 'insert' }), value: 99 }));
      const res = binary ? await app.inject({ method: 'POST', url: '/genome', payload: binaryPush(forgery), headers: { 'content-type': BINARY_TYPE } }) : await push(app, forgery);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ error: 'bad_signature' });
    }
    expect(state.status()).toMatchObject({ version: {}, pending: 0 });
    expect((await push(app, b.push())).statusCode).toBe(200);
  });

  it('refuses unsigned ops (a signature of zeros, another author\'s, or one that ends elsewhere) with 403 bad_signature', async () => {
    const { app, state } = setup();
    const b = peer();
    const c = author(2);
    c.edit((l) => l.insert(0, 9));
    const p = b.push();
    const refusals: SignedPush[] = [
      { ...p, proof: { ...p.proof, signature: new Uint8Array(64) } },
      { ...p, proof: c.push().proof },
      { ...p, proof: b.proofAt(3) },
      { ...p, ops: p.ops.slice(0, 3) },
    ];
    for (const r of refusals) {
      const res = await push(app, r);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ error: 'bad_signature' });
    }
    expect(state.status()).toMatchObject({ version: {}, pending: 0 });
    expect(state.status().replicas).toEqual({});
  });

  it('refuses a forged copy of an op it holds with 403 bad_signature, not as an equivocation', async () => {
    const { app, state } = setup();
    const b = peer();
    expect((await push(app, b.push())).statusCode).toBe(200);
    const res = await push(app, forged(b, 3, (op) => ({ ...(op as Op<number> & { type: 'insert' }), value: 7 })));
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: 'bad_signature' });
    expect(state.status()).toMatchObject({ version: { '1': 4 }, equivocations: [] });
    expect(state.hex).toBe('0203');
  });

  it('refuses a key that is not the author\'s with 403 key_mismatch, before and after it is known', async () => {
    const { app, state } = setup();
    const b = peer();
    const c = author(2);
    const p = b.push();
    let res = await push(app, { ...p, proof: { ...p.proof, key: c.key } });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: 'key_mismatch' });
    expect(state.status().version).toEqual({});
    expect((await push(app, { ...p, ops: p.ops.slice(0, 1), proof: b.proofAt(1) })).statusCode).toBe(200);
    const rest = b.push(1);
    res = await push(app, { ...rest, proof: { ...rest.proof, key: c.key } });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: 'key_mismatch' });
    expect(state.status().version).toEqual({ '1': 1 });
  });

  it('refuses 32 bytes that are no Ed25519 key with 400 bad_key', async () => {
    const { app, state } = setup();
    const p = peer().push();
    const res = await push(app, { ...p, proof: { ...p.proof, key: new Uint8Array(32).fill(0xff) } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'bad_key' });
    expect(state.status().version).toEqual({});
  });

  it('refuses ops of an author that do not run on from what it holds: 409 unknown_feed, then 409 gap; nothing is held pending', async () => {
    const { app, state } = setup();
    const b = peer();
    let res = await push(app, b.push(1));
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ error: 'unknown_feed' });
    expect(state.status()).toMatchObject({ version: {}, pending: 0 });
    const p = b.push();
    expect((await push(app, { ...p, ops: p.ops.slice(0, 2), proof: b.proofAt(2) })).statusCode).toBe(200);
    res = await push(app, b.push(3));
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ error: 'gap' });
    expect(state.status()).toMatchObject({ version: { '1': 2 }, pending: 0 });
    expect((await push(app, b.push(2))).json()).toEqual({ applied: 2, duplicate: 0, pending: 0 });
    expect(state.hex).toBe('0203');
  });

  it('logs a refused push with its address and sender, and counts it', async () => {
    const { app, state, logs } = setup();
    const b = peer();
    await push(app, forged(b, 1, (op) => ({ ...(op as Op<number> & { type: 'insert' }), value: 0 })));
    const line = logs.find((l) => String(l.msg).includes('refused (bad_signature)'));
    expect(line).toMatchObject({ level: 40, code: 'bad_signature', ip: expect.any(String) });
    expect(state.refused.get('POST /genome')?.get('bad_signature')).toBe(1);
  });
});

describe('binary wire v3', () => {
  const postBinary = (app: ReturnType<typeof actorApp>['app'], bytes: Uint8Array) =>
    app.inject({ method: 'POST', url: '/genome', payload: Buffer.from(bytes), headers: { 'content-type': BINARY_TYPE } });

  it('takes a binary push, the same as its JSON twin', async () => {
    const { app, state } = setup();
    const b = peer();
    const res = await postBinary(app, binaryPush(b.push()));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ applied: 4, duplicate: 0, pending: 0 });
    expect(state.hex).toBe('0203');
    expect((await postBinary(app, binaryPush(b.push()))).json()).toEqual({ applied: 0, duplicate: 4, pending: 0 });
    expect((await push(app, b.push())).json()).toEqual({ applied: 0, duplicate: 4, pending: 0 });
  });

  it('answers a sync in binary when asked to, with what JSON would say', async () => {
    const { app } = setup();
    const { first, then, dependent } = dependentPushes();
    await postBinary(app, binaryPush(first));
    await postBinary(app, binaryPush(then));
    const asker = author(3);
    const body = encodeSyncRequest(asker.actor, new Map([[dependent.actor, 1]]));
    const bin = await app.inject({ method: 'POST', url: '/sync', payload: body, headers: { 'content-type': 'application/json', accept: BINARY_TYPE } });
    expect(bin.headers['content-type']).toMatch(BINARY_TYPE);
    const json = await app.inject({ method: 'POST', url: '/sync', payload: body, headers: { 'content-type': 'application/json' } });
    const page = decodeSyncReply(json.json());
    expect(page.ops).toHaveLength(3);
    expect(page.proofs).toHaveLength(2);
    // Decoded from a plain Uint8Array, as JSON's decoder gives its keys and signatures.
    expect(decodeBinarySyncReply(new Uint8Array(bin.rawPayload))).toEqual(page);
  });

  it('refuses damaged or hostile binary pushes with 400, applying nothing', async () => {
    const { app, state } = setup();
    const p = peer().push();
    const good = encodeBinaryPush(p.from, p.ops, p.proof);
    // The push without its batch's last byte (an empty batch is one byte: a count of 0).
    const empty = encodeBinaryPush(p.from, [], p.proof);
    const head = empty.subarray(0, empty.length - 1);
    const bad: Uint8Array[] = [
      good.subarray(0, good.length - 1),
      Uint8Array.from([...good, 7]),
      Uint8Array.from([0x50, 0x01, ...good.subarray(2)]),
      Uint8Array.from([0x50, 0x02, ...good.subarray(2)]),
      encodeBinaryPush(p.from, [{ type: 'insert', id: { actor: p.from, counter: 1 }, value: 300, left: null, right: null }], p.proof),
      // A batch claiming 2^27 ops.
      Uint8Array.from([...head, 0x80, 0x80, 0x80, 0x40, 1, 1, 1, 1, 1, 0]),
      // A proof whose signature ends early.
      head.subarray(0, head.length - 10),
      new Uint8Array(0),
    ];
    for (const bytes of bad) {
      const res = await postBinary(app, bytes);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid_body' });
    }
    expect(state.status().version).toEqual({});
    expect((await postBinary(app, good)).statusCode).toBe(200);
  });
});

describe('POST /sync', () => {
  const sync = (app: ReturnType<typeof actorApp>['app'], body: unknown) =>
    app.inject({ method: 'POST', url: '/sync', payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

  it('answers with its version and the ops the asker lacks, in causal order, each feed with its signed point', async () => {
    const { app, state } = setup();
    const { first, then, origin, dependent } = dependentPushes();
    await push(app, first);
    await push(app, then);
    const asker = author(3).actor;
    const [c, b] = [origin.actor, dependent.actor];
    let res = await sync(app, { v: 2, from: asker, version: {} });
    expect(res.statusCode).toBe(200);
    const proofs = [encodeProof(first.proof), encodeProof(then.proof)];
    const heads = state.replica.replicator.feeds.heads(state.replica.list.version()).map((h) => ({ actor: h.actor, counter: h.counter, signature: Buffer.from(h.signature).toString('hex'), tailed: h.tailed }));
    expect(heads.map((h) => [h.actor, h.counter])).toEqual(expect.arrayContaining([[c, 1], [b, 3]]));
    // With what it had retired, having heard the asker (what a new incarnation waits for).
    expect(res.json()).toEqual({ v: 2, from: state.incarnation, version: { [c]: 1, [b]: 3 }, ops: [...first.ops, ...then.ops].map(encodeOp), proofs, forks: [], heads, more: false, retired: {} });
    res = await sync(app, { v: 2, from: asker, version: { [c]: 1, [b]: 2 } });
    expect(res.json()).toMatchObject({ ops: [encodeOp(then.ops[2] as Op<number>)], proofs: [encodeProof(then.proof)], more: false });
    res = await sync(app, { v: 2, from: asker, version: { [c]: 1, [b]: 3, '7': 9 } });
    expect(res.json()).toMatchObject({ ops: [], proofs: [], more: false });
    // What it answers, a fresh replica takes whole, checking each feed against its author's signature.
    const fresh = newReplica(3, { peers: ['actor'] });
    const page = decodeSyncReply((await sync(app, { v: 2, from: fresh.actor, version: {} })).json());
    const outcome = fresh.onReply('actor', { type: 'sync', from: fresh.actor, version: new Map() }, { type: 'sync', ...page }, 0);
    expect(outcome).toMatchObject({ refused: [], refusals: [] });
    expect(outcome.accepted).toHaveLength(4);
    expect(fresh.list.toArray()).toEqual(state.replica.list.toArray());
  });

  it('does not send ops it holds pending, nor claim them', async () => {
    const { app } = setup();
    const { then } = dependentPushes();
    await push(app, then);
    const res = await sync(app, { v: 2, from: author(3).actor, version: {} });
    expect(res.json()).toEqual({ v: 2, from: expect.any(Number), version: {}, ops: [], proofs: [], forks: [], heads: [], more: false, retired: {} });
  });

  const from = 3;
  const bad: Array<[string, unknown]> = [
    ['no version', { v: 2, from }],
    ['a version that is not an object', { v: 2, from, version: [1, 2] }],
    ['a non-numeric actor key', { v: 2, from, version: { x: 1 } }],
    ['a negative counter', { v: 2, from, version: { '1': -1 } }],
    ['a fractional counter', { v: 2, from, version: { '1': 0.5 } }],
    ['a counter as a string', { v: 2, from, version: { '1': '2' } }],
    ['an actor key out of range', { v: 2, from, version: { [String(2 ** 53)]: 1 } }],
    ['an actor key of 17 digits', { v: 2, from, version: { '12345678901234567': 1 } }],
    ['a catch-up flag (gone from the wire)', { v: 2, from, version: {}, catchUp: true }],
    ['a retire report without its own count', { v: 2, from, version: {}, retired: { '1': 1 } }],
    ['an own count without what was retired', { v: 2, from, version: {}, own: 3 }],
    ['a retired version with a bad key', { v: 2, from, version: {}, retired: { x: 1 }, own: 3 }],
    ['a negative own count', { v: 2, from, version: {}, retired: {}, own: -1 }],
    ['wire version 1', { v: 1, from, version: {} }],
    ['another wire version', { v: 9, from, version: {} }],
  ];
  for (const [what, body] of bad) {
    it(`answers 400 to ${what}`, async () => {
      const { app } = setup();
      const res = await sync(app, body);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid_body' });
    });
  }

  it('answers the same request, well formed, with 200, with a retire report or without', async () => {
    const { app } = setup();
    expect((await sync(app, { v: 2, from, version: { '1': 1 } })).statusCode).toBe(200);
    expect((await sync(app, { v: 2, from, version: { '1': 1 }, retired: { '1': 1 }, own: 0 })).statusCode).toBe(200);
  });
});
