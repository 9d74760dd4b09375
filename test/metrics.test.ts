import { afterEach, describe, expect, it } from 'vitest';
import { actorId } from '../src/crdt/ids.js';
import { ReferenceList } from '../src/crdt/ReferenceList.js';
import { encodeOp } from '../src/transport/wire.js';
import { actorApp, type ActorApp } from './helpers/actor-app.js';

const NAMES = [
  'genome_ops_created_total',
  'genome_ops_applied_total',
  'genome_pending_ops',
  'genome_messages_total',
  'genome_sync_rounds_total',
  'genome_bytes_in_total',
  'genome_bytes_out_total',
  'genome_store_write_seconds',
  'genome_requests_refused_total',
];

const apps: ActorApp[] = [];
function setup(token: string | null = null): ActorApp {
  const made = actorApp(0, undefined, token);
  apps.push(made);
  return made;
}
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.app.close()));
});

async function scrape(app: ActorApp['app']): Promise<string> {
  const res = await app.inject({ url: '/metrics' });
  expect(res.statusCode).toBe(200);
  return res.body;
}

/** The value of one sample, e.g. `genome_messages_total{outcome="sent"}`. */
function sample(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`no sample ${name} in:\n${text}`);
  return Number(line.slice(name.length + 1));
}

const peer = new ReferenceList<number>(actorId(1));
const ops = [peer.insert(0, 1), peer.insert(1, 2), peer.insert(2, 3)];
const push = (app: ActorApp['app'], list: typeof ops) =>
  app.inject({ method: 'POST', url: '/genome', payload: JSON.stringify({ v: 1, from: 1, ops: list.map(encodeOp) }), headers: { 'content-type': 'application/json' } });

describe('GET /metrics', () => {
  it('answers Prometheus text with every metric, without a token even when the actor has one', async () => {
    const { app } = setup('lab-token-0123456789');
    const res = await app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const name of NAMES) expect(res.body).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
    expect(sample(res.body, 'genome_ops_applied_total')).toBe(0);
    expect(sample(res.body, 'genome_messages_total{outcome="dropped"}')).toBe(0);
  });

  it('moves with pushes received, sync answers served, own mutations and outgoing messages', async () => {
    const { app, state } = setup();
    const before = await scrape(app);
    expect((await push(app, ops.slice(1))).statusCode).toBe(200);
    let text = await scrape(app);
    expect(sample(text, 'genome_pending_ops')).toBe(2);
    expect(sample(text, 'genome_ops_applied_total')).toBe(0);
    expect(sample(text, 'genome_bytes_in_total')).toBeGreaterThan(sample(before, 'genome_bytes_in_total'));
    expect(sample(text, 'genome_store_write_seconds_count')).toBe(1);

    await push(app, ops.slice(0, 1));
    state.replica.edit((list) => list.insert(0, 9));
    const sync = await app.inject({ method: 'POST', url: '/sync', payload: JSON.stringify({ v: 1, from: 2, version: {} }), headers: { 'content-type': 'application/json' } });
    expect(sync.statusCode).toBe(200);
    // What the outbox counts shows at the next scrape.
    state.messages.sent += 3;
    state.messages.dropped += 2;
    state.messages.syncRounds += 1;
    text = await scrape(app);
    expect(sample(text, 'genome_pending_ops')).toBe(0);
    expect(sample(text, 'genome_ops_applied_total')).toBe(4);
    expect(sample(text, 'genome_ops_created_total')).toBe(1);
    expect(sample(text, 'genome_store_write_seconds_count')).toBe(3);
    expect(sample(text, 'genome_store_write_seconds_sum')).toBeGreaterThan(0);
    expect(sample(text, 'genome_bytes_out_total')).toBe(state.messages.bytesOut);
    expect(state.messages.bytesOut).toBeGreaterThan(0);
    expect(sample(text, 'genome_messages_total{outcome="sent"}')).toBe(3);
    expect(sample(text, 'genome_messages_total{outcome="dropped"}')).toBe(2);
    expect(sample(text, 'genome_messages_total{outcome="failed"}')).toBe(0);
    expect(sample(text, 'genome_sync_rounds_total')).toBe(1);
  });

  it('counts refused replication requests by route and code', async () => {
    const { app } = setup();
    await app.inject({ method: 'POST', url: '/genome', payload: '{nope', headers: { 'content-type': 'application/json' } });
    await app.inject({ method: 'POST', url: '/genome', payload: JSON.stringify({ v: 1, from: 1, ops: [{ ...encodeOp(ops[0]!), id: [1, 2 ** 50] }] }), headers: { 'content-type': 'application/json' } });
    await app.inject({ method: 'POST', url: '/sync', payload: JSON.stringify({ v: 9, from: 1, version: {} }), headers: { 'content-type': 'application/json' } });
    expect((await push(app, ops)).statusCode).toBe(200);
    const text = await scrape(app);
    expect(sample(text, 'genome_requests_refused_total{route="POST /genome",code="invalid_body"}')).toBe(1);
    expect(sample(text, 'genome_requests_refused_total{route="POST /genome",code="invalid_op"}')).toBe(1);
    expect(sample(text, 'genome_requests_refused_total{route="POST /sync",code="invalid_body"}')).toBe(1);
  });

  it('keeps each actor\'s metrics apart when several share a process', async () => {
    const one = setup();
    const two = setup();
    await push(one.app, ops);
    expect(sample(await scrape(one.app), 'genome_ops_applied_total')).toBe(3);
    expect(sample(await scrape(two.app), 'genome_ops_applied_total')).toBe(0);
  });
});
