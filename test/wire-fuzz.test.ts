import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { pushVarint } from '../src/crdt/codec.js';
import { actorId, type ActorId } from '../src/crdt/ids.js';
import type { Op } from '../src/crdt/ops.js';
import { ReferenceList } from '../src/crdt/ReferenceList.js';
import { MAX_COUNTER } from '../src/crdt/validate.js';
import { missingOps } from '../src/sync/pages.js';
import { BINARY_TYPE, decodeSyncAnswer, encodeBinaryPush, encodeBinarySyncReply } from '../src/transport/binary-wire.js';
import { encodeOp, encodeSyncReply, wireSize } from '../src/transport/wire.js';
import { holdings, sqliteActorApp, type ActorApp } from './helpers/actor-app.js';
import { varints } from './helpers/bytes.js';

/**
 * The wire fuzzer: arbitrary and mutated push bodies (JSON and binary) through `POST /genome`, and
 * sync answers through the code that takes them, against an actor as the program runs it (SQLite
 * store in a temp dir, fast list, three members). Each input is refused with 4xx and changes
 * nothing, or is taken; after every one taken, the store closed and opened again holds exactly
 * what the actor held, and the actor makes its next op.
 */

const SEED = Number(process.env.FC_SEED ?? randomInt(0x7fffffff));
const REPLAY = `FC_SEED=${SEED} npx vitest run test/wire-fuzz.test.ts`;
const RUNS = { push: 1500, sync: 1000 };

const dir = mkdtempSync(join(tmpdir(), 'genome-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const PEER = 'http://peer-1';

/** Genuine material to mutate: ops of actors 1 and 2, made concurrently and merged. */
function genuine(): { byActor: Map<ActorId, Op<number>[]>; all: ReferenceList<number> } {
  const one = new ReferenceList<number>(actorId(1));
  const two = new ReferenceList<number>(actorId(2));
  const byActor = new Map<ActorId, Op<number>[]>([[actorId(1), []], [actorId(2), []]]);
  let x = 7;
  const next = (m: number): number => (x = (x * 1103515245 + 12345) % 2 ** 31) % m;
  for (let round = 0; round < 6; round++) {
    for (const list of [one, two]) {
      for (let k = 0; k < 8; k++) {
        const op = list.length > 3 && next(3) === 0 ? list.delete(next(list.length)) : list.insert(next(list.length + 1), next(256));
        byActor.get(list.actor)?.push(op);
      }
    }
    for (const op of byActor.get(actorId(2)) ?? []) one.apply(op);
    for (const op of byActor.get(actorId(1)) ?? []) two.apply(op);
  }
  return { byActor, all: one };
}
const { byActor, all } = genuine();

/** Values an attacker would try where a number or a field belongs. */
const HOSTILE = [0, -1, 1, 2, 3, 55, 255, 256, 65535, 65536, MAX_COUNTER, MAX_COUNTER + 1, 2 ** 53 - 1, 2 ** 53, 1.5, -0.5, '5', '', null, true, [], {}, [1], [1, 2, 3]];

/** A slice of one member's own ops, as its push would carry them. */
const ownSlice = fc.record({ actor: fc.constantFrom(actorId(1), actorId(2)), start: fc.nat({ max: 47 }), length: fc.nat({ max: 20 }) }).map(({ actor, start, length }) => {
  const ops = byActor.get(actor) ?? [];
  return { from: actor, ops: ops.slice(start, start + length) };
});

/** Byte-level damage: flips, overwrites, cuts, insertions, and counters near the limits spliced in. */
const byteMutation = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.nat({ max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 4 }) }),
  fc.record({ kind: fc.constant('varint' as const), at: fc.nat(), value: fc.constantFrom(0, 1, 2, 55, 65536, MAX_COUNTER, MAX_COUNTER + 1, 2 ** 53 - 1, 2 ** 32) }),
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

const jsonPicks = fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 3 });

type Body = { payload: Buffer; contentType: string; label: string };
const pushBody: fc.Arbitrary<Body> = fc.oneof(
  fc.tuple(ownSlice, fc.array(byteMutation, { maxLength: 3 })).map(([s, m]) => ({ payload: Buffer.from(damageBytes(encodeBinaryPush(s.from, s.ops), m)), contentType: BINARY_TYPE, label: 'binary push' })),
  fc.tuple(ownSlice, jsonPicks).map(([s, picks]) => ({ payload: Buffer.from(JSON.stringify(damageJson({ v: 1, from: s.from, ops: s.ops.map(encodeOp) }, picks)) ?? ''), contentType: 'application/json', label: 'JSON push' })),
  fc.tuple(ownSlice, fc.nat(), fc.nat()).map(([s, a, b]) => {
    // A number replaced in the JSON text itself, where JSON.stringify cannot go (1e400, 9007199254740993).
    const text = JSON.stringify({ v: 1, from: s.from, ops: s.ops.map(encodeOp) });
    const numbers = [...text.matchAll(/\d+/g)];
    const m = numbers[a % Math.max(1, numbers.length)];
    const raw = ['1e400', '9007199254740993', '-0', '1.0', '281474976710657', '00'][b % 6] as string;
    return { payload: Buffer.from(m === undefined ? text : text.slice(0, m.index) + raw + text.slice((m.index ?? 0) + m[0].length)), contentType: 'application/json', label: 'JSON text' };
  }),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ payload: Buffer.from([0x50, 2, ...bytes]), contentType: BINARY_TYPE, label: 'random binary' })),
  fc.json().map((text) => ({ payload: Buffer.from(text), contentType: 'application/json', label: 'random JSON' })),
);

/** A page a peer holding both members' ops would send to an asker at `version`. */
function genuinePage(after: Record<string, number>) {
  const version = new Map(Object.entries(after).map(([a, n]) => [actorId(Number(a)), n]));
  return missingOps(all, version, { maxOps: 4096, maxBytes: 1 << 20, sizeOf: wireSize }, actorId(0));
}
const pageArb = fc.record({ one: fc.nat({ max: 48 }), two: fc.nat({ max: 48 }) }).map(({ one, two }) => genuinePage({ 1: one, 2: two }));
const syncAnswer: fc.Arbitrary<Body> = fc.oneof(
  fc.tuple(pageArb, fc.array(byteMutation, { maxLength: 3 })).map(([p, m]) => ({ payload: Buffer.from(damageBytes(encodeBinarySyncReply(actorId(1), p), m)), contentType: BINARY_TYPE, label: 'binary sync answer' })),
  fc.tuple(pageArb, jsonPicks).map(([p, picks]) => ({ payload: Buffer.from(JSON.stringify(damageJson(encodeSyncReply(actorId(1), p), picks)) ?? ''), contentType: 'application/json', label: 'JSON sync answer' })),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ payload: Buffer.from([0x53, 2, ...bytes]), contentType: BINARY_TYPE, label: 'random binary' })),
  fc.json().map((text) => ({ payload: Buffer.from(text), contentType: 'application/json', label: 'random JSON' })),
);

/** One actor for the whole run; it is closed and opened again after every input it takes. */
class Subject {
  readonly file: string;
  actor: ActorApp;
  accepted = 0;

  constructor(name: string) {
    this.file = join(dir, name, 'actor-0.db');
    this.actor = sqliteActorApp(this.file, 3, 0, [PEER]);
  }

  async reopenAndGoOn(): Promise<void> {
    this.accepted++;
    const before = holdings(this.actor.state);
    const next = this.actor.state.replica.list.nextCounter;
    await this.close();
    this.actor = sqliteActorApp(this.file, 3, 0, [PEER]);
    expect(holdings(this.actor.state)).toEqual(before);
    const [op] = this.actor.state.replica.edit((list) => list.insert(0, next % 256));
    expect(op?.id).toEqual({ actor: 0, counter: next });
  }

  async close(): Promise<void> {
    await this.actor.app.close();
    this.actor.state.replica.close();
  }
}

describe(`wire fuzzer (seed ${SEED}; replay: ${REPLAY})`, () => {
  it(`POST /genome: ${RUNS.push} arbitrary and damaged pushes are refused with 4xx, changing nothing, or taken and reloaded exactly`, async () => {
    console.log(`wire fuzzer: seed ${SEED}; replay: ${REPLAY}`);
    const subject = new Subject('push');
    const statuses = new Map<number, number>();
    try {
      await fc.assert(
        fc.asyncProperty(pushBody, async (body) => {
          const before = holdings(subject.actor.state);
          const res = await subject.actor.app.inject({ method: 'POST', url: '/genome', payload: body.payload, headers: { 'content-type': body.contentType } });
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
          if (res.statusCode === 200) return subject.reopenAndGoOn();
          expect(res.statusCode, `${body.label}: ${res.body}`).toBeGreaterThanOrEqual(400);
          expect(res.statusCode, `${body.label}: ${res.body}`).toBeLessThan(500);
          expect(holdings(subject.actor.state)).toEqual(before);
        }),
        { numRuns: RUNS.push, seed: SEED, ...(process.env.FC_PATH === undefined ? {} : { path: process.env.FC_PATH }), examples: hostileExamples() },
      );
    } finally {
      await subject.close();
    }
    // The fuzzer reaches both outcomes, or it tests nothing.
    expect(subject.accepted).toBeGreaterThan(RUNS.push / 100);
    expect([...statuses.keys()].filter((s) => s >= 400).length).toBeGreaterThan(0);
  });

  it(`sync answers: ${RUNS.sync} arbitrary and damaged answers are refused before anything is taken, or taken and reloaded exactly`, async () => {
    const subject = new Subject('sync');
    let taken = 0;
    try {
      await fc.assert(
        fc.asyncProperty(syncAnswer, async (body) => {
          const before = holdings(subject.actor.state);
          let page: ReturnType<typeof decodeSyncAnswer>;
          try {
            page = decodeSyncAnswer(body.contentType, body.payload);
          } catch {
            expect(holdings(subject.actor.state)).toEqual(before);
            return;
          }
          const { replica } = subject.actor.state;
          const request = { type: 'sync', from: actorId(0), version: replica.list.version(), catchUp: false } as const;
          replica.onReply(PEER, request, { type: 'sync', ...page }, 0);
          taken++;
          await subject.reopenAndGoOn();
        }),
        { numRuns: RUNS.sync, seed: SEED, ...(process.env.FC_PATH === undefined ? {} : { path: process.env.FC_PATH }) },
      );
    } finally {
      await subject.close();
    }
    expect(taken).toBeGreaterThan(RUNS.sync / 100);
  });
});

/** The cases an attacker tried, as the first inputs of every run. */
function hostileExamples(): Array<[Body]> {
  const binary = (...xs: number[]): [Body] => [{ payload: Buffer.from(varints([0x50, 2], ...xs)), contentType: BINARY_TYPE, label: 'example' }];
  const json = (ops: unknown[], from = 1): [Body] => [{ payload: Buffer.from(JSON.stringify({ v: 1, from, ops })), contentType: 'application/json', label: 'example' }];
  return [
    binary(1, 2, 0, 1, 2 ** 53 - 1, 2, 0, 0, 5, 6), // an insert run of two from 1.(2^53 - 1)
    binary(1, 2, 1, 1, 5, 2, 2, 0, 2 ** 53 - 2, 2), // a delete run stepping to 2^53
    binary(1, 2, 0, 1, MAX_COUNTER, 1, 0, 0, 5, 2, 1, 0, 0, 6), // a run following one at the highest counter
    json([{ type: 'insert', id: [1, 2 ** 53 - 1], value: 5, left: null, right: null }]),
    json([{ type: 'insert', id: [1, 1], value: 5, left: [2, 2 ** 53 - 1], right: null }]),
    json([{ type: 'insert', id: [55, 1], value: 5, left: null, right: null }], 55),
    json([{ type: 'insert', id: [1, 1], value: 5, left: [88, 1], right: null }]),
  ];
}
