import { afterEach, describe, expect, it } from 'vitest';
import { BINARY_TYPE, decodeSyncAnswer } from '../src/transport/binary-wire.js';
import { actorApp, type ActorApp } from './helpers/actor-app.js';

describe('a peer of another wire version', () => {
  let actor: ActorApp | undefined;
  afterEach(async () => {
    await actor?.app.close();
    actor = undefined;
  });

  it('is refused with 400 `invalid_body`, saying which versions this actor speaks, and logged at error', async () => {
    actor = actorApp(0);
    const cases: Array<[string, Buffer | string, string]> = [
      ['/genome', JSON.stringify({ v: 3, from: 1, ops: [] }), 'application/json'],
      ['/sync', JSON.stringify({ v: 3, from: 1, version: {} }), 'application/json'],
      ['/genome', Buffer.from([0x50, 3, 1, 0]), BINARY_TYPE],
    ];
    for (const [url, payload, type] of cases) {
      const res = await actor.app.inject({ method: 'POST', url, payload, headers: { 'content-type': type } });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid_body', message: expect.stringMatching(/wire version 3: this actor speaks wire versions 1 \(JSON\) and 2 \(binary\)/) });
    }
    expect(actor.logs.some((l) => l.level === 50 && String(l.msg).includes('wire version 3'))).toBe(true);
  });

  it('answers that the asker cannot read are refused with the same words', () => {
    expect(() => decodeSyncAnswer('application/json', Buffer.from(JSON.stringify({ v: 3, from: 1 })))).toThrow(/the peer answered with a JSON message of wire version 3: this actor speaks/);
    expect(() => decodeSyncAnswer(BINARY_TYPE, Uint8Array.from([0x53, 3, 1]))).toThrow(/a binary sync reply of wire version 3: this actor speaks/);
  });
});
