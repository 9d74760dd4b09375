import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LogThrottle, quietSince } from '../src/actor/LogThrottle.js';
import { actorId } from '../src/crdt/ids.js';
import { fairShare } from '../src/crdt/list.js';
import type { Op } from '../src/crdt/ops.js';
import { ReferenceList } from '../src/crdt/ReferenceList.js';
import { MAX_COUNTER } from '../src/crdt/validate.js';
import { decodeSyncReply, encodeOp } from '../src/transport/wire.js';
import { BINARY_TYPE, encodeBinaryPush } from '../src/transport/binary-wire.js';
import { holdings, sqliteActorApp, type ActorApp } from './helpers/actor-app.js';
import { varints } from './helpers/bytes.js';

/**
 * Hostile requests, one per case an attacker tried, against an actor as the program runs it (SQLite
 * store, fast list, three members). Each is refused with 4xx and changes nothing; afterwards the
 * store reopens to exactly what the actor held, and the actor makes its next op.
 */

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const dir = mkdtempSync(join(tmpdir(), 'genome-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
let current: ActorApp | undefined;
let file = '';
function setup(peers: string[] = []): ActorApp {
  file = join(dir, `case-${n++}`, 'actor-0.db');
  current = sqliteActorApp(file, 3, 0, peers);
  return current;
}
afterEach(async () => {
  await current?.app.close();
  current?.state.replica.close();
  current = undefined;
});

/** Close the store, open it again: the same holdings; the next local op is made and stored. */
async function expectReopensAndGoesOn(actor: ActorApp): Promise<void> {
  const before = holdings(actor.state);
  const next = actor.state.replica.list.nextCounter;
  await actor.app.close();
  actor.state.replica.close();
  current = sqliteActorApp(file);
  expect(holdings(current.state)).toEqual(before);
  const [op] = current.state.replica.edit((list) => list.insert(0, 7));
  expect(op?.id).toEqual({ actor: 0, counter: next });
}

const json = (from: number, ops: unknown[]): string => JSON.stringify({ v: 1, from, ops });
const post = (actor: ActorApp, body: string | Uint8Array, url = '/genome') =>
  actor.app.inject({ method: 'POST', url, payload: typeof body === 'string' ? body : Buffer.from(body), headers: { 'content-type': typeof body === 'string' ? 'application/json' : BINARY_TYPE } });

/** A binary push written by hand: 'P' 2 from, then a batch of `count` ops in the runs given. */
const binaryPush = (from: number, count: number, ...runs: number[][]): Uint8Array => varints([0x50, 2], from, count, ...runs.flat());
// Run heads and references of the batch format (src/crdt/batch-codec.ts).
const INSERT = 0;
const DELETE = 1;
const FOLLOWS = 2;
const NONE = 0;
const ID = 2;

async function expectRefused(actor: ActorApp, body: string | Uint8Array, status: number, code: string, url = '/genome'): Promise<void> {
  const before = holdings(actor.state);
  const res = await post(actor, body, url);
  expect({ status: res.statusCode, code: (res.json() as { error: string }).error }).toEqual({ status, code });
  expect(holdings(actor.state)).toEqual(before);
  await expectReopensAndGoesOn(actor);
}

describe('counters at the end of the safe range', () => {
  it('binary: an insert run of two ops from 1.(2^53 - 1) is refused with invalid_op', async () => {
    await expectRefused(setup(), binaryPush(1, 2, [INSERT, 1, MAX_SAFE, 2, NONE, NONE, 5, 6]), 400, 'invalid_op');
  });

  it('binary: an insert run that starts at the highest counter and runs past it is refused', async () => {
    await expectRefused(setup(), binaryPush(1, 2, [INSERT, 1, MAX_COUNTER, 2, NONE, NONE, 5, 6]), 400, 'invalid_op');
  });

  it('binary: a delete run whose targets step past the highest counter is refused', async () => {
    await expectRefused(setup(), binaryPush(1, 2, [DELETE, 1, 5, 2, ID, 0, MAX_COUNTER, 2]), 400, 'invalid_op');
  });

  it('binary: a delete run whose target is at 2^53 - 1 is refused', async () => {
    await expectRefused(setup(), binaryPush(1, 1, [DELETE, 1, 5, 1, ID, 2, MAX_SAFE, 0]), 400, 'invalid_op');
  });

  it('binary: a run that follows one ending at the highest counter is refused', async () => {
    await expectRefused(setup(), binaryPush(1, 2, [INSERT, 1, MAX_COUNTER, 1, NONE, NONE, 5], [INSERT | FOLLOWS, 1, NONE, NONE, 6]), 400, 'invalid_op');
  });

  it('binary: an origin at 2^53 - 1 is refused', async () => {
    await expectRefused(setup(), binaryPush(1, 1, [INSERT, 1, 1, 1, ID, 2, MAX_SAFE, NONE, 5]), 400, 'invalid_op');
  });

  it('JSON: an op 1.(2^53 - 1), valid by the schema, is refused with invalid_op and never reported as `yours`', async () => {
    const actor = setup();
    await expectRefused(actor, json(1, [{ type: 'insert', id: [1, MAX_SAFE], value: 5, left: null, right: null }]), 400, 'invalid_op');
    const res = await current!.app.inject({ method: 'POST', url: '/sync', payload: { v: 1, from: 1, version: {} } });
    expect(decodeSyncReply(res.json()).yours).toBe(0);
  });

  it('JSON: an op just past the highest counter, and origins or targets past it, are refused with invalid_op', async () => {
    const actor = setup();
    await expectRefused(actor, json(1, [{ type: 'insert', id: [1, MAX_COUNTER + 1], value: 5, left: null, right: null }]), 400, 'invalid_op');
    await expectRefused(current!, json(1, [{ type: 'insert', id: [1, 1], value: 5, left: [2, MAX_SAFE], right: null }]), 400, 'invalid_op');
    await expectRefused(current!, json(1, [{ type: 'delete', id: [1, 1], target: [2, MAX_COUNTER + 1] }]), 400, 'invalid_op');
  });

  it('JSON: a counter of 2^53 (not a safe integer) is a malformed body', async () => {
    const actor = setup();
    await expectRefused(actor, `{"v":1,"from":1,"ops":[{"type":"insert","id":[1,1],"value":5,"left":[2,9007199254740992],"right":null}]}`, 400, 'invalid_body');
  });

  it('a sync request naming more ops than any counter allows is a malformed body', async () => {
    await expectRefused(setup(), JSON.stringify({ v: 1, from: 1, version: { 1: MAX_SAFE } }), 400, 'invalid_body', '/sync');
  });

  it('takes an op at the highest counter: it is well-formed, and waits for its author\'s earlier ops', async () => {
    const actor = setup();
    const res = await post(actor, json(1, [{ type: 'insert', id: [1, MAX_COUNTER], value: 5, left: null, right: null }]));
    expect(res.json()).toEqual({ applied: 0, duplicate: 0, pending: 1 });
    await expectReopensAndGoesOn(actor);
  });
});

describe('only members\' ops', () => {
  const strangerOp = (actor: number) => ({ type: 'insert', id: [actor, 1], value: 5, left: null, right: null });

  for (const stranger of [3, 55, 88]) {
    it(`JSON and binary: ops of actor ${stranger}, outside a cluster of 3, are refused before the pending set`, async () => {
      const actor = setup();
      await expectRefused(actor, json(stranger, [strangerOp(stranger)]), 400, 'invalid_op');
      await expectRefused(current!, binaryPush(stranger, 1, [INSERT, stranger, 1, 1, NONE, NONE, 5]), 400, 'invalid_op');
      expect(current!.state.replica.list.pendingCount).toBe(0);
    });
  }

  it('JSON and binary: a member\'s op whose origin or target names a stranger is refused', async () => {
    const actor = setup();
    await expectRefused(actor, json(1, [{ type: 'insert', id: [1, 1], value: 5, left: [55, 1], right: null }]), 400, 'invalid_op');
    await expectRefused(current!, json(1, [{ type: 'delete', id: [1, 1], target: [88, 3] }]), 400, 'invalid_op');
    await expectRefused(current!, binaryPush(1, 1, [INSERT, 1, 1, 1, NONE, ID, 55, 1, 5]), 400, 'invalid_op');
  });

  it('a sync request from a stranger is refused', async () => {
    await expectRefused(setup(), JSON.stringify({ v: 1, from: 55, version: {} }), 400, 'invalid_body', '/sync');
  });

  it('a sync answer carrying a stranger\'s ops: those are refused, the rest taken', async () => {
    const actor = setup(['p']);
    const peer = new ReferenceList<number>(actorId(1));
    const good = [peer.insert(0, 1), peer.insert(1, 2)];
    const stranger = { type: 'insert', id: [55, 1], value: 5, left: null, right: null };
    const page = decodeSyncReply({ v: 1, from: 1, version: { 1: 2, 55: 1 }, ops: [...good.map(encodeOp), stranger], more: false, yours: 0 });
    const request = { type: 'sync', from: actorId(0), version: new Map(), catchUp: false } as const;
    const outcome = actor.state.replica.onReply('p', request, { type: 'sync', ...page }, 0);
    expect(outcome.accepted).toEqual(good);
    expect(outcome.refused.map((r) => r.why)).toEqual([expect.stringMatching(/actor 55.*not a member/)]);
    expect(actor.state.hex).toBe('0102');
    expect(actor.state.replica.list.pendingCount).toBe(0);
    await expectReopensAndGoesOn(actor);
  });
});

describe('sync answers are causal prefixes', () => {
  it('an op in an answer that would have to wait is refused, above all one under the receiver\'s own id', async () => {
    const actor = setup(['p']);
    actor.state.replica.edit((list) => list.insert(0, 1));
    const one = new ReferenceList<number>(actorId(1));
    const ones = [one.insert(0, 2), one.insert(1, 3)];
    // Actor 0's next id, forged; and actor 1's second op without its first.
    const own = { type: 'delete', id: [0, 2], target: [1, 1] };
    const page = decodeSyncReply({ v: 1, from: 1, version: { 1: 2 }, ops: [own, encodeOp(ones[1] as Op<number>)], more: false, yours: 0 });
    const request = { type: 'sync', from: actorId(0), version: actor.state.replica.list.version(), catchUp: false } as const;
    const outcome = actor.state.replica.onReply('p', request, { type: 'sync', ...page }, 0);
    expect(outcome.accepted).toEqual([]);
    expect(outcome.refused.map((r) => r.why)).toEqual([expect.stringMatching(/waits for a1\.1/), expect.stringMatching(/waits for a1\.1/)]);
    expect(actor.state.replica.list.pendingCount).toBe(0);
    await expectReopensAndGoesOn(actor);
  });
});

describe('a fair share of the pending set per author', () => {
  it('one author\'s ops that cannot apply fill its share only: others\' out-of-order ops are still taken', async () => {
    const actor = setup();
    const share = fairShare(3);
    const one = new ReferenceList<number>(actorId(1));
    const ops: Op<number>[] = Array.from({ length: share + 2 }, (_, i) => one.insert(i, i % 256));
    // Everything but actor 1's first op: all of it waits for that op.
    const waiting = ops.slice(1);
    for (let i = 0; i < share; i += 4000) {
      const res = await post(actor, encodeBinaryPush(actorId(1), waiting.slice(i, Math.min(i + 4000, share))));
      expect(res.statusCode).toBe(200);
    }
    expect(actor.state.replica.list.pendingCount).toBe(share);
    const over = await post(actor, encodeBinaryPush(actorId(1), waiting.slice(share)));
    expect({ status: over.statusCode, code: over.json().error }).toEqual({ status: 503, code: 'pending_full' });

    const two = new ReferenceList<number>(actorId(2));
    const twos = [two.insert(0, 1), two.insert(1, 2)];
    const res = await post(actor, encodeBinaryPush(actorId(2), [twos[1] as Op<number>]));
    expect(res.json()).toEqual({ applied: 0, duplicate: 0, pending: 1 });
    await expectReopensAndGoesOn(actor);

    // A restart keeps what waited, whatever the share; the missing ops release all of it.
    expect((await post(current!, encodeBinaryPush(actorId(1), ops.slice(0, 1)))).statusCode).toBe(200);
    expect((await post(current!, encodeBinaryPush(actorId(1), ops.slice(share + 1)))).statusCode).toBe(200);
    expect((await post(current!, encodeBinaryPush(actorId(2), twos.slice(0, 1)))).statusCode).toBe(200);
    expect(current!.state.replica.list.pendingCount).toBe(0);
    expect(current!.state.replica.list.version()).toEqual(new Map([[0, 1], [1, share + 2], [2, 2]]));
  });
});

describe('an op the list dropped does not shadow its id in the store', () => {
  it('a forged op that waited, then became invalid, is replaced in the store by the genuine op under its id', async () => {
    const actor = setup();
    const two = new ReferenceList<number>(actorId(2));
    const twos: Op<number>[] = [two.insert(0, 5), two.delete(0)];
    // Forged under actor 1's first id: its origin is actor 2's delete, not yet known here, so it waits.
    const forged = { type: 'insert', id: [1, 1], value: 9, left: [2, 2], right: null };
    expect((await post(actor, json(1, [forged]))).json()).toEqual({ applied: 0, duplicate: 0, pending: 1 });
    // The delete arrives: the forged op can never apply, and leaves the pending set.
    expect((await post(actor, encodeBinaryPush(actorId(2), twos))).statusCode).toBe(200);
    expect(actor.state.replica.list.pendingCount).toBe(0);
    const genuine = new ReferenceList<number>(actorId(1)).insert(0, 7);
    expect((await post(actor, encodeBinaryPush(actorId(1), [genuine]))).json()).toEqual({ applied: 1, duplicate: 0, pending: 0 });
    expect(actor.state.hex).toBe('07');
    await expectReopensAndGoesOn(actor);
    expect(current!.state.hex).toBe('0707');
  });
});

describe('a peer that answers "more" with nothing', () => {
  it('does not keep the replica asking, nor hold back its first mutation', () => {
    const actor = setup(['p']);
    const { replica } = actor.state;
    const [request] = replica.poll(0);
    expect(request?.request.type).toBe('sync');
    expect(replica.replicator.ready).toBe(false);
    replica.onReply('p', request!.request, { type: 'sync', version: new Map(), ops: [], more: true, yours: 0 }, 1);
    expect(replica.poll(2)).toEqual([]);
    expect(replica.replicator.ready).toBe(true);
  });
});

describe('what a sender can make an actor log', () => {
  it('is one line per kind and sender every 10 s, however fast it sends: equivocations, a full pending set', async () => {
    const actor = setup();
    const one = new ReferenceList<number>(actorId(1));
    const op = one.insert(0, 1);
    expect((await post(actor, encodeBinaryPush(actorId(1), [op]))).statusCode).toBe(200);
    const forged = encodeBinaryPush(actorId(1), [{ ...op, value: 2 }]);
    for (let i = 0; i < 20; i++) expect((await post(actor, forged)).statusCode).toBe(409);
    const lines = actor.logs.filter((l) => String(l.msg).includes('equivocation'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50, sender: 1 });
  });

  it('LogThrottle lets one line through per key and window, and counts the rest', () => {
    const t = new LogThrottle(1000);
    expect(t.pass('a', 0)).toEqual({ quiet: 0 });
    expect(t.pass('a', 10)).toBeNull();
    expect(t.pass('a', 20)).toBeNull();
    expect(t.pass('b', 30)).toEqual({ quiet: 0 });
    expect(t.pass('a', 1000)).toEqual({ quiet: 2 });
    expect(quietSince(2)).toBe(' (and 2 more since)');
  });
});
