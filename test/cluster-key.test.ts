import { afterEach, describe, expect, it } from 'vitest';
import { MAX_ACTOR } from '../src/crdt/ids.js';
import { BINARY_TYPE } from '../src/transport/binary-wire.js';
import { MAC_HEADERS, MAC_WINDOW_MS, MacGuard, signRequest } from '../src/transport/cluster-mac.js';
import { encodeSyncRequest } from '../src/transport/wire.js';
import { actorApp, holdings, type ActorApp } from './helpers/actor-app.js';
import { author, binaryPush, type Author } from './helpers/pushes.js';

const KEY = 'cluster-key-0123456789abcdef';
const T0 = 1_800_000_000_000;

describe('MacGuard', () => {
  const body = Buffer.from('{"v":1}');
  const signed = (over: Partial<{ key: string; method: string; path: string; sender: number; body: Uint8Array; time: number }> = {}) =>
    signRequest(over.key ?? KEY, over.method ?? 'POST', over.path ?? '/genome', over.sender ?? 1, over.body ?? body, over.time ?? T0);

  it('takes a request signed with the key, once', () => {
    const guard = new MacGuard(KEY, () => T0 + 1000);
    expect(guard.problem('POST', '/genome', signed(), body)).toBeNull();
    expect(guard.problem('POST', '/genome', signed(), body)).toBe('replayed request');
  });

  it('refuses another key, method, path, sender or body', () => {
    const guard = new MacGuard(KEY, () => T0);
    const claims = (headers: Record<string, string>, method = 'POST', path = '/genome', b: Uint8Array = body) => guard.problem(method, path, headers, b);
    expect(claims(signed({ key: 'another-key-0123456789' }))).toBe('wrong cluster MAC');
    expect(claims(signed(), 'PUT')).toBe('wrong cluster MAC');
    expect(claims(signed(), 'POST', '/sync')).toBe('wrong cluster MAC');
    expect(claims({ ...signed(), [MAC_HEADERS.sender]: '2' })).toBe('wrong cluster MAC');
    expect(claims(signed(), 'POST', '/genome', Buffer.from('{"v":2}'))).toBe('wrong cluster MAC');
  });

  it('refuses a request from outside the time window either way: an old MAC replayed, or clocks apart', () => {
    const guard = new MacGuard(KEY, () => T0);
    expect(guard.problem('POST', '/genome', signed({ time: T0 - MAC_WINDOW_MS - 1 }), body)).toMatch(/outside the 30 s window/);
    expect(guard.problem('POST', '/genome', signed({ time: T0 + MAC_WINDOW_MS + 1 }), body)).toMatch(/outside/);
    expect(guard.problem('POST', '/genome', signed({ time: T0 - MAC_WINDOW_MS }), body)).toBeNull();
  });

  it('refuses missing, truncated or malformed headers, and a key under 16 characters', () => {
    const guard = new MacGuard(KEY, () => T0);
    const good = signed();
    expect(guard.headerProblem({})).toBe('no cluster MAC');
    expect(guard.headerProblem({ ...good, [MAC_HEADERS.mac]: (good[MAC_HEADERS.mac] as string).slice(0, 63) })).toBe('malformed cluster MAC headers');
    expect(guard.headerProblem({ ...good, [MAC_HEADERS.time]: 'soon' })).toBe('malformed cluster MAC headers');
    expect(guard.headerProblem({ ...good, [MAC_HEADERS.sender]: '-1' })).toBe('malformed cluster MAC headers');
    // The sender is an author id (an incarnation of a member): up to 16 digits, not 17.
    expect(guard.headerProblem(signed({ sender: MAX_ACTOR }))).toBeNull();
    expect(guard.headerProblem({ ...good, [MAC_HEADERS.sender]: '12345678901234567' })).toBe('malformed cluster MAC headers');
    expect(() => new MacGuard('too-short')).toThrow(/at least 16/);
  });
});

describe('replication routes with a cluster key', () => {
  let actor: ActorApp | undefined;
  afterEach(async () => {
    await actor?.app.close();
    actor = undefined;
  });
  /** Member 1's incarnation, with two ops (genes 4, 5), signed. */
  const peer = (): Author => {
    const one = author(1);
    one.edit((l) => l.insert(0, 4));
    one.edit((l) => l.insert(1, 5));
    return one;
  };
  const push = (app: ActorApp, body: Uint8Array, headers: Record<string, string>) =>
    app.app.inject({ method: 'POST', url: '/genome', payload: Buffer.from(body), headers: { 'content-type': BINARY_TYPE, ...headers } });

  it('refuses an unsigned, wrongly signed, replayed or altered push with 401 before its body is parsed, applying nothing', async () => {
    actor = actorApp(0, undefined, null, KEY);
    const one = peer();
    const body = binaryPush(one.push());
    const before = holdings(actor.state);
    for (const headers of [{}, signRequest('another-key-0123456789', 'POST', '/genome', one.actor, body, Date.now())]) {
      const res = await push(actor, body, headers);
      expect({ status: res.statusCode, error: res.json().error }).toEqual({ status: 401, error: 'unauthorized' });
    }
    // An unparseable body is refused for its missing MAC, not for its shape: the MAC comes first.
    const junk = await actor.app.inject({ method: 'POST', url: '/genome', payload: '{not json', headers: { 'content-type': 'application/json' } });
    expect(junk.statusCode).toBe(401);
    const altered = await push(actor, Uint8Array.from([...body.subarray(0, -1), 9]), signRequest(KEY, 'POST', '/genome', one.actor, body, Date.now()));
    expect(altered.statusCode).toBe(401);
    expect(holdings(actor.state)).toEqual(before);

    const headers = signRequest(KEY, 'POST', '/genome', one.actor, body, Date.now());
    expect((await push(actor, body, headers)).json()).toEqual({ applied: 2, duplicate: 0, pending: 0 });
    expect((await push(actor, body, headers)).statusCode).toBe(401);
    expect(actor.state.hex).toBe('0405');
    expect(actor.logs.some((l) => String(l.msg).includes('refused: no cluster MAC'))).toBe(true);
    expect(JSON.stringify(actor.logs)).not.toContain(KEY);
  });

  it('takes the MAC as proof of membership, not of authorship: a push with a valid MAC and a forged op is 403 bad_signature', async () => {
    actor = actorApp(0, undefined, null, KEY);
    const one = peer();
    const p = one.push();
    const op = p.ops[1];
    if (op?.type !== 'insert') throw new Error('expected an insert');
    const body = binaryPush({ ...p, ops: [p.ops[0]!, { ...op, value: 6 }] });
    const res = await push(actor, body, signRequest(KEY, 'POST', '/genome', one.actor, body, Date.now()));
    expect({ status: res.statusCode, error: res.json().error }).toEqual({ status: 403, error: 'bad_signature' });
    expect(actor.state.status()).toMatchObject({ version: {}, pending: 0 });
  });

  it('answers a signed sync; leaves the read-only routes open', async () => {
    actor = actorApp(0, undefined, null, KEY);
    const asker = author(1).actor;
    const body = encodeSyncRequest(asker, new Map());
    const unsigned = await actor.app.inject({ method: 'POST', url: '/sync', payload: body, headers: { 'content-type': 'application/json' } });
    expect(unsigned.statusCode).toBe(401);
    const signed = await actor.app.inject({ method: 'POST', url: '/sync', payload: body, headers: { 'content-type': 'application/json', ...signRequest(KEY, 'POST', '/sync', asker, body, Date.now()) } });
    expect(signed.statusCode).toBe(200);
    for (const url of ['/genome', '/status', '/healthz', '/metrics']) expect((await actor.app.inject({ url })).statusCode).toBe(200);
  });
});
