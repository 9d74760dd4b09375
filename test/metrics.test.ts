import { afterEach, describe, expect, it } from 'vitest';
import { encodeOp, encodeProof } from '../src/transport/wire.js';
import { actorApp, type ActorApp } from './helpers/actor-app.js';
import type { SignedPush } from './helpers/feeds.js';
import { dependentPushes, forged, jsonPush } from './helpers/pushes.js';

const NAMES = [
  'genome_ops_created_total',
  'genome_ops_applied_total',
  'genome_pending_ops',
  'genome_tombstones',
  'genome_stable_ops',
  'genome_retired_ops',
  'genome_store_bytes',
  'genome_snapshot_bytes',
  'genome_compactions_total',
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

// Member 2's op, and two of member 1's made on top of it (without its delete): three ops of two signed feeds.
const { dependent, first, then: all } = dependentPushes();
const then: SignedPush = { ...all, ops: all.ops.slice(0, 2), proof: dependent.proofAt(2) };
const post = (app: ActorApp['app'], payload: string) => app.inject({ method: 'POST', url: '/genome', payload, headers: { 'content-type': 'application/json' } });
const push = (app: ActorApp['app'], p: SignedPush) => post(app, jsonPush(p));
/** Both feeds, in causal order. */
const pushAll = async (app: ActorApp['app']) => {
  expect((await push(app, first)).statusCode).toBe(200);
  expect((await push(app, then)).statusCode).toBe(200);
};

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
    // Member 1's two ops wait for member 2's, their origin.
    expect((await push(app, then)).statusCode).toBe(200);
    let text = await scrape(app);
    expect(sample(text, 'genome_pending_ops')).toBe(2);
    expect(sample(text, 'genome_ops_applied_total')).toBe(0);
    expect(sample(text, 'genome_bytes_in_total')).toBeGreaterThan(sample(before, 'genome_bytes_in_total'));
    expect(sample(text, 'genome_store_write_seconds_count')).toBe(1);

    expect((await push(app, first)).statusCode).toBe(200);
    state.replica.edit((list) => list.insert(0, 9));
    const sync = await app.inject({ method: 'POST', url: '/sync', payload: JSON.stringify({ v: 2, from: 3, version: {} }), headers: { 'content-type': 'application/json' } });
    expect(sync.statusCode).toBe(200);
    // What the outbox counts shows at the next scrape.
    state.messages.sent += 3;
    state.messages.dropped += 2;
    state.messages.syncRounds += 1;
    text = await scrape(app);
    expect(sample(text, 'genome_pending_ops')).toBe(0);
    expect(sample(text, 'genome_tombstones')).toBe(0);
    // A store in memory takes no disk, and this one never compacts.
    expect(sample(text, 'genome_store_bytes')).toBe(0);
    expect(sample(text, 'genome_compactions_total')).toBe(0);
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
    // A delete leaves a tombstone until it is collected.
    state.replica.edit((list) => list.delete(0));
    expect(sample(await scrape(app), 'genome_tombstones')).toBe(1);
  });

  it('counts refused replication requests by route and code', async () => {
    const { app } = setup();
    expect((await post(app, '{nope')).statusCode).toBe(400);
    const [op] = first.ops;
    expect((await post(app, JSON.stringify({ v: 2, from: first.from, ops: [{ ...encodeOp(op!), id: [first.from, 2 ** 50] }], proof: encodeProof(first.proof) }))).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/sync', payload: JSON.stringify({ v: 9, from: 1, version: {} }), headers: { 'content-type': 'application/json' } })).statusCode).toBe(400);
    // Refusals of the feed check: a forged op, twice; member 1's feed sent without its first op.
    const forgery = forged(dependent, 1, (o) => (o.type === 'insert' ? { ...o, value: 0 } : o));
    for (let i = 0; i < 2; i++) expect((await push(app, forgery)).statusCode).toBe(403);
    expect((await push(app, { ...then, ops: then.ops.slice(1) })).statusCode).toBe(409);
    await pushAll(app);
    const text = await scrape(app);
    expect(sample(text, 'genome_requests_refused_total{route="POST /genome",code="invalid_body"}')).toBe(1);
    expect(sample(text, 'genome_requests_refused_total{route="POST /genome",code="invalid_op"}')).toBe(1);
    expect(sample(text, 'genome_requests_refused_total{route="POST /genome",code="bad_signature"}')).toBe(2);
    expect(sample(text, 'genome_requests_refused_total{route="POST /genome",code="unknown_feed"}')).toBe(1);
    expect(sample(text, 'genome_requests_refused_total{route="POST /sync",code="invalid_body"}')).toBe(1);
  });

  it('keeps each actor\'s metrics apart when several share a process', async () => {
    const one = setup();
    const two = setup();
    await pushAll(one.app);
    expect(sample(await scrape(one.app), 'genome_ops_applied_total')).toBe(3);
    expect(sample(await scrape(two.app), 'genome_ops_applied_total')).toBe(0);
  });
});
