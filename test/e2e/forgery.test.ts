import { afterAll, describe, expect, it } from 'vitest';
import type { Status } from '../../src/actor/ActorState.js';
import type { WireProof, WireSyncReply } from '../../src/transport/wire.js';
import { forgedInserts, post, push, randomSignature, signedByOwnKey, syncFromNothing, type Sent } from '../helpers/forger.js';
import { freeBase, getJson, killAll, runCli, startCli, waitFor, type Proc } from '../helpers/processes.js';

afterAll(killAll);


const MUTATIONS = 40;

/** Three loopback actors in memory, mutating slowly enough that actor 1 has counters still to come. */
async function cluster(env: NodeJS.ProcessEnv = {}) {
  const base = await freeBase(3);
  const url = (i: number) => `http://127.0.0.1:${base + i}`;
  const procs: Proc[] = [0, 1, 2].map((i) =>
    startCli(['-a', String(i), '-c', '3', '-b', String(base), '--memory', '--interval', '100-200', '--mutations', String(MUTATIONS), '--sync-interval', '300', '--seed', String(40 + i)], env),
  );
  const status = (i: number) => getJson<Status>(`${url(i)}/status`);
  return { base, url, procs, status };
}

type Cluster = Awaited<ReturnType<typeof cluster>>;

/** Every actor has made a few ops; actor 1's author id. */
async function started(c: Cluster): Promise<number> {
  await waitFor('every actor to have made 3 ops', async () => (await Promise.all([0, 1, 2].map(c.status))).every((s) => s.mutations >= 3), 20_000);
  return (await c.status(1)).incarnation;
}

/** Of actor 1's feed (author `a1`): how much actor 0 holds, then how much actor 1 has made (in that order, so held <= made). */
async function counts(c: Cluster, a1: number): Promise<{ held: number; made: number }> {
  const held = (await c.status(0)).replicas[String(a1)] ?? 0;
  const made = (await c.status(1)).replicas[String(a1)] ?? 0;
  return { held, made };
}

/**
 * A page from actor 1 with its own ops past what it collected (collected ops are sent to nobody as
 * ops), with their proof: what a member can read. Asked from what actor 1 collected, not from its
 * stable version: the request speaks for member 2 with no head, so actor 1 hears member 2 hold
 * none of its own feed, and its stable version drops until the real member 2 asks again. A
 * version read then lacks ops actor 1 collected, and an asker that lacks those is sent no op that
 * names them (it must take a state).
 */
async function actorOnesOps(c: Cluster, a1: number, key?: string): Promise<{ page: WireSyncReply; proof: WireProof }> {
  return waitFor('a page with actor 1\'s newest ops', async () => {
    const collected = (await c.status(1)).collected;
    const page = await syncFromNothing(c.url(1), 2, key, collected);
    const proof = page.proofs.find((p) => p.actor === a1);
    return proof !== undefined && { page, proof };
  }, 20_000, 100);
}

/** After a refusal: actor 0 holds no more of actor 1's feed than actor 1 made. */
async function nothingForgedHeld(c: Cluster, a1: number): Promise<void> {
  const { held, made } = await counts(c, a1);
  expect(held).toBeLessThanOrEqual(made);
}

function refused(res: Sent, code: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(403);
  expect(res.body.error, JSON.stringify(res.body)).toBe(code);
}

/** The cluster converged on exactly the genuine ops: one digest, each incarnation MUTATIONS ops, nothing pending, no equivocation. */
async function convergedOnGenuineOps(c: Cluster): Promise<Status[]> {
  const verify = await runCli(['verify', '-c', '3', '-b', String(c.base), '--expect-ops', String(MUTATIONS), '--timeout', '40000'], 50_000);
  expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  const statuses = await Promise.all([0, 1, 2].map(c.status));
  const incarnations = statuses.map((s) => String(s.incarnation)).sort();
  for (const s of statuses) {
    expect(s.digest).toBe(statuses[0]?.digest);
    expect(s.pending).toBe(0);
    expect(s.equivocations).toEqual([]);
    expect(s.version).toEqual({ 0: MUTATIONS, 1: MUTATIONS, 2: MUTATIONS });
    // Only the three incarnations that really mutated, each with exactly its own ops.
    expect(Object.keys(s.replicas).sort()).toEqual(incarnations);
    for (const a of incarnations) expect(s.replicas[a]).toBe(MUTATIONS);
  }
  return statuses;
}

/** `genome_requests_refused_total` for POST /genome and `code` on /metrics. */
async function refusedCount(url: string, code: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
  const line = text.split('\n').find((l) => l.startsWith(`genome_requests_refused_total{route="POST /genome",code="${code}"}`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

describe('a stranger forging actor 1\'s coming ops', () => {
  it('without a cluster key: refused 403 whatever key signs them, nothing applied; the cluster converges on the genuine ops only', async () => {
    const c = await cluster();
    const a1 = await started(c);
    // Actor 1's real public key: any peer hands it out with its ops (read while it still makes some).
    const realKey = (await actorOnesOps(c, a1)).proof.key;
    const actor0 = c.url(0);

    // A valid Ed25519 signature over the forged ops, by a key the stranger made: not actor 1's key.
    let { held, made } = await counts(c, a1);
    // Counters actor 1 has yet to use: taken, they would stand where its genuine ops will.
    expect(made).toBeLessThan(MUTATIONS);
    let ops = forgedInserts(a1, held + 1, made + 8);
    refused(await post(actor0, '/genome', push(a1, ops, signedByOwnKey(a1, ops))), 'key_mismatch');
    await nothingForgedHeld(c, a1);

    // A made-up key (a valid public key) and 64 random bytes for a signature.
    ({ held, made } = await counts(c, a1));
    ops = forgedInserts(a1, held + 1, made + 8, (counter) => (counter * 11) % 256);
    refused(await post(actor0, '/genome', push(a1, ops, randomSignature(a1, made + 8))), 'key_mismatch');
    await nothingForgedHeld(c, a1);

    // Actor 1's real public key and a random signature.
    expect(realKey).toMatch(/^[0-9a-f]{64}$/);
    ({ held, made } = await counts(c, a1));
    ops = forgedInserts(a1, held + 1, made + 8);
    refused(await post(actor0, '/genome', push(a1, ops, randomSignature(a1, made + 8, realKey))), 'bad_signature');
    await nothingForgedHeld(c, a1);

    const statuses = await convergedOnGenuineOps(c);
    expect(statuses[1]?.incarnation).toBe(a1);
    // Refused by the feed check, and counted as such; honest peers caused none of these.
    expect(await refusedCount(actor0, 'key_mismatch')).toBe(2);
    expect(await refusedCount(actor0, 'bad_signature')).toBe(1);
    expect(c.procs[0]?.stderr.join('')).toMatch(/push from 127\.0\.0\.1 refused \(key_mismatch\)/);
    expect(c.procs[0]?.stderr.join('')).toMatch(/push from 127\.0\.0\.1 refused \(bad_signature\)/);
  });

  it('with the cluster key but not actor 1\'s private key: MAC-signed forgeries are refused 403, nothing applied; the cluster converges on the genuine ops only', async () => {
    const key = 'e2e-forgery-cluster-key-0123';
    const c = await cluster({ GENOME_CLUSTER_KEY: key });
    const a1 = await started(c);
    const actor0 = c.url(0);
    const send = (body: unknown) => post(actor0, '/genome', body, key, a1);

    // The MAC alone is not enough: the same stranger without it is refused at the door.
    let { held, made } = await counts(c, a1);
    expect(made).toBeLessThan(MUTATIONS);
    let ops = forgedInserts(a1, held + 1, made + 8);
    const unsigned = await post(actor0, '/genome', push(a1, ops, signedByOwnKey(a1, ops)));
    expect(unsigned.status).toBe(401);

    // With the MAC: its own key's signature over actor 1's coming counters.
    refused(await send(push(a1, ops, signedByOwnKey(a1, ops))), 'key_mismatch');
    await nothingForgedHeld(c, a1);

    // Actor 1's genuine ops and signature, as a member can read them from any peer...
    const { page, proof } = await actorOnesOps(c, a1, key);
    const genuine = page.ops.filter((op) => op.id[0] === a1);
    const from = (genuine[0]?.id[1] ?? 1) - 1;
    expect(genuine.map((op) => op.id[1])).toEqual(Array.from({ length: proof.counter - from }, (_, i) => from + i + 1));
    // ...with a random signature under the real key, over its coming counters,
    ({ held, made } = await counts(c, a1));
    ops = forgedInserts(a1, held + 1, made + 8);
    refused(await send(push(a1, ops, { ...proof, counter: made + 8, signature: randomSignature(a1, 0).signature })), 'bad_signature');
    await nothingForgedHeld(c, a1);
    // ...and the genuine signature over the genuine ops with the last inserted gene changed (the
    // last op may be a delete, which carries no gene).
    const lastInsert = genuine.map((op) => op.type).lastIndexOf('insert');
    const altered = genuine.map((op, i) => (i === lastInsert && op.type === 'insert' ? { ...op, value: op.value ^ 1 } : op));
    expect(altered).not.toEqual(genuine);
    refused(await send(push(a1, altered, proof)), 'bad_signature');
    await nothingForgedHeld(c, a1);
    // The genuine push itself is still taken (or is a duplicate): the refusals were about the forgeries.
    const honest = await send(push(a1, genuine, proof));
    expect(honest.status, JSON.stringify(honest.body)).toBe(200);

    await convergedOnGenuineOps(c);
    expect(await refusedCount(actor0, 'key_mismatch')).toBe(1);
    expect(await refusedCount(actor0, 'bad_signature')).toBe(2);
    const logs = c.procs.map((p) => p.stderr.join('') + p.stdout.join('')).join('');
    expect(logs).toMatch(/refused \(bad_signature\)/);
    expect(logs).not.toContain(key);
  });
});
