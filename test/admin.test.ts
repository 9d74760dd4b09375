import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startActor, type ActorOptions, type RunningActor } from '../src/actor/run.js';
import { peerIds } from '../src/cli/flags.js';
import { actorId, replicaId } from '../src/crdt/ids.js';
import { BINARY_TYPE } from '../src/transport/binary-wire.js';
import type { Faults } from '../src/web/types.js';
import { actorApp, type ActorApp } from './helpers/actor-app.js';
import type { SignedPush } from './helpers/feeds.js';
import { freeBase, waitFor } from './helpers/processes.js';
import { author, binaryPush, jsonPush } from './helpers/pushes.js';

const TOKEN = 'lab-token-0123456789';
const DEFAULTS: Faults = { dropRate: 0, partition: [], pauseMutations: false };

let current: ActorApp | undefined;
function setup(token: string | null = TOKEN): ActorApp {
  current = actorApp(0, undefined, token);
  return current;
}
afterEach(async () => {
  await current?.app.close();
  current = undefined;
});

const bearer = (token = TOKEN) => ({ authorization: `Bearer ${token}` });
function postFaults(app: ActorApp['app'], body: unknown, headers: Record<string, string> = bearer()) {
  return app.inject({ method: 'POST', url: '/admin/faults', payload: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
}
async function faultsOf(app: ActorApp['app']): Promise<{ admin: unknown; status: unknown }> {
  const admin = (await app.inject({ url: '/admin/faults', headers: bearer() })).json();
  const status = (await app.inject({ url: '/status' })).json().faults;
  return { admin, status };
}

describe('peer ids', () => {
  it('number the peers in actor-id order, skipping this actor', () => {
    expect(peerIds(['http://h:9000', 'http://h:9002', 'http://h:9003'], actorId(1))).toEqual(
      new Map([['http://h:9000', 0], ['http://h:9002', 2], ['http://h:9003', 3]]),
    );
    expect(peerIds(['http://h:9001', 'http://h:9002'], actorId(0))).toEqual(new Map([['http://h:9001', 1], ['http://h:9002', 2]]));
    expect(peerIds(['http://h:9000', 'http://h:9001'], actorId(2))).toEqual(new Map([['http://h:9000', 0], ['http://h:9001', 1]]));
  });
});

describe('/admin/faults without a token', () => {
  it('does not exist', async () => {
    const { app } = setup(null);
    for (const method of ['GET', 'POST'] as const) {
      const res = await app.inject({ method, url: '/admin/faults', headers: bearer() });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ error: 'not_found' });
    }
  });
});

describe('/admin/faults auth', () => {
  const refusals: Array<[string, Record<string, string>]> = [
    ['no Authorization header', {}],
    ['a wrong token', bearer('lab-token-0123456780')],
    ['a wrong token of another length', bearer('short')],
    ['the token without the Bearer scheme', { authorization: TOKEN }],
    ['the token under another scheme', { authorization: `Basic ${TOKEN}` }],
    ['an empty bearer', { authorization: 'Bearer ' }],
  ];
  for (const [what, headers] of refusals) {
    it(`answers 401 to ${what} and changes nothing`, async () => {
      const { app, state } = setup();
      const res = await postFaults(app, { dropRate: 1, partition: [1], pauseMutations: true }, headers);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ error: 'unauthorized', message: expect.any(String) });
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect((await app.inject({ url: '/admin/faults', headers })).statusCode).toBe(401);
      expect(await faultsOf(app)).toEqual({ admin: { faults: DEFAULTS }, status: DEFAULTS });
      expect(state.faults.dropRate).toBe(0);
    });
  }

  it('refuses before reading the body: a bad body without the token is 401, not 400', async () => {
    const { app } = setup();
    const res = await app.inject({ method: 'POST', url: '/admin/faults', payload: '{"dropRate":', headers: { 'content-type': 'application/json' } });
    expect(res.statusCode).toBe(401);
  });

  it('takes the scheme in any case', async () => {
    const { app } = setup();
    expect((await app.inject({ url: '/admin/faults', headers: { authorization: `bearer ${TOKEN}` } })).statusCode).toBe(200);
  });

  it('never logs the token', async () => {
    const { app, logs } = setup();
    await postFaults(app, { dropRate: 0.5 });
    await postFaults(app, { dropRate: 0.5 }, bearer('lab-token-0123456780'));
    expect(logs.length).toBeGreaterThan(0);
    expect(JSON.stringify(logs)).not.toContain(TOKEN);
  });
});

describe('POST /admin/faults', () => {
  it('applies a partial update, answers the full state, and shows it in /status', async () => {
    const { app, state, logs } = setup();
    let res = await postFaults(app, { dropRate: 0.25 });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ faults: { ...DEFAULTS, dropRate: 0.25 } });
    res = await postFaults(app, { partition: [3, 1] });
    expect(res.json()).toEqual({ faults: { dropRate: 0.25, partition: [1, 3], pauseMutations: false } });
    res = await postFaults(app, { pauseMutations: true });
    const all = { dropRate: 0.25, partition: [1, 3], pauseMutations: true };
    expect(res.json()).toEqual({ faults: all });
    expect(await postFaults(app, {}).then((r) => r.json())).toEqual({ faults: all });
    expect(await faultsOf(app)).toEqual({ admin: { faults: all }, status: all });
    expect(state.faults.cuts('http://anywhere')).toBe(false);
    expect(state.faults.refuses(3)).toBe(true);
    res = await postFaults(app, { dropRate: 0, partition: [], pauseMutations: false });
    expect(res.json()).toEqual({ faults: DEFAULTS });
    const lines = logs.filter((l) => String(l.msg).startsWith('faults set: '));
    expect(lines).toHaveLength(5);
    expect(lines[2]).toMatchObject({ level: 30, msg: 'faults set: dropRate=0.25 partition=[1,3] pauseMutations=true' });
  });

  const bad: Array<[string, string]> = [
    ['dropRate above 1', JSON.stringify({ dropRate: 1.5 })],
    ['a negative dropRate', JSON.stringify({ dropRate: -0.1 })],
    ['dropRate as a string', JSON.stringify({ dropRate: '0.5' })],
    ['a partition of strings', JSON.stringify({ partition: ['x'] })],
    ['a partition id as a numeric string', JSON.stringify({ partition: ['1'] })],
    ['a duplicate partition id', JSON.stringify({ partition: [1, 2, 1] })],
    ['a fractional partition id', JSON.stringify({ partition: [1.5] })],
    ['a negative partition id', JSON.stringify({ partition: [-1] })],
    ['a partition id above the largest actor id', JSON.stringify({ partition: [70000] })],
    ['a partition that is not an array', JSON.stringify({ partition: 1 })],
    ['pauseMutations as a string', JSON.stringify({ pauseMutations: 'true' })],
    ['an unknown field', JSON.stringify({ dropRate: 0.5, nemesis: true })],
    ['an array', '[]'],
    ['not JSON', '{"dropRate":'],
    ['null', 'null'],
  ];
  for (const [what, payload] of bad) {
    it(`answers 400 to ${what} and changes nothing`, async () => {
      const { app } = setup();
      await postFaults(app, { dropRate: 0.1 });
      const res = await app.inject({ method: 'POST', url: '/admin/faults', payload, headers: { 'content-type': 'application/json', ...bearer() } });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid_body', message: expect.any(String) });
      const after = { ...DEFAULTS, dropRate: 0.1 };
      expect(await faultsOf(app)).toEqual({ admin: { faults: after }, status: after });
    });
  }
});

describe('a partitioned sender', () => {
  // Member 1's ops, signed by its incarnation, as JSON (wire v2) and binary (wire v3) pushes.
  const peer = author(1);
  peer.edit((l) => l.insert(0, 1));
  peer.edit((l) => l.insert(1, 2));
  const push = (app: ActorApp['app'], p: SignedPush, binary: boolean) =>
    binary
      ? app.inject({ method: 'POST', url: '/genome', payload: binaryPush(p), headers: { 'content-type': BINARY_TYPE } })
      : app.inject({ method: 'POST', url: '/genome', payload: jsonPush(p), headers: { 'content-type': 'application/json' } });

  for (const binary of [false, true]) {
    it(`has its ${binary ? 'binary' : 'JSON'} push refused with 503, nothing applied, until the partition heals`, async () => {
      const { app, state } = setup();
      await postFaults(app, { partition: [1] });
      const res = await push(app, peer.push(), binary);
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ error: 'partitioned' });
      expect(state.status()).toMatchObject({ version: {}, replicas: {}, pending: 0 });
      // Others still get through.
      const other = author(2);
      other.edit((l) => l.insert(0, 9));
      expect((await push(app, other.push(), binary)).statusCode).toBe(200);
      await postFaults(app, { partition: [] });
      expect((await push(app, peer.push(), binary)).statusCode).toBe(200);
      expect(state.status().version).toEqual({ '1': 2, '2': 1 });
      expect(state.status().replicas).toEqual({ [peer.actor]: 2, [other.actor]: 1 });
    });
  }

  it('is refused before its signature is checked: a forged push from it is 503 too, and still applies nothing', async () => {
    const { app, state } = setup();
    await postFaults(app, { partition: [1] });
    const p = peer.push();
    const res = await push(app, { ...p, proof: { ...p.proof, signature: new Uint8Array(64) } }, false);
    expect(res.statusCode).toBe(503);
    expect(state.status()).toMatchObject({ version: {}, pending: 0 });
  });

  it('has its sync refused with 503, whichever incarnation of the member asks', async () => {
    const { app } = setup();
    await postFaults(app, { partition: [1] });
    const sync = (from: number) => app.inject({ method: 'POST', url: '/sync', payload: JSON.stringify({ v: 2, from, version: {} }), headers: { 'content-type': 'application/json' } });
    for (const from of [peer.actor, author(1).actor, replicaId(1, 0)]) {
      const res = await sync(from);
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ error: 'partitioned' });
    }
    expect((await sync(author(2).actor)).statusCode).toBe(200);
  });
});

describe('runtime faults on running actors', () => {
  const running: RunningActor[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((a) => a.stop()));
  });

  /** Two in-process actors, 0 and 1, each with the admin API, mutating every few ms. */
  async function pair(): Promise<[RunningActor, RunningActor]> {
    const base = await freeBase(2);
    const url = (i: number) => `http://127.0.0.1:${base + i}`;
    for (const i of [0, 1]) {
      const opts: ActorOptions = {
        actor: actorId(i), host: '127.0.0.1', port: base + i, peers: [url(1 - i)], peerIds: new Map([[url(1 - i), actorId(1 - i)]]),
        interval: { min: 2, max: 5 }, mutations: 5000, seed: i, verifyIntervalMs: 100, syncIntervalMs: 20, dropRate: 0, token: TOKEN, dataDir: null, logLevel: 'silent',
      };
      running.push(await startActor(opts, pino({ level: 'silent' })));
    }
    return running as [RunningActor, RunningActor];
  }
  async function setFaults(actor: RunningActor, change: Partial<Faults>): Promise<void> {
    const res = await fetch(`${actor.url}/admin/faults`, { method: 'POST', body: JSON.stringify(change), headers: { 'content-type': 'application/json', ...bearer() } });
    expect(res.status).toBe(200);
  }
  /** Wait until `actor` has made `n` more mutations: a clock made of work, not of sleeps. */
  async function madeMore(actor: RunningActor, n: number): Promise<void> {
    const target = actor.state.replica.mutations + n;
    await waitFor(`${n} more mutations`, () => actor.state.replica.mutations >= target, 15_000, 10);
  }
  /** How many of `maker`'s ops (its incarnation's) `holder` holds. */
  const ownHeldBy = (holder: RunningActor, maker: RunningActor) => holder.state.replica.list.version().get(maker.state.incarnation) ?? 0;

  it('pauseMutations stops the mutator until it is lifted', async () => {
    const [a, b] = await pair();
    await madeMore(a, 1);
    await setFaults(a, { pauseMutations: true });
    const made = a.state.replica.mutations;
    const status = (await (await fetch(`${a.url}/status`)).json()) as { faults: Faults };
    expect(status.faults).toEqual({ ...DEFAULTS, pauseMutations: true });
    await madeMore(b, 100);
    expect(a.state.replica.mutations).toBe(made);
    await setFaults(a, { pauseMutations: false });
    await madeMore(a, 1);
  });

  it('dropRate 1 makes the outbox drop everything; 0 again lets anti-entropy repair it', async () => {
    const [a, b] = await pair();
    await waitFor('a to send to b', () => a.state.messages.sent > 0 && ownHeldBy(b, a) > 0, 10_000, 10);
    await setFaults(a, { dropRate: 1 });
    const { sent, dropped } = a.state.messages;
    await madeMore(a, 50);
    // At most the one request already in flight to b was still sent.
    expect(a.state.messages.sent).toBeLessThanOrEqual(sent + 1);
    expect(a.state.messages.dropped).toBeGreaterThanOrEqual(dropped + 10);
    await setFaults(a, { dropRate: 0, pauseMutations: true });
    await waitFor('b to hold all of a\'s ops', () => ownHeldBy(b, a) === a.state.replica.mutations, 15_000, 10);
  });

  it('a partition blocks what the actor sends and refuses what it receives; healing it converges', async () => {
    const [a, b] = await pair();
    await waitFor('replication both ways', () => ownHeldBy(b, a) > 0 && ownHeldBy(a, b) > 0, 10_000, 10);
    await setFaults(a, { partition: [1] });
    const blocked = a.state.messages.blocked;
    const failed = b.state.messages.failed;
    // Let requests already in flight when the partition came land.
    await Promise.all([madeMore(a, 50), madeMore(b, 50)]);
    const [sent, aFromB, bFromA] = [a.state.messages.sent, ownHeldBy(a, b), ownHeldBy(b, a)];
    await Promise.all([madeMore(a, 100), madeMore(b, 100)]);
    expect(a.state.messages.sent).toBe(sent);
    expect(a.state.messages.blocked).toBeGreaterThan(blocked);
    expect(b.state.messages.failed).toBeGreaterThan(failed);
    expect([ownHeldBy(a, b), ownHeldBy(b, a)]).toEqual([aFromB, bFromA]);
    await setFaults(a, { partition: [], pauseMutations: true });
    await setFaults(b, { pauseMutations: true });
    await waitFor('convergence', () => ownHeldBy(a, b) === b.state.replica.mutations && ownHeldBy(b, a) === a.state.replica.mutations && a.state.digest === b.state.digest, 15_000, 10);
    // The verifier does not ask a peer in the partition: equal genomes, yet no match.
    await waitFor('a match', () => a.state.matchCount === 1, 10_000, 10);
    await setFaults(a, { partition: [1] });
    await waitFor('no match while partitioned', () => a.state.matchCount === 0, 10_000, 10);
    expect(a.state.digest).toBe(b.state.digest);
  });
});
