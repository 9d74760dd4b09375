import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { ActorState } from '../src/actor/ActorState.js';
import { pushVarint } from '../src/crdt/codec.js';
import { idKey, MAX_ACTOR, memberOf, tagOf, type ActorId } from '../src/crdt/ids.js';
import type { Op } from '../src/crdt/ops.js';
import { MAX_COUNTER } from '../src/crdt/validate.js';
import type { Proof } from '../src/sync/Feeds.js';
import type { SyncPage } from '../src/sync/messages.js';
import { missingOps } from '../src/sync/pages.js';
import type { Replica } from '../src/sync/Replica.js';
import { BINARY_TYPE, encodeBinaryPush, encodeBinarySyncReply } from '../src/transport/binary-wire.js';
import { decodeSyncAnswer } from '../src/transport/wire.js';
import { newSigner } from '../src/transport/signing.js';
import { encodeOp, encodeProof, encodeSyncReply, wireSize } from '../src/transport/wire.js';
import { sqliteActorApp, type ActorApp } from './helpers/actor-app.js';
import { deliver, newReplica, signedPush } from './helpers/feeds.js';
import { binaryPush, HandAuthor, held, ins, jsonPush, refusalState, REFUSAL_CODES } from './helpers/hostile.js';

/**
 * The wire fuzzer: arbitrary and damaged push bodies (JSON and binary) through `POST /genome`, and
 * sync answers through the code that takes them, against an actor as the program runs it (SQLite
 * store in a temp dir, fast list, three members). The material it damages is genuine: two members'
 * incarnations editing concurrently and merging, every op signed. Each input is refused with 4xx
 * and changes nothing, or is taken; what is taken is the authors' own ops, never a forgery, and
 * after every input taken the store closed and opened again holds exactly what the actor held, and
 * the actor makes its next op.
 */

const SEED = Number(process.env.FC_SEED ?? randomInt(0x7fffffff));
const REPLAY = `FC_SEED=${SEED} npx vitest run test/wire-fuzz.test.ts`;
const RUNS = { push: 1500, sync: 1000 };

const dir = mkdtempSync(join(tmpdir(), 'genome-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const PEER = 'http://peer-1';
const FEED = 48;

/**
 * Genuine material: members 1 and 2 (one incarnation each) make 48 ops each, one per edit (so
 * each op ends at a point its author signed), concurrently, merging by signed pushes every 8.
 * A relay took every op on its own, in causal order, so it can prove a page cut after any op.
 */
function genuine() {
  const taken = (status: string): void => {
    if (status !== 'ok') throw new Error(`genuine material: a push was not taken (${status})`);
  };
  const config = { pointSpacing: 1, maxOps: 4096 };
  const one = newReplica(1, { config });
  const two = newReplica(2, { config });
  const relay = newReplica(2, { config });
  const authors = [one, two];
  let x = 7;
  const next = (m: number): number => (x = (x * 1103515245 + 12345) % 2 ** 31) % m;
  const sent = new Map<ActorId, number>(authors.map((a) => [a.actor, 0]));
  for (let round = 0; round < 6; round++) {
    for (const author of authors) {
      for (let k = 0; k < 8; k++) author.edit((l) => (l.length > 3 && next(3) === 0 ? l.delete(next(l.length)) : l.insert(next(l.length + 1), next(256))));
      for (let c = (sent.get(author.actor) ?? 0) + 1; c < author.list.nextCounter; c++) {
        const ops = author.list.opsOf(author.actor, c - 1, 1);
        taken(deliver(relay, { from: author.actor, ops, proof: author.replicator.feeds.proof(author.actor, c) }).status);
      }
    }
    taken(deliver(two, signedPush(one, sent.get(one.actor))).status);
    taken(deliver(one, signedPush(two, sent.get(two.actor))).status);
    for (const a of authors) sent.set(a.actor, a.list.nextCounter - 1);
  }
  const feeds = new Map(authors.map((a) => [a.actor, { author: a, ops: a.list.opsOf(a.actor, 0, FEED) }]));
  const byId = new Map<string, Op<number>>();
  for (const { ops } of feeds.values()) for (const op of ops) byId.set(idKey(op.id), op);
  return { authors: authors.map((a) => a.actor), feeds, byId, relay };
}
const material = genuine();
const [ONE, TWO] = material.authors as [ActorId, ActorId];
const feedOf = (actor: ActorId) => material.feeds.get(actor) as { author: Replica<number>; ops: Op<number>[] };
const proofAt = (actor: ActorId, counter: number): Proof => feedOf(actor).author.replicator.feeds.proof(actor, counter);

/** Values an attacker would try where a number or a field belongs. */
const HOSTILE = [
  0, -1, 1, 2, 3, 55, 255, 256, 65535, 65536, ONE, TWO, MAX_ACTOR, MAX_COUNTER, MAX_COUNTER + 1, 2 ** 53 - 1, 2 ** 53, 1.5, -0.5, '5', '', null, true, [], {}, [1], [1, 2, 3],
  'ff'.repeat(32), '00'.repeat(64), Buffer.from(newSigner().signer.key).toString('hex'),
];

/**
 * A slice of one author's feed, as its push would carry it: from an absolute position, or
 * (`relative`) from a little before or after what the subject holds of that feed, so that many
 * run on from it.
 */
const sliceArb = fc.record({ second: fc.boolean(), relative: fc.boolean(), start: fc.nat({ max: 47 }), length: fc.nat({ max: 20 }) });
type SliceSpec = typeof sliceArb extends fc.Arbitrary<infer S> ? S : never;

function slice(s: SliceSpec, state: ActorState): { from: ActorId; ops: Op<number>[]; end: number } {
  const from = s.second ? TWO : ONE;
  const at = state.replica.replicator.feeds.count(from);
  const start = s.relative ? Math.min(FEED, Math.max(0, at + (s.start % 5) - 2)) : s.start;
  const end = Math.min(FEED, start + s.length);
  return { from, ops: feedOf(from).ops.slice(start, end), end };
}

/** Byte-level damage: flips, overwrites, cuts, insertions, and counters and author ids near the limits spliced in. */
const byteMutation = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.nat({ max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 4 }) }),
  fc.record({ kind: fc.constant('varint' as const), at: fc.nat(), value: fc.constantFrom(0, 1, 2, 55, 65536, ONE, TWO, MAX_ACTOR, MAX_COUNTER, MAX_COUNTER + 1, 2 ** 32) }),
);
type ByteMutation = typeof byteMutation extends fc.Arbitrary<infer M> ? M : never;

function damageBytes(bytes: Uint8Array, mutations: readonly ByteMutation[]): Uint8Array {
  let b = [...bytes];
  for (const m of mutations) {
    const at = b.length === 0 ? 0 : m.at % (b.length + 1);
    if (m.kind === 'set' && at < b.length) b[at] = m.value;
    else if (m.kind === 'cut') b = b.slice(0, at);
    else if (m.kind === 'insert') b.splice(at, 0, ...m.bytes);
    else if (m.kind === 'varint') {
      const v: number[] = [];
      pushVarint(v, m.value);
      b.splice(at, 0, ...v);
    }
  }
  return Uint8Array.from(b);
}

/** Replace the node at one of the JSON value's paths (chosen by `pick`) with a hostile value. */
function damageJson(value: unknown, picks: ReadonlyArray<[number, number]>): unknown {
  let root = structuredClone(value);
  for (const [pick, hostile] of picks) {
    const paths: Array<Array<string | number>> = [];
    const walk = (v: unknown, path: Array<string | number>): void => {
      paths.push(path);
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
      else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    };
    walk(root, []);
    const path = paths[pick % paths.length] as Array<string | number>;
    const replacement = structuredClone(HOSTILE[hostile % HOSTILE.length]);
    if (path.length === 0) {
      root = replacement;
      continue;
    }
    let parent = root as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    parent[path[path.length - 1] as string | number] = replacement;
  }
  return root;
}

const jsonPicks = fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 3 });

type Body = { payload: Buffer; contentType: string; label: string };

/** What to send: built against the subject as it is when the input runs (a slice runs on from what it holds). */
type PushPlan =
  | { kind: 'binary'; slice: SliceSpec; mutations: ByteMutation[] }
  | { kind: 'json'; slice: SliceSpec; picks: Array<[number, number]> }
  | { kind: 'text'; slice: SliceSpec; at: number; raw: number }
  | { kind: 'resigned'; slice: SliceSpec; how: 'impostor' | 'other-proof' | 'short-proof' | 'no-ops'; binary: boolean }
  | { kind: 'random-binary'; bytes: Uint8Array }
  | { kind: 'random-json'; text: string }
  | { kind: 'raw'; body: Body };

const pushPlan: fc.Arbitrary<PushPlan> = fc.oneof(
  fc.record({ kind: fc.constant('binary' as const), slice: sliceArb, mutations: fc.array(byteMutation, { maxLength: 3 }) }),
  fc.record({ kind: fc.constant('json' as const), slice: sliceArb, picks: jsonPicks }),
  fc.record({ kind: fc.constant('text' as const), slice: sliceArb, at: fc.nat(), raw: fc.nat() }),
  fc.record({ kind: fc.constant('resigned' as const), slice: sliceArb, how: fc.constantFrom('impostor' as const, 'other-proof' as const, 'short-proof' as const, 'no-ops' as const), binary: fc.boolean() }),
  fc.record({ kind: fc.constant('random-binary' as const), bytes: fc.uint8Array({ maxLength: 64 }) }),
  fc.record({ kind: fc.constant('random-json' as const), text: fc.json() }),
);

function pushBody(plan: PushPlan, state: ActorState): Body {
  const binaryBody = (from: ActorId, ops: Op<number>[], proof: Proof, label: string): Body => ({ payload: Buffer.from(encodeBinaryPush(from, ops, proof)), contentType: BINARY_TYPE, label });
  const jsonBody = (text: string, label: string): Body => ({ payload: Buffer.from(text), contentType: 'application/json', label });
  switch (plan.kind) {
    case 'raw':
      return plan.body;
    case 'random-binary':
      return { payload: Buffer.from([0x50, 3, ...plan.bytes]), contentType: BINARY_TYPE, label: 'random binary' };
    case 'random-json':
      return jsonBody(plan.text, 'random JSON');
    default:
  }
  const { from, ops, end } = slice(plan.slice, state);
  const proof = proofAt(from, Math.max(1, end));
  switch (plan.kind) {
    case 'binary':
      return { payload: Buffer.from(damageBytes(encodeBinaryPush(from, ops, proof), plan.mutations)), contentType: BINARY_TYPE, label: 'binary push' };
    case 'json':
      return jsonBody(JSON.stringify(damageJson({ v: 2, from, ops: ops.map(encodeOp), proof: encodeProof(proof) }, plan.picks)) ?? '', 'JSON push');
    case 'text': {
      // A number replaced in the JSON text itself, where JSON.stringify cannot go (1e400, 9007199254740993).
      const text = jsonPush(from, ops.map(encodeOp), proof);
      const numbers = [...text.matchAll(/\d+/g)];
      const m = numbers[plan.at % Math.max(1, numbers.length)];
      const raw = ['1e400', '9007199254740993', '-0', '1.0', '281474976710657', '00', '9007199254740992'][plan.raw % 7] as string;
      return jsonBody(m === undefined ? text : text.slice(0, m.index) + raw + text.slice((m.index ?? 0) + m[0].length), 'JSON text');
    }
    case 'resigned': {
      // Genuine ops with a proof that is not their author's at their end: another key signing the
      // author's feed (as far as the slice goes), the other author's proof, a proof short of the
      // end, or the author's proof with no ops at all (nothing to take).
      const other = from === ONE ? TWO : ONE;
      const impostor = new HandAuthor(memberOf(from), tagOf(from), newSigner().signer);
      const resigned =
        plan.how === 'impostor' ? impostor.sign(feedOf(from).ops.slice(0, end), Math.max(1, end)) : plan.how === 'other-proof' ? proofAt(other, Math.max(1, end)) : plan.how === 'short-proof' ? proofAt(from, Math.max(1, end - 1)) : proof;
      const sent = plan.how === 'no-ops' ? [] : ops;
      return plan.binary ? binaryBody(from, sent, resigned, `push, ${plan.how}`) : jsonBody(jsonPush(from, sent.map(encodeOp), resigned), `JSON push, ${plan.how}`);
    }
  }
}

/** A page of the relay, cut at `maxOps` ops, for an asker at a version near what the subject holds, or anywhere. */
const pageArb = fc.record({ relative: fc.boolean(), one: fc.nat({ max: FEED }), two: fc.nat({ max: FEED }), maxOps: fc.integer({ min: 1, max: 64 }) });
type PageSpec = typeof pageArb extends fc.Arbitrary<infer P> ? P : never;

function page(spec: PageSpec, state: ActorState): SyncPage<number> {
  const feeds = state.replica.replicator.feeds;
  const at = (actor: ActorId, n: number): number => (spec.relative ? Math.min(FEED, Math.max(0, feeds.count(actor) + (n % 5) - 3)) : n);
  const version = new Map([[ONE, at(ONE, spec.one)], [TWO, at(TWO, spec.two)]].filter(([, n]) => (n as number) > 0) as Array<[ActorId, number]>);
  return missingOps(material.relay.list, version, { maxOps: spec.maxOps, maxBytes: 1 << 20, sizeOf: wireSize }, material.relay.replicator.feeds);
}

type SyncPlan =
  | { kind: 'binary'; page: PageSpec; mutations: ByteMutation[] }
  | { kind: 'json'; page: PageSpec; picks: Array<[number, number]> }
  | { kind: 'spliced'; page: PageSpec; drop: number; proofs: 'swap' | 'drop' | 'keep' }
  | { kind: 'random-binary'; bytes: Uint8Array }
  | { kind: 'random-json'; text: string };

const syncPlan: fc.Arbitrary<SyncPlan> = fc.oneof(
  fc.record({ kind: fc.constant('binary' as const), page: pageArb, mutations: fc.array(byteMutation, { maxLength: 3 }) }),
  fc.record({ kind: fc.constant('json' as const), page: pageArb, picks: jsonPicks }),
  fc.record({ kind: fc.constant('spliced' as const), page: pageArb, drop: fc.nat(), proofs: fc.constantFrom('swap' as const, 'drop' as const, 'keep' as const) }),
  fc.record({ kind: fc.constant('random-binary' as const), bytes: fc.uint8Array({ maxLength: 64 }) }),
  fc.record({ kind: fc.constant('random-json' as const), text: fc.json() }),
);

function syncBody(plan: SyncPlan, state: ActorState): Body {
  switch (plan.kind) {
    case 'random-binary':
      return { payload: Buffer.from([0x53, 3, ...plan.bytes]), contentType: BINARY_TYPE, label: 'random binary' };
    case 'random-json':
      return { payload: Buffer.from(plan.text), contentType: 'application/json', label: 'random JSON' };
    case 'binary':
      return { payload: Buffer.from(damageBytes(encodeBinarySyncReply(material.relay.actor, page(plan.page, state)), plan.mutations)), contentType: BINARY_TYPE, label: 'binary sync answer' };
    case 'json':
      return { payload: Buffer.from(JSON.stringify(damageJson(encodeSyncReply(material.relay.actor, page(plan.page, state)), plan.picks)) ?? ''), contentType: 'application/json', label: 'JSON sync answer' };
    case 'spliced': {
      // Damage a wire format cannot show: an op left out of a page, proofs swapped between feeds or left out.
      const p = page(plan.page, state);
      const ops = p.ops.length === 0 ? [] : p.ops.filter((_, i) => i !== plan.drop % p.ops.length);
      const proofs = plan.proofs === 'keep' ? p.proofs : plan.proofs === 'drop' ? p.proofs.slice(1) : p.proofs.map((q, i) => ({ ...q, ...(p.proofs[(i + 1) % p.proofs.length] as Proof), actor: q.actor }));
      return { payload: Buffer.from(encodeBinarySyncReply(material.relay.actor, { ...p, ops, proofs })), contentType: BINARY_TYPE, label: `spliced page (${plan.proofs})` };
    }
  }
}

/** The ops an actor holds of the two authors, applied or pending, are theirs: nothing forged got in. */
function expectOnlyGenuine(state: ActorState): void {
  const { list } = state.replica;
  for (const actor of list.version().keys()) expect([state.incarnation, ONE, TWO]).toContain(actor);
  for (const actor of material.authors) {
    const n = list.version().get(actor) ?? 0;
    expect(list.opsOf(actor, 0, n)).toEqual(feedOf(actor).ops.slice(0, n));
  }
  for (const op of list.pendingOps()) expect(op).toEqual(material.byId.get(idKey(op.id)));
}

/** One actor for the whole run; it is closed and opened again after every input it takes, and replaced by a fresh one when it holds everything. */
class Subject {
  readonly name: string;
  file = '';
  actor!: ActorApp;
  generation = 0;
  accepted = 0;

  constructor(name: string) {
    this.name = name;
    this.#fresh();
  }

  #fresh(): void {
    this.file = join(dir, `${this.name}-${this.generation++}`, 'actor-0.db');
    this.actor = sqliteActorApp(this.file, 3, 0, [PEER]);
  }

  async reopenAndGoOn(): Promise<void> {
    this.accepted++;
    const before = held(this.actor.state, material.authors);
    const incarnation = this.actor.state.incarnation;
    const next = this.actor.state.replica.list.nextCounter;
    await this.close();
    this.actor = sqliteActorApp(this.file, 3, 0, [PEER]);
    expect(this.actor.state.incarnation).toBe(incarnation);
    expect(held(this.actor.state, material.authors)).toEqual(before);
    const [op] = this.actor.state.replica.edit((list) => list.insert(0, next % 256));
    expect(op?.id).toEqual({ actor: incarnation, counter: next });
    // Everything of both feeds held: go on with a fresh actor, which has everything to take again.
    const { list } = this.actor.state.replica;
    if (material.authors.every((a) => list.version().get(a) === FEED)) {
      await this.close();
      this.#fresh();
    }
  }

  async close(): Promise<void> {
    await this.actor.app.close();
    this.actor.state.replica.close();
  }
}

const runOptions = { seed: SEED, ...(process.env.FC_PATH === undefined ? {} : { path: process.env.FC_PATH }) };

describe(`wire fuzzer (seed ${SEED}; replay: ${REPLAY})`, () => {
  it(`POST /genome: ${RUNS.push} arbitrary and damaged pushes are refused with 4xx, changing nothing, or taken and reloaded exactly`, async () => {
    console.log(`wire fuzzer: seed ${SEED}; replay: ${REPLAY}`);
    const subject = new Subject('push');
    const statuses = new Map<string, number>();
    try {
      await fc.assert(
        fc.asyncProperty(pushPlan, async (plan) => {
          const { state } = subject.actor;
          const body = pushBody(plan, state);
          const before = refusalState(state, material.authors);
          const res = await subject.actor.app.inject({ method: 'POST', url: '/genome', payload: body.payload, headers: { 'content-type': body.contentType } });
          const code = res.statusCode === 200 ? 'ok' : (res.json() as { error: string }).error;
          statuses.set(code, (statuses.get(code) ?? 0) + 1);
          if (res.statusCode === 200) {
            expectOnlyGenuine(state);
            return subject.reopenAndGoOn();
          }
          // A documented refusal, with its documented status: never a 5xx, never a status of another code.
          expect({ code, status: REFUSAL_CODES[code] }, `${body.label}: ${res.body}`).toEqual({ code, status: res.statusCode });
          expect(refusalState(state, material.authors), `${body.label}: ${res.body}`).toEqual(before);
        }),
        { numRuns: RUNS.push, ...runOptions, examples: hostileExamples(subject.actor.state.incarnation) },
      );
    } finally {
      await subject.close();
    }
    console.log(`wire fuzzer, pushes: ${[...statuses].map(([c, n]) => `${c} ${n}`).join(', ')}; ${subject.generation} actors`);
    // The fuzzer reaches both outcomes, the feed check's refusals among them, or it tests nothing.
    expect(subject.accepted).toBeGreaterThan(RUNS.push / 100);
    for (const code of ['invalid_body', 'invalid_op', 'bad_signature', 'key_mismatch', 'gap']) expect(statuses.get(code) ?? 0, code).toBeGreaterThan(0);
  });

  it(`sync answers: ${RUNS.sync} arbitrary and damaged answers are refused before anything is taken, feed by feed or whole, or taken and reloaded exactly`, async () => {
    const subject = new Subject('sync');
    const counts = { malformed: 0, refusedWhole: 0, refusedFeeds: 0, taken: 0 };
    try {
      await fc.assert(
        fc.asyncProperty(syncPlan, async (plan) => {
          const { state } = subject.actor;
          const body = syncBody(plan, state);
          const before = refusalState(state, material.authors);
          let answer: SyncPage<number>;
          try {
            answer = decodeSyncAnswer(body.contentType, body.payload);
          } catch {
            counts.malformed++;
            expect(refusalState(state, material.authors)).toEqual(before);
            return;
          }
          const { replica } = state;
          const request = { type: 'sync', from: state.incarnation, version: replica.list.version() } as const;
          const outcome = replica.onReply(PEER, request, { type: 'sync', ...answer }, 0);
          expect(outcome.refused, body.label).toEqual([]);
          for (const r of outcome.refusals) expect(Object.keys(REFUSAL_CODES), body.label).toContain(r.code);
          if (outcome.accepted.length === 0) {
            // Nothing taken: nothing changed.
            if (outcome.refusals.length > 0) counts.refusedWhole++;
            expect(refusalState(state, material.authors), body.label).toEqual(before);
            return;
          }
          // Feeds refused are left as they were; what was taken is the authors' own.
          if (outcome.refusals.length > 0) counts.refusedFeeds++;
          const after = refusalState(state, material.authors);
          for (const r of outcome.refusals) expect(after.feeds.find((f) => f.author === r.actor), body.label).toEqual(before.feeds.find((f) => f.author === r.actor));
          expect(after.equivocations).toEqual([]);
          expectOnlyGenuine(state);
          counts.taken++;
          await subject.reopenAndGoOn();
        }),
        { numRuns: RUNS.sync, ...runOptions },
      );
    } finally {
      await subject.close();
    }
    console.log(`wire fuzzer, sync answers: ${JSON.stringify(counts)}; ${subject.generation} actors`);
    expect(counts.taken).toBeGreaterThan(RUNS.sync / 100);
    expect(counts.refusedWhole).toBeGreaterThan(0);
    expect(counts.malformed).toBeGreaterThan(0);
  });
});

/** The cases an attacker tried, as the first inputs of every run; `self`: the subject's own author id. */
function hostileExamples(self: ActorId): Array<[PushPlan]> {
  const raw = (payload: Uint8Array | string, contentType: string): [PushPlan] => [{ kind: 'raw', body: { payload: Buffer.from(payload), contentType, label: 'example' } }];
  const bin = (proof: Proof, ...xs: number[]): [PushPlan] => raw(binaryPush(proof.actor, proof, xs[0] as number, xs.slice(1)), BINARY_TYPE);
  const json = (author: HandAuthor, ops: Op<number>[]): [PushPlan] =>
    raw(jsonPush(author.actor, ops.map(encodeOp), author.sign(ops, Math.min(MAX_COUNTER, (ops[ops.length - 1] as Op<number>).id.counter))), 'application/json');
  const a = new HandAuthor(1);
  const A = a.actor;
  const proof = a.sign([ins(A, 1, 5)]);
  const stranger = new HandAuthor(55);
  const genuineFirst = signedPush(feedOf(ONE).author, 0);
  return [
    bin(proof, 2, 0, A, 2 ** 53 - 1, 2, 0, 0, 5, 6), // an insert run of two from a.(2^53 - 1)
    bin(proof, 2, 1, A, 5, 2, 2, 0, 2 ** 53 - 2, 2), // a delete run stepping to 2^53
    bin(proof, 2, 0, A, MAX_COUNTER, 1, 0, 0, 5, 2, 1, 0, 0, 6), // a run following one at the highest counter
    json(a, [ins(A, MAX_COUNTER + 1, 5)]),
    json(a, [ins(A, 1, 5, { actor: 2 as ActorId, counter: 2 ** 53 - 1 })]),
    json(stranger, [ins(stranger.actor, 1, 5)]), // a stranger, signing its own op
    json(a, [ins(A, 1, 5, { actor: 88 as ActorId, counter: 1 })]),
    json(a, [ins(A, MAX_COUNTER, 5)]), // well-formed, but a feed never seen from its first op
    raw(jsonPush(self, [encodeOp(ins(self, 1, 5))], proof), 'application/json'), // under the subject's own id
    raw(jsonPush(ONE, feedOf(ONE).ops.slice(0, 3).map(encodeOp), { ...proofAt(ONE, 3), key: proofAt(TWO, 3).key }), 'application/json'), // another member's key
    raw(encodeBinaryPush(genuineFirst.from, genuineFirst.ops.slice(0, 1), proofAt(ONE, 1)), BINARY_TYPE), // genuine: the first op
  ];
}
