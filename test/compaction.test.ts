import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { syncConfig } from '../src/actor/sync-config.js';
import type { Op } from '../src/crdt/ops.js';
import { genomeList } from '../src/genome/cluster.js';
import { isGene } from '../src/genome/gene.js';
import { mutate, nextMutation } from '../src/genome/mutation.js';
import { Rng } from '../src/genome/Rng.js';
import { FastList } from '../src/crdt/fast/FastList.js';
import { decodeState } from '../src/crdt/fast/state-codec.js';
import { memoryBacking } from '../src/store/MemoryStore.js';
import { snapshotCodec } from '../src/store/snapshot.js';
import { SqliteStore } from '../src/store/SqliteStore.js';
import { Replica } from '../src/sync/Replica.js';
import { nodeFeedCrypto } from '../src/transport/signing.js';
import { deliver, newReplica, pull, signedPush } from './helpers/feeds.js';
import { encodeStateV5 } from './helpers/state-v5.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const EVERY = 50;
const fileOf = (dir: string, member: number): string => join(dir, `actor-${member}.db`);
const open = (dir: string, member: number, every = EVERY): Replica<number> =>
  new Replica(SqliteStore.open(fileOf(dir, member), member, { isValue: isGene }), genomeList(3), ['r0', 'r1', 'r2'].filter((_, i) => i !== member), syncConfig(1000, 3, every), 0, nodeFeedCrypto);
const state = (r: Replica<number>) => ({ genome: r.list.toArray(), version: [...r.list.version()].sort((a, b) => a[0] - b[0]), pending: [...r.list.pendingOps()].map((op) => op.id) });


/** Three replicas on disk: r0 mutates a lot and holds an op of r2 that waits for one of r1. */
function scene() {
  const dir = mkdtempSync(join(tmpdir(), 'genome-compact-'));
  dirs.push(dir);
  const [r0, r1, r2] = [0, 1, 2].map((m) => open(dir, m)) as [Replica<number>, Replica<number>, Replica<number>];
  const rng = new Rng(11);
  for (let i = 0; i < 7 * EVERY; i++) r0.edit((l) => mutate(l, nextMutation(l.length, rng)));
  const b1 = r1.edit((l) => l.insert(0, 7))[0] as Op<number>;
  expect(deliver(r2, signedPush(r1)).status).toBe('ok');
  r2.edit((l) => l.insert(1, 8));
  // r2's insert names r1's, which r0 lacks: it waits, a row no snapshot covers.
  expect(deliver(r0, signedPush(r2)).status).toBe('ok');
  expect(r0.list.pendingCount).toBe(1);
  return { dir, r0, r1, r2, b1 };
}

describe('a replica that compacts its store', () => {
  it('keeps a snapshot and fewer rows than it compacts at; reopened, it is the same replica, pending op included', () => {
    const { dir, r0, r1 } = scene();
    const before = state(r0);
    r0.close();
    const db = new Database(fileOf(dir, 0), { readonly: true });
    const rows = (db.prepare('SELECT count(*) AS n FROM ops').get() as { n: number }).n;
    const snapshots = (db.prepare('SELECT count(*) AS n FROM snapshot').get() as { n: number }).n;
    const points = (db.prepare('SELECT count(*) AS n FROM points').get() as { n: number }).n;
    db.close();
    expect(snapshots).toBe(1);
    expect(rows).toBeLessThan(EVERY + 1);
    // Signed points: one per edit before compaction; after, only the ones the feeds keep.
    expect(points).toBeLessThan(EVERY + 10);
    const again = open(dir, 0);
    expect(state(again)).toEqual(before);
    // The op it waited for arrives, and the waiting one applies.
    expect(deliver(again, signedPush(r1)).status).toBe('ok');
    expect(again.list.pendingCount).toBe(0);
    again.close();
  });

  it('reopens a store whose snapshot is list state v5, as stores from before v6 hold: the same replica, and its next compaction writes v6', () => {
    const { dir, r0, r1 } = scene();
    const before = state(r0);
    r0.close();
    const db = new Database(fileOf(dir, 0));
    const body = (db.prepare('SELECT body FROM snapshot WHERE id = 1').get() as { body: Buffer }).body;
    expect(brotliDecompressSync(body)[0]).toBe(6);
    const v5 = encodeStateV5(decodeState(brotliDecompressSync(body)));
    db.prepare('UPDATE snapshot SET body = ? WHERE id = 1').run(brotliCompressSync(v5));
    db.close();
    const again = open(dir, 0);
    expect(state(again)).toEqual(before);
    expect(deliver(again, signedPush(r1)).status).toBe('ok');
    expect(again.list.pendingCount).toBe(0);
    again.compact();
    again.close();
    const check = new Database(fileOf(dir, 0), { readonly: true });
    expect(brotliDecompressSync((check.prepare('SELECT body FROM snapshot WHERE id = 1').get() as { body: Buffer }).body)[0]).toBe(6);
    check.close();
    r1.close();
  });

  it('keeps each feed\'s chain with the snapshot, where the feed is signed; reopened, a damaged one is left out and the feed hashed from its ops', () => {
    const { dir, r0, r1 } = scene();
    const counts = new Map([r0.actor, r1.actor].map((a) => [a, r0.replicator.feeds.count(a)]));
    r0.close();
    const read = (): Array<{ actor: number; count: number; state: Buffer }> => {
      const db = new Database(fileOf(dir, 0), { readonly: true });
      const rows = db.prepare('SELECT actor, count, state FROM chains ORDER BY actor').all() as Array<{ actor: number; count: number; state: Buffer }>;
      db.close();
      return rows;
    };
    const saved = read();
    // Own feed at least (r1's op came after the last compaction), each at a count the feed had then.
    expect(saved.map((r) => r.actor)).toContain(r0.actor);
    for (const r of saved) expect(r.count).toBeLessThanOrEqual(counts.get(r.actor as never) ?? Infinity);
    const db = new Database(fileOf(dir, 0));
    db.prepare('UPDATE chains SET state = ? WHERE actor = ?').run(Buffer.alloc(40), r0.actor);
    db.close();
    const again = open(dir, 0);
    expect(again.replicator.feeds.count(r0.actor)).toBe(counts.get(r0.actor));
    // Its feed goes on as signed: a new op of it is taken by a replica that held the old ones.
    pull(r1, again, 'r0');
    again.edit((l) => l.insert(0, 9));
    expect(deliver(r1, signedPush(again, counts.get(r0.actor))).status).toBe('ok');
    again.close();
    r1.close();
  });

  it('reopened from a snapshot, its feed goes on: its new ops are accepted, and a new replica gets everything from it', () => {
    const { dir, r0, r1 } = scene();
    r0.close();
    const again = open(dir, 0);
    const from = again.list.nextCounter - 1;
    again.edit((l) => l.insert(0, 200));
    // r1 first takes everything r0 made before, then the new op on its own.
    pull(r1, again, 'r0');
    again.edit((l) => l.insert(0, 201));
    expect(deliver(r1, signedPush(again, from + 1)).status).toBe('ok');
    pull(again, r1, 'r1');
    const fresh = open(mkdtempSync(join(tmpdir(), 'genome-compact-')), 2);
    pull(fresh, again, 'r0');
    pull(fresh, r1, 'r1');
    pull(r1, again, 'r0');
    expect(state(fresh)).toEqual(state(again));
    expect(state(r1)).toEqual(state(again));
    for (const r of [again, r1, fresh]) r.close();
  });

  it('gives the log back after each compaction: the store on disk is its main file', () => {
    const { dir, r0 } = scene();
    r0.compact();
    expect(r0.storeBytes).toBe(statSync(fileOf(dir, 0)).size);
    r0.close();
  });

  it('refuses a damaged snapshot with a clear error, and leaves the store as it was', () => {
    const { dir, r0 } = scene();
    r0.close();
    const db = new Database(fileOf(dir, 0));
    const body = (db.prepare('SELECT body FROM snapshot').get() as { body: Buffer }).body;
    // Cut short: Brotli cannot finish it (damage inside a stream may still decode; the state checks catch that).
    const damaged = body.subarray(0, body.length >> 1);
    db.prepare('UPDATE snapshot SET body = ?').run(damaged);
    db.close();
    expect(() => open(dir, 0)).toThrow(/the store's snapshot cannot be loaded/);
    const check = new Database(fileOf(dir, 0), { readonly: true });
    expect((check.prepare('SELECT body FROM snapshot').get() as { body: Buffer }).body.equals(damaged)).toBe(true);
    check.close();
  });
});

describe('when a replica compacts', () => {
  /** Compactions while one replica makes `n` inserts, one op each, with the rows after each edit. */
  function inserts(n: number, growth: number): { compactions: number; rows: number[]; held: number[] } {
    const backing = memoryBacking<number>();
    const r = newReplica(0, { backing, makeList: (a) => new FastList<number>(a), config: { snapshots: snapshotCodec({}, 10, Infinity, growth) } });
    let last = backing.snapshot;
    let compactions = 0;
    const rows: number[] = [];
    const held: number[] = [];
    for (let i = 0; i < n; i++) {
      r.edit((l) => l.insert(l.length, 1));
      if (backing.snapshot !== last) compactions++;
      last = backing.snapshot;
      rows.push(backing.ops.length);
      held.push(r.list.length + (r.list.tombstones ?? 0));
    }
    return { compactions, rows, held };
  }

  it('every `every` ops while the list is small; once it is large, only when the rows reach `growth` of its elements: compactions come geometrically apart', () => {
    const plain = inserts(400, 0);
    expect(plain.compactions).toBe(40);
    const grown = inserts(400, 0.25);
    grown.rows.forEach((rows, i) => expect(rows).toBeLessThanOrEqual(Math.max(10, Math.ceil(0.25 * (grown.held[i] as number)))));
    // Every 10 ops up to 40 elements; then once the rows r reach a quarter of h + r (h: elements at
    // the last compaction), that is r >= h / 3: about log(400 / 40) / log(4 / 3) = 8 more.
    expect(grown.compactions).toBeGreaterThanOrEqual(10);
    expect(grown.compactions).toBeLessThanOrEqual(13);
  });
});
