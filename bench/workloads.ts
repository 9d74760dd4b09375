import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { actorId } from '../src/crdt/ids.js';
import type { Op } from '../src/crdt/ops.js';
import { ReferenceList } from '../src/crdt/ReferenceList.js';
import { decodeBatch } from '../src/crdt/batch-codec.js';
import { COMPACTION_QUALITY, decodeSnapshot, encodeSnapshot } from '../src/store/snapshot.js';
import { FastList } from '../src/crdt/fast/FastList.js';
import { MIN_GENES } from '../src/genome/mutation.js';
import { Rng } from '../src/genome/Rng.js';
import { syncConfig } from '../src/actor/sync-config.js';
import { genomeList } from '../src/genome/cluster.js';
import { isGene } from '../src/genome/gene.js';
import { SqliteStore } from '../src/store/SqliteStore.js';
import { ownOpsAfter } from '../src/sync/pages.js';
import { Replica } from '../src/sync/Replica.js';
import { KEY_BYTES, SIGNATURE_BYTES, type FeedCrypto } from '../src/sync/feed-crypto.js';
import type { Proof } from '../src/sync/Feeds.js';
import { BINARY_TYPE, decodeBinaryPush, encodeBinaryPush, encodeBinarySyncReply } from '../src/transport/binary-wire.js';
import { nodeFeedCrypto } from '../src/transport/signing.js';
import { decodeSyncAnswer, encodePush } from '../src/transport/wire.js';
import type { Adapter, ListDoc } from './adapters/types.js';
import { storeSoakApart as storeSoak } from './soak-store.js';
import { loadTrace, type Trace } from './trace.js';
import { unsignedFeedCrypto } from './unsigned-crypto.js';

/** One measurement: `ms` is the timed part, `heapMB` the heap after a full GC with the result alive. */
export interface Result {
  workload: string;
  of?: string;
  ms: number;
  heapMB: number;
  bytes: number | null;
  ok: boolean;
  /** Deleted elements the list still holds at the end (soak). */
  tombstones?: number;
  /** The resident set of a process of its own (the soak's store rows). */
  rssMB?: number;
}

type Workload = (adapter: Adapter) => Result[];

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const heapMB = (): number => {
  gc();
  gc();
  return Math.round((process.memoryUsage().heapUsed / 1048576) * 10) / 10;
};
/** Time `f` alone: a full GC first, so garbage from the set-up is not collected on its clock. */
const time = <R>(f: () => R): [R, number] => {
  gc();
  const t0 = process.hrtime.bigint();
  const r = f();
  return [r, Number(process.hrtime.bigint() - t0) / 1e6];
};

function replay(trace: Trace, doc: { insert(p: number, t: string): void; delete(p: number, n: number): void }): void {
  for (const e of trace.edits) {
    if (e.del > 0) doc.delete(e.pos, e.del);
    if (e.ins !== '') doc.insert(e.pos, e.ins);
  }
}

/** Seeded seed-rule mutations on a list (the genome workloads): below 10 genes insert, else a coin. */
function mutate(doc: ListDoc, rng: Rng, count: number, plain?: number[]): void {
  for (let i = 0; i < count; i++) {
    const len = doc.length;
    if (len < MIN_GENES || rng.next() < 0.5) {
      const pos = rng.int(len + 1);
      const gene = rng.int(256);
      doc.insert(pos, gene);
      plain?.splice(pos, 0, gene);
    } else {
      const pos = rng.int(len);
      doc.delete(pos);
      plain?.splice(pos, 1);
    }
  }
}

const sameArray = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

export const WORKLOADS: Record<string, Workload> = {
  'trace-local'(adapter) {
    const trace = loadTrace();
    const doc = adapter.newText(1);
    const [, ms] = time(() => replay(trace, doc));
    const heap = heapMB();
    return [{ workload: 'trace-local', ms, heapMB: heap, bytes: null, ok: doc.text() === trace.endContent }];
  },

  /** The trace typed by ranges (one call per edit) where a library also edits one element at a time: compare with trace-local. */
  'trace-ranges'(adapter) {
    if (adapter.newRangeText === undefined) return [];
    const trace = loadTrace();
    const doc = adapter.newRangeText(1);
    const [, ms] = time(() => replay(trace, doc));
    const heap = heapMB();
    return [{ workload: 'trace-ranges', ms, heapMB: heap, bytes: null, ok: doc.text() === trace.endContent }];
  },

  'trace-remote'(adapter) {
    const trace = loadTrace();
    const source = adapter.recordingText(1);
    replay(trace, source.doc);
    const updates = source.updates();
    const [doc, ms] = time(() => adapter.replayText(2, updates));
    const heap = heapMB();
    return [{ workload: 'trace-remote', ms, heapMB: heap, bytes: updates.reduce((a, u) => a + u.length, 0), ok: doc.text() === trace.endContent }];
  },

  'genome-local'(adapter) {
    const doc = adapter.newList(1);
    const plain: number[] = [];
    const rng = new Rng(42);
    const [, ms] = time(() => mutate(doc, rng, 100_000));
    const heap = heapMB();
    const check = adapter.newList(2);
    mutate(check, new Rng(42), 100_000, plain);
    return [{ workload: 'genome-local', ms, heapMB: heap, bytes: null, ok: sameArray(doc.toArray(), plain) }];
  },

  'genome-merge'(adapter) {
    if (adapter.mergeList === undefined) return [{ workload: 'genome-merge', ms: NaN, heapMB: NaN, bytes: null, ok: false }];
    const docs = [1, 2, 3].map((agent) => adapter.newList(agent));
    docs.forEach((doc, i) => mutate(doc, new Rng(1000 + i), 20_000));
    const states = docs.map((d) => adapter.encodeList(d));
    const merge = adapter.mergeList.bind(adapter);
    const [, ms] = time(() => docs.forEach((doc, i) => states.forEach((s, j) => j !== i && merge(doc, s))));
    const heap = heapMB();
    const arrays = docs.map((d) => d.toArray());
    let ok = arrays.every((a) => sameArray(a, arrays[0] as number[]));
    if (adapter.name === 'crdt-genome') ok &&= sameArray(arrays[0] as number[], referenceMerge(states));
    return [{ workload: 'genome-merge', ms, heapMB: heap, bytes: states.reduce((a, s) => a + s.length, 0), ok }];
  },

  /**
   * Bytes per op of the trace's ops sent as pushes of 100: JSON (wire v2) and binary run-length
   * batches (wire v3), each push with its proof (a placeholder key and signature of the real sizes).
   */
  wire(adapter) {
    if (adapter.name !== 'crdt-genome') return [];
    const trace = loadTrace();
    const source = adapter.recordingText(1);
    replay(trace, source.doc);
    const ops = source.updates().flatMap((u) => decodeBatch(u));
    const batches: Op<number>[][] = [];
    for (let i = 0; i < ops.length; i += 100) batches.push(ops.slice(i, i + 100));
    const from = actorId(1);
    const proofOf = (b: Op<number>[]): Proof => ({ actor: from, counter: (b[b.length - 1] as Op<number>).id.counter, key: new Uint8Array(KEY_BYTES), signature: new Uint8Array(SIGNATURE_BYTES) });
    const proofs = batches.map(proofOf);
    const [json, jsonMs] = time(() => batches.reduce((n, b, i) => n + encodePush(from, b, proofs[i] as Proof).length, 0));
    const [binary, binMs] = time(() => batches.reduce((n, b, i) => n + encodeBinaryPush(from, b, proofs[i] as Proof).length, 0));
    const ok = batches.every((b, i) => JSON.stringify(decodeBinaryPush(encodeBinaryPush(from, b, proofs[i] as Proof)).ops) === JSON.stringify(b));
    return [
      { workload: 'wire', of: 'json', ms: jsonMs, heapMB: NaN, bytes: Math.round((json / ops.length) * 100) / 100, ok },
      { workload: 'wire', of: 'binary', ms: binMs, heapMB: NaN, bytes: Math.round((binary / ops.length) * 100) / 100, ok },
    ];
  },

  /**
   * Ops through the actors' real replication paths, SQLite stores included (ours only): 100,000
   * seed-rule mutations of one actor pushed to a second in binary batches cut at signed points, as
   * its replicator pushes them (decode, op checks, feed check, apply, store), and pulled by a third
   * in sync pages (serve, encode, decode, checks, feed check, apply, store). Twice: with real
   * signatures (SHA-256 chains, Ed25519), and "unsigned" (a crypto that hashes and checks nothing),
   * so that signed / unsigned is the cost of hashing and verifying.
   */
  replication(adapter) {
    if (adapter.name !== 'crdt-genome') return [];
    // Untimed, smaller passes of both first: otherwise the pass that runs first pays for the JIT.
    for (const crypto of [nodeFeedCrypto, unsignedFeedCrypto]) replication('warm-up', crypto, 10);
    return [...replication('signed', nodeFeedCrypto, 100), ...replication('unsigned', unsignedFeedCrypto, 100)];
  },

  /**
   * What a newcomer to a long-lived replica receives and how long it takes to load it: one replica
   * makes 1,000,000 seed-rule mutations (untimed); its whole state is encoded (`bytes`: ours, list
   * state v6 at Brotli's best; Yjs, `encodeStateAsUpdate`, which drops deleted content; Automerge,
   * `save`) and decoded on a fresh replica (timed).
   */
  'catch-up'(adapter) {
    const source = adapter.newList(1);
    mutate(source, new Rng(7), 1_000_000);
    const catchUp = (of: string): Result => {
      const bytes = adapter.encodeList(source);
      const [doc, ms] = time(() => adapter.decodeList(bytes, 2));
      return { workload: 'catch-up', of, ms, heapMB: heapMB(), bytes: bytes.length, ok: sameArray(doc.toArray(), source.toArray()) };
    };
    const out = [catchUp('1M ops')];
    // Ours again once the history is collected, as a long-lived cluster's replica holds it (a lone
    // replica: every op it holds is stable). Yjs's row has its deleted content collected already.
    const list = (source as { list?: FastList<number> }).list;
    if (list instanceof FastList) {
      list.collect(list.retire(list.version()));
      out.push(catchUp('1M ops, collected'));
    }
    return out;
  },

  /**
   * A cluster left running (ours only): three replicas mutate by the seed's rule, 20 mutations
   * each per round, and exchange every op each round, for 100,000 and 1,000,000 mutations in all;
   * with collection, every round each retires and collects what all then hold (in lockstep every
   * replica holds every op, so all of it is stable). `ms`: the whole run; `heapMB`: the three
   * replicas at the end; `bytes`: one replica's state as its store's snapshot (compaction's
   * quality); `tombstones`: one replica's.
   */
  soak(adapter) {
    if (adapter.name !== 'crdt-genome') return [];
    const out: Result[] = [];
    for (const total of [100_000, 1_000_000]) for (const collecting of [false, true]) out.push(soak(total, collecting));
    return out;
  },

  /**
   * The soak as the actors run it (ours only; `bench/soak-store.ts`): SQLite stores, signed feeds,
   * pushes and syncs, compaction; each variant in a process of its own. `rssMB`: that process's
   * resident set at the end; `bytes`: the largest store file; `tombstones`: the most any replica holds.
   */
  'store-soak'(adapter) {
    if (adapter.name !== 'crdt-genome') return [];
    const out: Result[] = [];
    for (const total of [100_000, 1_000_000]) {
      for (const collecting of [false, true]) {
        const r = storeSoak(total, collecting);
        out.push({ workload: 'store-soak', of: `${total / 1000}k, ${collecting ? 'collecting' : 'keeping every tombstone'}`, ms: r.ms, heapMB: r.heapMB, rssMB: r.rssMB, bytes: r.storeBytes, ok: r.ok, tombstones: r.tombstones });
      }
    }
    return out;
  },

  snapshot(adapter) {
    const trace = loadTrace();
    const text = adapter.newText(1);
    replay(trace, text);
    const tBytes = adapter.encodeText(text);
    const [tDoc, tMs] = time(() => adapter.decodeText(tBytes, 2));
    const genome = adapter.newList(1);
    mutate(genome, new Rng(42), 100_000);
    const gBytes = adapter.encodeList(genome);
    const [gDoc, gMs] = time(() => adapter.decodeList(gBytes, 2));
    return [
      { workload: 'snapshot', of: 'trace', ms: tMs, heapMB: heapMB(), bytes: tBytes.length, ok: tDoc.text() === trace.endContent },
      { workload: 'snapshot', of: 'genome', ms: gMs, heapMB: heapMB(), bytes: gBytes.length, ok: sameArray(gDoc.toArray(), genome.toArray()) },
    ];
  },
};

/** The soak workload's run: `total` mutations by three lockstep replicas, collecting or not. */
function soak(total: number, collecting: boolean): Result {
  const lists = [0, 1, 2].map((m) => new FastList<number>(actorId(m)));
  const rng = new Rng(11);
  const [, ms] = time(() => {
    for (let made = 0; made < total; ) {
      const round: Op<number>[] = [];
      for (const list of lists) {
        for (let i = 0; i < 20 && made < total; i++, made++) {
          round.push(list.length < MIN_GENES || rng.next() < 0.5 ? list.insert(rng.int(list.length + 1), rng.int(256)) : list.delete(rng.int(list.length)));
        }
      }
      for (const list of lists) for (const op of round) if (op.id.actor !== list.actor) list.apply(op);
      if (!collecting) continue;
      const all = (lists[0] as FastList<number>).version();
      for (const list of lists) list.retire(all);
      for (const list of lists) list.collect(all);
    }
  });
  const heap = heapMB();
  const [first] = lists as [FastList<number>];
  const ok = lists.every((l) => sameArray(l.toArray(), first.toArray()) && l.pendingCount === 0);
  const label = `${total / 1000}k, ${collecting ? 'collecting' : 'keeping every tombstone'}`;
  return { workload: 'soak', of: label, ms, heapMB: heap, bytes: encodeSnapshot(first, COMPACTION_QUALITY).length, ok, tombstones: first.tombstones };
}

/** The genome-merge check: what the reference list renders for the union of the three op sets. */
function referenceMerge(states: Uint8Array[]): number[] {
  const list = new ReferenceList<number>(actorId(99));
  const all: Op<number>[] = states.flatMap((s) => [...decodeSnapshot(s, actorId(99)).appliedOps()]);
  for (const op of all) list.apply(op);
  if (list.pendingCount > 0) throw new Error('reference merge left ops pending');
  return list.toArray();
}

/** The replication workload, `edits` edits of 1,000 ops, feeds signed by `crypto`: rows `push <mode>` and `sync <mode>`. */
function replication(mode: string, crypto: FeedCrypto, edits: number): Result[] {
  const dir = mkdtempSync(join(tmpdir(), 'genome-bench-'));
  try {
    const config = syncConfig(1000, 3);
    const replica = (member: number) => new Replica(SqliteStore.open(join(dir, `actor-${member}.db`), member, { isValue: isGene }), genomeList(3), ['peer'], config, 0, crypto);
    const [source, pushed, pulled] = [1, 0, 2].map(replica) as [Replica<number>, Replica<number>, Replica<number>];
    const rng = new Rng(42);
    const mutation = (list: Replica<number>['list']): Op<number> => (list.length < MIN_GENES || rng.next() < 0.5 ? list.insert(rng.int(list.length + 1), rng.int(256)) : list.delete(rng.int(list.length)));
    for (let i = 0; i < edits; i++) source.edit(mutation, 1000);
    const from = source.actor;
    const feeds = source.replicator.feeds;
    // What Replicator.#nextRequest sends a peer that holds `acked` of our ops: our next ops, cut at a signed point.
    const [pushBytes, pushMs] = time(() => {
      let bytes = 0;
      for (let acked = 0; ; ) {
        const ops = ownOpsAfter(source.list, acked, config);
        const end = ops.length === 0 ? 0 : feeds.pointAtOrBefore(from, (ops[ops.length - 1] as Op<number>).id.counter);
        if (end <= acked) return bytes;
        const body = encodeBinaryPush(from, ops.slice(0, end - acked), feeds.proof(from, end));
        bytes += body.length;
        const push = decodeBinaryPush(body);
        const result = pushed.receivePush(push.from, push.ops, push.proof);
        if (result.status !== 'ok') throw new Error(`push refused: ${JSON.stringify(result, (_k, v: unknown) => (v instanceof Uint8Array ? `${v.length} bytes` : v))}`);
        acked = end;
      }
    });
    // What the puller's replicator asks (its version as far as its feeds are checked) and takes.
    const [pullBytes, pullMs] = time(() => {
      let bytes = 0;
      for (let more = true; more; ) {
        const request = { type: 'sync', from: pulled.actor, version: pulled.replicator.feeds.advertise(pulled.list.version()) } as const;
        const body = encodeBinarySyncReply(from, source.serveSync(request.from, request.version));
        bytes += body.length;
        const page = decodeSyncAnswer(BINARY_TYPE, body);
        const outcome = pulled.onReply('peer', request, { type: 'sync', ...page }, 0);
        if (outcome.refusals.length > 0 || outcome.refused.length > 0) throw new Error(`page refused: ${outcome.refusals[0]?.message ?? outcome.refused[0]?.verdict}`);
        more = page.more && page.ops.length > 0;
      }
      return bytes;
    });
    const want = source.list.toArray();
    const ok = sameArray(pushed.list.toArray(), want) && sameArray(pulled.list.toArray(), want);
    for (const r of [source, pushed, pulled]) r.close();
    return [
      { workload: 'replication', of: `push ${mode}`, ms: pushMs, heapMB: NaN, bytes: pushBytes, ok },
      { workload: 'replication', of: `sync ${mode}`, ms: pullMs, heapMB: NaN, bytes: pullBytes, ok },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
