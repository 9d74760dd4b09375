import { afterEach, describe, expect, it } from 'vitest';
import { BINARY_TYPE } from '../src/transport/binary-wire.js';
import { decodeSyncAnswer } from '../src/transport/wire.js';
import { actorApp, type ActorApp } from './helpers/actor-app.js';

const SPEAKS = /this actor speaks wire versions 2 \(JSON\) and 6 \(binary\)/;

describe('a peer of another wire version', () => {
  let actor: ActorApp | undefined;
  afterEach(async () => {
    await actor?.app.close();
    actor = undefined;
  });

  it('is refused with 400 `invalid_body`, saying which versions this actor speaks, and logged at error', async () => {
    actor = actorApp(0);
    // Older peers (JSON v1, binary v2: before ops were signed; binary v3: before bases and `retired`;
    // binary v4: sync requests in JSON, vectors and heads whole; binary v5: no head in a sync
    // request's report) and a newer one.
    const cases: Array<[string, Buffer | string, string, number]> = [
      ['/genome', JSON.stringify({ v: 1, from: 1, ops: [] }), 'application/json', 1],
      ['/sync', JSON.stringify({ v: 1, from: 1, version: {} }), 'application/json', 1],
      ['/genome', Buffer.from([0x50, 2, 1, 0]), BINARY_TYPE, 2],
      ['/genome', Buffer.from([0x50, 3, 1, 0]), BINARY_TYPE, 3],
      ['/genome', JSON.stringify({ v: 3, from: 1, ops: [] }), 'application/json', 3],
      ['/sync', JSON.stringify({ v: 3, from: 1, version: {} }), 'application/json', 3],
      ['/genome', Buffer.from([0x50, 4, 1, 0]), BINARY_TYPE, 4],
      ['/sync', Buffer.from([0x51, 4, 1, 0]), BINARY_TYPE, 4],
      ['/genome', Buffer.from([0x50, 5, 1, 0]), BINARY_TYPE, 5],
      ['/sync', Buffer.from([0x51, 5, 1, 0]), BINARY_TYPE, 5],
      ['/genome', Buffer.from([0x50, 7, 1, 0]), BINARY_TYPE, 7],
      ['/sync', Buffer.from([0x51, 7, 1, 0]), BINARY_TYPE, 7],
    ];
    for (const [url, payload, type, version] of cases) {
      const res = await actor.app.inject({ method: 'POST', url, payload, headers: { 'content-type': type } });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid_body', message: expect.stringMatching(new RegExp(`wire version ${version}: ${SPEAKS.source}`)) });
    }
    // Logged at error, the first of them; the rest from the same address within 10 s are counted, not logged.
    const lines = actor.logs.filter((l) => SPEAKS.test(String(l.msg)));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50, msg: expect.stringContaining('wire version 1') });
    expect(actor.state.replica.list.version().size).toBe(0);
  });

  it('answers that the asker cannot read are refused with the same words', () => {
    for (const v of [1, 3]) {
      expect(() => decodeSyncAnswer('application/json', Buffer.from(JSON.stringify({ v, from: 1 })))).toThrow(new RegExp(`the peer answered with a JSON message of wire version ${v}: ${SPEAKS.source}`));
    }
    for (const v of [2, 3, 4, 5, 7]) {
      expect(() => decodeSyncAnswer(BINARY_TYPE, Uint8Array.from([0x53, v, 1]))).toThrow(new RegExp(`a binary sync reply of wire version ${v}: ${SPEAKS.source}`));
    }
  });
});
