import { afterEach, describe, expect, it } from 'vitest';
import { actorId } from '../src/crdt/ids.js';
import type { Op } from '../src/crdt/ops.js';
import { ReferenceList } from '../src/crdt/ReferenceList.js';
import { digest } from '../src/genome/render.js';
import { ownOpsAfter } from '../src/sync/pages.js';
import { BATCH_BYTES, BODY_LIMIT, encodeOp, encodePush, MAX_BATCH_OPS, wireSize } from '../src/transport/wire.js';
import { BINARY_TYPE, decodeBinarySyncReply, encodeBinaryPush } from '../src/transport/binary-wire.js';
import { decodeSyncReply } from '../src/transport/wire.js';
import { actorApp } from './helpers/actor-app.js';

/** Ops made by a peer (actor 1): genes 1, 2, 3 then a delete of the first. */
function peerOps(): Op<number>[] {
  const peer = new ReferenceList<number>(actorId(1));
  return [peer.insert(0, 1), peer.insert(1, 2), peer.insert(2, 3), peer.delete(0)];
}
const batch = (ops: Op<number>[], from = 1) => JSON.stringify({ v: 1, from, ops: ops.map(encodeOp) });

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

  it('GET /status reports actor, length, digest, version, pending, matchCount, messages, faults', async () => {
    const { app, state } = setup();
    state.replica.edit((list) => list.insert(0, 7));
    const res = await app.inject({ url: '/status' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      actor: 0, length: 1, digest: digest('07'), version: { '0': 1 }, pending: 0, matchCount: 0, mutations: 1,
      messages: { sent: 0, dropped: 0, failed: 0, blocked: 0, syncRounds: 0, bytesIn: 0, bytesOut: 0 },
      faults: { dropRate: 0, partition: [], pauseMutations: false },
    });
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
  it('applies a batch; replaying it changes nothing; an empty batch is fine', async () => {
    const { app, state } = setup();
    const ops = peerOps();
    let res = await post(app, batch(ops));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ applied: 4, duplicate: 0, pending: 0 });
    expect(state.hex).toBe('0203');
    res = await post(app, batch(ops));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ applied: 0, duplicate: 4, pending: 0 });
    expect(state.hex).toBe('0203');
    expect((await post(app, batch([]))).statusCode).toBe(200);
  });

  it('holds out-of-order ops as pending and applies them when the gap fills', async () => {
    const { app, state } = setup();
    const ops = peerOps();
    expect((await post(app, batch(ops.slice(1)))).json()).toEqual({ applied: 0, duplicate: 0, pending: 3 });
    expect(state.status().pending).toBe(3);
    expect((await post(app, batch(ops.slice(0, 1)))).json()).toEqual({ applied: 1, duplicate: 0, pending: 0 });
    expect(state.status()).toMatchObject({ pending: 0, version: { '1': 4 } });
    expect(state.hex).toBe('0203');
  });

  it('answers 503 when the pending set is full, and takes the ops once their dependencies arrive', async () => {
    const { app, state } = setup(2);
    const ops = peerOps();
    const res = await post(app, batch(ops.slice(1)));
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ error: 'pending_full' });
    expect(state.status().pending).toBe(2);
    expect((await post(app, batch(ops))).statusCode).toBe(200);
    expect(state.status()).toMatchObject({ pending: 0, version: { '1': 4 } });
  });

  it('refuses an equivocation with 409, logs it with the sender, applies nothing of the batch', async () => {
    const { app, state, logs } = setup();
    const ops = peerOps();
    await post(app, batch(ops.slice(0, 2)));
    const forged = { ...(ops[1] as Op<number> & { type: 'insert' }), value: 99 };
    const res = await post(app, batch([ops[2] as Op<number>, forged], 1));
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ error: 'equivocation' });
    expect(state.status().version).toEqual({ '1': 2 });
    const line = logs.find((l) => String(l.msg).includes('equivocation'));
    expect(line).toMatchObject({ level: 50, sender: 1 });
  });

  it('refuses two ops with one id and different content inside one batch', async () => {
    const { app, state } = setup();
    const [first] = peerOps() as [Op<number> & { type: 'insert' }];
    const res = await post(app, batch([first, { ...first, value: 42 }]));
    expect(res.statusCode).toBe(409);
    expect(state.status().version).toEqual({});
  });

  it('refuses a push carrying ops of another actor than its sender, or claiming to come from this actor', async () => {
    const { app, state } = setup();
    const ops = peerOps();
    let res = await post(app, batch(ops, 2));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid_op' });
    const mine = new ReferenceList<number>(actorId(0)).insert(0, 1);
    res = await post(app, batch([mine], 0));
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/from this actor/);
    expect(state.status().version).toEqual({});
  });

  it('refuses a batch whose op names a delete of the same batch, applying nothing', async () => {
    const { app, state } = setup();
    const ops = peerOps();
    const bad = { type: 'insert', id: [1, 5], value: 5, left: [1, 4], right: null };
    const res = await post(app, JSON.stringify({ v: 1, from: 1, ops: [...ops.map(encodeOp), bad] }));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid_op' });
    expect(state.status().version).toEqual({});
  });

  it('refuses an op whose origin is a delete, applying nothing', async () => {
    const { app, state } = setup();
    const ops = peerOps();
    await post(app, batch(ops));
    const bad = { type: 'insert', id: [2, 1], value: 5, left: [1, 4], right: null };
    const res = await post(app, JSON.stringify({ v: 1, from: 2, ops: [bad] }));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid_op' });
    expect(state.status().version).toEqual({ '1': 4 });
  });

  const ins = { type: 'insert', id: [1, 1], value: 5, left: null, right: null };
  const bad: Array<[string, string]> = [
    ['not JSON', '{"v":1,'],
    ['a JSON array', '[]'],
    ['a JSON string', '"hello"'],
    ['missing ops', '{"v":1,"from":1}'],
    ['ops not an array', '{"v":1,"from":1,"ops":{}}'],
    ['an unknown wire version', JSON.stringify({ v: 2, from: 1, ops: [] })],
    ['an unknown field', JSON.stringify({ v: 1, from: 1, ops: [], extra: 1 })],
    ['an unknown op type', JSON.stringify({ v: 1, from: 1, ops: [{ ...ins, type: 'move' }] })],
    ['a gene above 255', JSON.stringify({ v: 1, from: 1, ops: [{ ...ins, value: 256 }] })],
    ['a negative gene', JSON.stringify({ v: 1, from: 1, ops: [{ ...ins, value: -1 }] })],
    ['a fractional gene', JSON.stringify({ v: 1, from: 1, ops: [{ ...ins, value: 1.5 }] })],
    ['a gene as a string', JSON.stringify({ v: 1, from: 1, ops: [{ ...ins, value: '5' }] })],
    ['a zero counter', JSON.stringify({ v: 1, from: 1, ops: [{ ...ins, id: [1, 0] }] })],
    ['a negative counter', JSON.stringify({ v: 1, from: 1, ops: [{ ...ins, id: [1, -3] }] })],
    ['a fractional counter', JSON.stringify({ v: 1, from: 1, ops: [{ ...ins, id: [1, 2.5] }] })],
    ['an id of three numbers', JSON.stringify({ v: 1, from: 1, ops: [{ ...ins, id: [1, 2, 3] }] })],
    ['a delete without target', JSON.stringify({ v: 1, from: 1, ops: [{ type: 'delete', id: [1, 1] }] })],
    ['a valid op beside a bad one', JSON.stringify({ v: 1, from: 1, ops: [ins, { ...ins, id: [1, 2], value: 300 }] })],
    ['deep nesting', `{"v":1,"from":1,"ops":${'['.repeat(200_000)}${']'.repeat(200_000)}}`],
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

  it('refuses a body that is neither JSON nor binary, applying nothing', async () => {
    const { app, state } = setup();
    const res = await post(app, batch(peerOps()), 'text/plain');
    expect(res.statusCode).toBe(415);
    expect(res.json()).toMatchObject({ error: 'unsupported_media_type' });
    expect(state.status().version).toEqual({});
  });

  it('answers 413 to a body over the limit', async () => {
    const { app, state } = setup();
    const huge = JSON.stringify({ v: 1, from: 1, ops: [], pad: 'x'.repeat(BODY_LIMIT) });
    const res = await post(app, huge);
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ error: 'body_too_large' });
    expect(state.status().version).toEqual({});
  });

  it('accepts every batch the sender splits a large backlog into', async () => {
    const { app, state } = setup();
    const peer = new ReferenceList<number>(actorId(1));
    const ops = Array.from({ length: 8_000 }, (_, i) => peer.insert(i % 7 === 0 ? 0 : peer.length, i % 256));
    const limits = { maxOps: MAX_BATCH_OPS, maxBytes: BATCH_BYTES, sizeOf: wireSize };
    let batches = 0;
    for (let sent = 0; sent < ops.length; batches++) {
      const batch = ownOpsAfter(peer, sent, limits);
      expect(encodePush(actorId(1), batch).length).toBeLessThan(BODY_LIMIT);
      expect((await post(app, encodePush(actorId(1), batch))).statusCode).toBe(200);
      sent += batch.length;
    }
    expect(batches).toBeGreaterThan(1);
    expect(state.status().version).toEqual({ '1': 8_000 });
    expect(state.replica.list.toArray()).toEqual(peer.toArray());
  });
});

describe('binary wire v2', () => {
  const postBinary = (app: ReturnType<typeof actorApp>['app'], bytes: Uint8Array) =>
    app.inject({ method: 'POST', url: '/genome', payload: Buffer.from(bytes), headers: { 'content-type': BINARY_TYPE } });

  it('takes a binary push, the same as its JSON twin', async () => {
    const { app, state } = setup();
    const ops = peerOps();
    const res = await postBinary(app, encodeBinaryPush(actorId(1), ops));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ applied: 4, duplicate: 0, pending: 0 });
    expect(state.hex).toBe('0203');
    expect((await postBinary(app, encodeBinaryPush(actorId(1), ops))).json()).toEqual({ applied: 0, duplicate: 4, pending: 0 });
  });

  it('answers a sync in binary when asked to, with what JSON would say', async () => {
    const { app } = setup();
    await postBinary(app, encodeBinaryPush(actorId(1), peerOps()));
    const body = JSON.stringify({ v: 1, from: 3, version: { '1': 1 } });
    const bin = await app.inject({ method: 'POST', url: '/sync', payload: body, headers: { 'content-type': 'application/json', accept: BINARY_TYPE } });
    expect(bin.headers['content-type']).toMatch(BINARY_TYPE);
    const json = await app.inject({ method: 'POST', url: '/sync', payload: body, headers: { 'content-type': 'application/json' } });
    expect(decodeBinarySyncReply(bin.rawPayload)).toEqual(decodeSyncReply(json.json()));
  });

  it('refuses damaged or hostile binary pushes with 400, applying nothing', async () => {
    const { app, state } = setup();
    const good = encodeBinaryPush(actorId(1), peerOps());
    const bad: Uint8Array[] = [
      good.subarray(0, good.length - 1),
      Uint8Array.from([...good, 7]),
      Uint8Array.from([0x50, 0x01, ...good.subarray(2)]),
      encodeBinaryPush(actorId(1), [{ type: 'insert', id: { actor: actorId(1), counter: 1 }, value: 300, left: null, right: null }]),
      Uint8Array.from([0x50, 0x02, 1, 0x80, 0x80, 0x80, 0x40, 1, 1, 1, 1, 1, 0]),
      new Uint8Array(0),
    ];
    for (const bytes of bad) {
      const res = await postBinary(app, bytes);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid_body' });
    }
    expect(state.status().version).toEqual({});
  });
});

describe('POST /sync', () => {
  const sync = (app: ReturnType<typeof actorApp>['app'], body: unknown) =>
    app.inject({ method: 'POST', url: '/sync', payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

  it('answers with its version and the ops the asker lacks, in causal order', async () => {
    const { app } = setup();
    const ops = peerOps();
    await post(app, batch(ops));
    let res = await sync(app, { v: 1, from: 3, version: {} });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ v: 1, from: 0, version: { '1': 4 }, ops: ops.map(encodeOp), more: false, yours: 0 });
    res = await sync(app, { v: 1, from: 3, version: { '1': 3 } });
    expect(res.json()).toMatchObject({ ops: [encodeOp(ops[3] as Op<number>)], more: false });
    res = await sync(app, { v: 1, from: 3, version: { '1': 4, '7': 9 } });
    expect(res.json()).toMatchObject({ ops: [], more: false });
  });

  const bad: Array<[string, unknown]> = [
    ['no version', { v: 1, from: 3 }],
    ['a version that is not an object', { v: 1, from: 3, version: [1, 2] }],
    ['a non-numeric actor key', { v: 1, from: 3, version: { x: 1 } }],
    ['a negative counter', { v: 1, from: 3, version: { '1': -1 } }],
    ['a fractional counter', { v: 1, from: 3, version: { '1': 0.5 } }],
    ['a counter as a string', { v: 1, from: 3, version: { '1': '2' } }],
    ['an actor key out of range', { v: 1, from: 3, version: { '70000': 1 } }],
    ['another wire version', { v: 9, from: 3, version: {} }],
  ];
  for (const [what, body] of bad) {
    it(`answers 400 to ${what}`, async () => {
      const { app } = setup();
      const res = await sync(app, body);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid_body' });
    });
  }
});
