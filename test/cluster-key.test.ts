import { afterEach, describe, expect, it } from 'vitest';
import { actorId } from '../src/crdt/ids.js';
import { ReferenceList } from '../src/crdt/ReferenceList.js';
import { BINARY_TYPE, encodeBinaryPush } from '../src/transport/binary-wire.js';
import { MAC_HEADERS, MAC_WINDOW_MS, MacGuard, signRequest } from '../src/transport/cluster-mac.js';
import { encodeSyncRequest } from '../src/transport/wire.js';
import { actorApp, holdings, type ActorApp } from './helpers/actor-app.js';

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
    expect(() => new MacGuard('too-short')).toThrow(/at least 16/);
  });
});

describe('replication routes with a cluster key', () => {
  let actor: ActorApp | undefined;
  afterEach(async () => {
    await actor?.app.close();
    actor = undefined;
  });
  const ops = () => {
    const one = new ReferenceList<number>(actorId(1));
    return [one.insert(0, 4), one.insert(1, 5)];
  };
  const push = (app: ActorApp, body: Uint8Array, headers: Record<string, string>) =>
    app.app.inject({ method: 'POST', url: '/genome', payload: Buffer.from(body), headers: { 'content-type': BINARY_TYPE, ...headers } });

  it('refuses an unsigned, wrongly signed, replayed or altered push with 401 before its body is parsed, applying nothing', async () => {
    actor = actorApp(0, undefined, null, KEY);
    const body = encodeBinaryPush(actorId(1), ops());
    const before = holdings(actor.state);
    for (const headers of [{}, signRequest('another-key-0123456789', 'POST', '/genome', 1, body, Date.now())]) {
      const res = await push(actor, body, headers);
      expect({ status: res.statusCode, error: res.json().error }).toEqual({ status: 401, error: 'unauthorized' });
    }
    // An unparseable body is refused for its missing MAC, not for its shape: the MAC comes first.
    const junk = await actor.app.inject({ method: 'POST', url: '/genome', payload: '{not json', headers: { 'content-type': 'application/json' } });
    expect(junk.statusCode).toBe(401);
    const altered = await push(actor, Uint8Array.from([...body.slice(0, -1), 9]), signRequest(KEY, 'POST', '/genome', 1, body, Date.now()));
    expect(altered.statusCode).toBe(401);
    expect(holdings(actor.state)).toEqual(before);

    const headers = signRequest(KEY, 'POST', '/genome', 1, body, Date.now());
    expect((await push(actor, body, headers)).json()).toEqual({ applied: 2, duplicate: 0, pending: 0 });
    expect((await push(actor, body, headers)).statusCode).toBe(401);
    expect(actor.state.hex).toBe('0405');
    expect(actor.logs.some((l) => String(l.msg).includes('refused: no cluster MAC'))).toBe(true);
    expect(JSON.stringify(actor.logs)).not.toContain(KEY);
  });

  it('answers a signed sync; leaves the read-only routes open', async () => {
    actor = actorApp(0, undefined, null, KEY);
    const body = encodeSyncRequest(actorId(1), new Map());
    const unsigned = await actor.app.inject({ method: 'POST', url: '/sync', payload: body, headers: { 'content-type': 'application/json' } });
    expect(unsigned.statusCode).toBe(401);
    const signed = await actor.app.inject({ method: 'POST', url: '/sync', payload: body, headers: { 'content-type': 'application/json', ...signRequest(KEY, 'POST', '/sync', 1, body, Date.now()) } });
    expect(signed.statusCode).toBe(200);
    for (const url of ['/genome', '/status', '/healthz', '/metrics']) expect((await actor.app.inject({ url })).statusCode).toBe(200);
  });
});
