import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database, { type Database as Db, type Statement } from 'better-sqlite3';
import { decodeOpBody, encodeOpBody } from '../crdt/codec.js';
import { readBatch } from '../crdt/batch-codec.js';
import { formatId, isActorId, memberOf, type ActorId, type OpId } from '../crdt/ids.js';
import { sameOp, type Op } from '../crdt/ops.js';
import { versionFromJSON, versionToJSON, type VersionVector } from '../crdt/version.js';
import { opProblem } from '../crdt/validate.js';
import type { Signer } from '../sync/feed-crypto.js';
import type { ChainState, FeedRecords, SignedPoint } from '../sync/Feeds.js';
import type { Compaction, Store } from '../sync/store.js';
import type { Knowledge } from '../sync/knowledge.js';
import { batchBytes, forkBytes, readFork } from '../transport/binary-wire.js';
import { incarnationOf, newSigner, signerFromSeed } from '../transport/signing.js';
import { CURRENT_SCHEMA, type Schema } from './schema.js';
import { StoreError } from './StoreError.js';

/** A version as `meta` keeps it (author id → count); throws on anything else. */
function storedVersion(json: unknown): VersionVector {
  if (typeof json !== 'object' || json === null || Array.isArray(json) || Object.values(json).some((n) => !Number.isSafeInteger(n) || (n as number) < 0)) throw new Error('not a version');
  return versionFromJSON(json as Record<string, number>);
}

/** Bytes the write-ahead log is cut back to after a checkpoint. */
const WAL_LIMIT = 1 << 20;

export interface SqliteStoreOptions {
  /** Values a stored op may hold (e.g. genes 0..255); anything else marks the file corrupt. */
  readonly isValue?: (value: number) => boolean;
  /** For tests of migrations; the program always opens with the current schema. */
  readonly schema?: Schema;
  /** Why the store's snapshot cannot be loaded, or null (`repair` asks; the store cannot read a list state itself). */
  readonly checkSnapshot?: (bytes: Uint8Array) => string | null;
}

interface Row {
  actor: number;
  counter: number;
  body: Buffer;
}

/** What `repair` did: rows read, rows dropped (each with why), the snapshot dropped (why), and the backup it made. */
export interface RepairReport {
  readonly file: string;
  readonly rows: number;
  readonly dropped: ReadonlyArray<{ seq: number; why: string }>;
  /** Why the snapshot was dropped, or null; the store then went on as a new incarnation. */
  readonly snapshot: string | null;
  /** The copy made before dropping anything; null when nothing was dropped. */
  readonly backup: string | null;
}

/**
 * An actor's ops in one SQLite file (better-sqlite3), WAL mode. The file is opened with an
 * exclusive lock held until close, so a second process is refused. It is checked before anything
 * is written: a corrupt file, another application's database, another actor's store or a newer
 * schema are refused and left as they are.
 */
export class SqliteStore implements Store<number> {
  readonly member: number;
  readonly file: string;
  #actor: ActorId;
  #signer: Signer;
  readonly #db: Db;
  readonly #insert: Statement<[number, number, Buffer]>;
  readonly #appendAll: (rows: readonly Row[], records: FeedRecords) => void;
  readonly #dropAll: (ids: readonly OpId[], records: FeedRecords) => void;
  readonly #compactAll: (c: Compaction) => void;
  readonly #replaceAll: (rows: readonly Row[], records: FeedRecords, snapshot?: Compaction) => void;
  readonly #isValue: (value: number) => boolean;

  private constructor(file: string, member: number, db: Db, isValue: (value: number) => boolean) {
    this.file = file;
    this.member = member;
    this.#db = db;
    this.#isValue = isValue;
    const meta = new Map((db.prepare('SELECT key, value FROM meta').all() as Array<{ key: string; value: string }>).map((r) => [r.key, r.value]));
    const replica = Number(meta.get('replica'));
    const seed = Buffer.from(meta.get('seed') ?? '', 'hex');
    if (!isActorId(replica) || memberOf(replica) !== member || seed.length !== 32) throw new StoreError(file, 'corrupt', 'its incarnation (author id and key) is missing or damaged');
    this.#actor = replica;
    this.#signer = signerFromSeed(seed);
    this.#insert = db.prepare('INSERT OR IGNORE INTO ops (actor, counter, body) VALUES (?, ?, ?)');
    const held = db.prepare<[number, number], { body: Buffer }>('SELECT body FROM ops WHERE actor = ? AND counter = ?');
    const drop = db.prepare<[number, number]>('DELETE FROM ops WHERE actor = ? AND counter = ?');
    const key = db.prepare<[number, Buffer]>('INSERT OR IGNORE INTO feeds (actor, key) VALUES (?, ?)');
    const point = db.prepare<[number, number, Buffer, Buffer | null]>('INSERT OR REPLACE INTO points (actor, counter, signature, tail) VALUES (?, ?, ?, ?)');
    const fork = db.prepare<[number, number, Buffer]>('INSERT OR REPLACE INTO forks (actor, at, body) VALUES (?, ?, ?)');
    const dropped = db.prepare<[number, number]>('INSERT OR IGNORE INTO dropped (actor, counter) VALUES (?, ?)');
    const forget = db.prepare<[number, number]>('DELETE FROM chains WHERE actor = ? AND count >= ?');
    const forgetBase = db.prepare<[number, number]>('DELETE FROM bases WHERE actor = ? AND count >= ?');
    const chain = db.prepare<[number, number, Buffer]>('INSERT INTO chains (actor, count, state) VALUES (?, ?, ?)');
    const base = db.prepare<[number, number, Buffer]>('INSERT INTO bases (actor, count, state) VALUES (?, ?, ?)');
    const records = (r: FeedRecords): void => {
      for (const k of r.keys) key.run(k.actor, Buffer.from(k.key));
      for (const p of r.points) point.run(p.actor, p.counter, Buffer.from(p.signature), p.tail === undefined ? null : Buffer.from(batchBytes(p.tail)));
      for (const f of r.forks ?? []) fork.run(f.actor, f.at, Buffer.from(forkBytes(f)));
      for (const id of r.dropped ?? []) {
        dropped.run(id.actor, id.counter);
        // A chain (or base) saved at or past a dropped op no longer matches the feed; one before it still does.
        forget.run(id.actor, id.counter);
        forgetBase.run(id.actor, id.counter);
      }
    };
    this.#dropAll = db.transaction((ids: readonly OpId[], r: FeedRecords) => {
      records(r);
      for (const id of ids) drop.run(id.actor, id.counter);
    });
    const setSnapshot = db.prepare<[Buffer]>('INSERT OR REPLACE INTO snapshot (id, body) VALUES (1, ?)');
    const covered = db.prepare<[number, number]>('DELETE FROM ops WHERE actor = ? AND counter <= ?');
    const pointsUpTo = db.prepare<[number, number]>('DELETE FROM points WHERE actor = ? AND counter <= ?');
    this.#compactAll = db.transaction((c: Compaction) => {
      setSnapshot.run(Buffer.from(c.snapshot));
      for (const [actor, n] of c.covers) covered.run(actor, n);
      for (const [actor, n] of c.points.upTo) pointsUpTo.run(actor, n);
      records({ keys: [], points: c.points.keep });
      db.exec('DELETE FROM chains');
      for (const k of c.chains ?? []) chain.run(k.actor, k.count, Buffer.from(k.state));
      db.exec('DELETE FROM bases');
      for (const k of c.bases ?? []) base.run(k.actor, k.count, Buffer.from(k.state));
    });
    this.#replaceAll = db.transaction((rows: readonly Row[], r: FeedRecords, snapshot?: Compaction) => {
      db.exec('DELETE FROM snapshot; DELETE FROM ops;');
      records(r);
      for (const row of rows) this.#insert.run(row.actor, row.counter, row.body);
      // A savepoint inside this transaction: all of it or nothing.
      if (snapshot !== undefined) this.#compactAll(snapshot);
    });
    this.#appendAll = db.transaction((rows: readonly Row[], r: FeedRecords) => {
      records(r);
      for (const r of rows) {
        if (this.#insert.run(r.actor, r.counter, r.body).changes > 0) continue;
        // Held with other content: an op the list dropped (it waited, then could never apply).
        // The list took this one instead, so it replaces that row, in the order taken (at the end).
        if (held.get(r.actor, r.counter)?.body.equals(r.body) === true) continue;
        drop.run(r.actor, r.counter);
        this.#insert.run(r.actor, r.counter, r.body);
      }
    });
  }

  static open(file: string, actor: number, options: SqliteStoreOptions = {}): SqliteStore {
    mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file, { timeout: 0 });
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      checkAndMigrate(db, file, actor, options.schema ?? CURRENT_SCHEMA);
      db.pragma('journal_mode = WAL');
      // A commit reaches the OS before append() returns: safe against kill -9 (see INTERNALS.md).
      db.pragma('synchronous = NORMAL');
      // The log is reset at each checkpoint, and keeps its largest size on disk unless limited:
      // checkpoint every 1 MiB of log (SQLite's default is 4 MiB) and cut it back to that.
      db.pragma(`wal_autocheckpoint = ${WAL_LIMIT / 4096}`);
      db.pragma(`journal_size_limit = ${WAL_LIMIT}`);
      return new SqliteStore(file, actor, db, options.isValue ?? (() => true));
    } catch (err) {
      db.close();
      throw err instanceof StoreError ? err : describe(err, file);
    }
  }

  snapshot(): Uint8Array | null {
    const row = this.#db.prepare('SELECT body FROM snapshot WHERE id = 1').get() as { body: unknown } | undefined;
    if (row === undefined) return null;
    if (!(row.body instanceof Uint8Array)) throw new StoreError(this.file, 'corrupt', 'its snapshot is not binary');
    return new Uint8Array(row.body);
  }

  compact(c: Compaction): void {
    this.#compactAll(c);
    // Freed pages are reused, so the file stays as big as it ever was: when most of it is free,
    // rewrite it (a transaction of its own, as safe against a crash). Then give the log's pages
    // back to the file system: the store on disk is its main file again.
    const free = this.#db.pragma('freelist_count', { simple: true }) as number;
    const pages = this.#db.pragma('page_count', { simple: true }) as number;
    if (free * 4 > pages) this.#db.exec('VACUUM');
    this.#db.pragma('wal_checkpoint(TRUNCATE)');
  }

  replace(ops: readonly Op<number>[], records: FeedRecords, snapshot?: Compaction): void {
    this.#replaceAll(this.#rows(ops), records, snapshot);
  }

  /** The main file and its write-ahead log. */
  retired(): VersionVector {
    return this.#readMeta('retired', 'what it retired', storedVersion) ?? new Map();
  }

  keepRetired(version: VersionVector): void {
    this.#writeMeta('retired', versionToJSON(version));
  }

  knowledge(): Knowledge {
    const read = (json: unknown): Knowledge => {
      const { told, heard } = (typeof json === 'object' && json !== null ? json : {}) as { told?: unknown; heard?: unknown };
      if (!Array.isArray(heard) || !heard.every(isActorId)) throw new Error('not a list of author ids');
      return { told: storedVersion(told), heard };
    };
    return this.#readMeta('knowledge', 'what it knows of its peers', read) ?? { told: new Map(), heard: [] };
  }

  keepKnowledge(k: Knowledge): void {
    this.#writeMeta('knowledge', { told: versionToJSON(k.told), heard: k.heard });
  }

  /** A JSON record kept in `meta`, read by `read` (which throws on anything else), or null if absent. */
  #readMeta<R>(key: string, what: string, read: (json: unknown) => R): R | null {
    const row = this.#db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    if (row === undefined) return null;
    try {
      return read(JSON.parse(row.value) as unknown);
    } catch (err) {
      throw new StoreError(this.file, 'corrupt', `${what} is damaged: ${(err as Error).message}`);
    }
  }

  #writeMeta(key: string, json: unknown): void {
    this.#db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(key, JSON.stringify(json));
  }

  bytes(): number {
    const size = (f: string): number => (existsSync(f) ? statSync(f).size : 0);
    return size(this.file) + size(`${this.file}-wal`);
  }

  load(): Op<number>[] {
    return this.#readAll().map(({ seq, op }) => {
      if (typeof op === 'string') {
        const repair = `crdt-genome repair --data-dir ${dirname(this.file)} --actor ${this.member}`;
        throw new StoreError(this.file, 'corrupt', `row ${seq}: ${op}; \`${repair}\` drops the rows that cannot be loaded, after a backup copy`);
      }
      return op;
    });
  }

  /** Every row in the order taken, with its op or why it cannot be loaded (what `load` and `repair` read). */
  #readAll(): Array<{ seq: number; op: Op<number> | string }> {
    const rows = this.#db.prepare('SELECT seq, actor, counter, body FROM ops ORDER BY seq').all() as Array<Row & { seq: number }>;
    return rows.map((r) => ({ seq: r.seq, op: readRow(r, this.#isValue) }));
  }

  get actor(): ActorId {
    return this.#actor;
  }

  get signer(): Signer {
    return this.#signer;
  }

  records(): FeedRecords {
    const db = this.#db;
    const keys = (db.prepare('SELECT actor, key FROM feeds').all() as Array<{ actor: ActorId; key: Buffer }>).map((r) => ({ actor: r.actor, key: new Uint8Array(r.key) }));
    const points = (db.prepare('SELECT actor, counter, signature, tail FROM points').all() as Array<{ actor: ActorId; counter: number; signature: Buffer; tail: Buffer | null }>).map(
      (r): SignedPoint => ({ actor: r.actor, counter: r.counter, signature: new Uint8Array(r.signature), ...(r.tail === null ? {} : { tail: readBatch(r.tail, { pos: 0 }) }) }),
    );
    const forks = (db.prepare('SELECT body FROM forks').all() as Array<{ body: Buffer }>).map((r) => readFork(r.body, { pos: 0 }));
    const dropped = db.prepare('SELECT actor, counter FROM dropped').all() as OpId[];
    const chainsOf = (table: 'chains' | 'bases'): ChainState[] =>
      (db.prepare(`SELECT actor, count, state FROM ${table}`).all() as Array<{ actor: ActorId; count: number; state: unknown }>)
        .filter((r) => isActorId(r.actor) && Number.isSafeInteger(r.count) && r.count > 0 && r.state instanceof Uint8Array)
        .map((r) => ({ actor: r.actor, count: r.count, state: new Uint8Array(r.state as Uint8Array) }));
    return { keys, points, forks, dropped, chains: chainsOf('chains'), bases: chainsOf('bases') };
  }

  drop(ids: readonly OpId[], records: FeedRecords): void {
    this.#dropAll(ids, records);
  }

  renew(): void {
    const old = { actor: this.#actor, key: this.#signer.key };
    const { seed, signer } = newSigner();
    const actor = incarnationOf(this.member, signer.key);
    this.#db.transaction(() => {
      this.#db.prepare('INSERT OR IGNORE INTO feeds (actor, key) VALUES (?, ?)').run(old.actor, Buffer.from(old.key));
      this.#db.prepare(`UPDATE meta SET value = ? WHERE key = 'replica'`).run(String(actor));
      this.#db.prepare(`UPDATE meta SET value = ? WHERE key = 'seed'`).run(Buffer.from(seed).toString('hex'));
    })();
    this.#actor = actor;
    this.#signer = signer;
  }

  /** Every op is checked as `load` would read it back before anything is written. */
  append(ops: readonly Op<number>[], records: FeedRecords = { keys: [], points: [] }): void {
    if (ops.length === 0 && records.keys.length === 0 && records.points.length === 0 && (records.dropped?.length ?? 0) === 0 && (records.forks?.length ?? 0) === 0) return;
    this.#appendAll(this.#rows(ops), records);
  }

  #rows(ops: readonly Op<number>[]): Row[] {
    return ops.map((op) => {
      const row = this.#row(op);
      if (typeof row === 'string') throw new Error(`store ${this.file} refuses ${row}`);
      return row;
    });
  }

  check(op: Op<number>): string | null {
    const row = this.#row(op);
    return typeof row === 'string' ? row : null;
  }

  /** The row `op` is stored as, or why it cannot be: it must read back, through `readRow`, as itself. */
  #row(op: Op<number>): Row | string {
    let row: Row;
    try {
      row = { actor: op.id.actor, counter: op.id.counter, body: Buffer.from(encodeOpBody(op)) };
    } catch (err) {
      return `op ${formatId(op.id)}: ${opProblem(op) ?? (err as Error).message}`;
    }
    const back = readRow(row, this.#isValue);
    if (typeof back === 'string') return back;
    return sameOp(back, op) ? row : `op ${formatId(op.id)} does not read back as written`;
  }

  /**
   * Drop the rows of the store at `file` that cannot be loaded, and a snapshot that cannot (as
   * `options.checkSnapshot` says; the store then goes on as a new incarnation), after a backup
   * copy next to it (`<file>.backup-<time>`). The file must be this actor's store; everything else is refused as
   * `open` refuses it.
   */
  static repair(file: string, actor: number, options: SqliteStoreOptions = {}): RepairReport {
    if (!existsSync(file)) throw new StoreError(file, 'io', 'no such file');
    const store = SqliteStore.open(file, actor, options);
    try {
      const db = store.#db;
      const rows = store.#readAll();
      const dropped = rows.flatMap(({ seq, op }) => (typeof op === 'string' ? [{ seq, why: op }] : []));
      const bytes = store.snapshot();
      const snapshot = bytes === null ? null : (options.checkSnapshot?.(bytes) ?? null);
      if (dropped.length === 0 && snapshot === null) return { file, rows: rows.length, dropped, snapshot, backup: null };
      const backup = `${file}.backup-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      db.prepare('VACUUM INTO ?').run(backup);
      const remove = db.prepare('DELETE FROM ops WHERE seq = ?');
      db.transaction(() => {
        for (const d of dropped) remove.run(d.seq);
        if (snapshot !== null) db.exec('DELETE FROM snapshot');
      })();
      // The snapshot held this incarnation's own ops: without them its next ids could be ones it
      // already used. A new incarnation makes none of them again; the lost ops come back from peers.
      if (snapshot !== null) store.renew();
      return { file, rows: rows.length, dropped, snapshot, backup };
    } finally {
      store.close();
    }
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

/**
 * The op a row holds, or why it cannot be loaded: the one check for what `load` reads and what
 * `append` writes (the shared op check, after the body decodes).
 */
function readRow(r: Row, isValue: (value: number) => boolean): Op<number> | string {
  const id = `op ${r.actor}.${r.counter}`;
  if (!(r.body instanceof Uint8Array)) return `${id} has no binary body`;
  let op: Op<number>;
  try {
    op = decodeOpBody({ actor: r.actor as ActorId, counter: r.counter }, r.body);
  } catch (err) {
    return `${id} cannot be decoded: ${(err as Error).message}`;
  }
  return opProblem(op, { isValue }) ?? op;
}

/** Inside one exclusive transaction: initialise an empty file, refuse a wrong one, migrate an old one. */
function checkAndMigrate(db: Db, file: string, actor: number, schema: Schema): void {
  db.exec('BEGIN EXCLUSIVE');
  try {
    const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Array<{ name: string }>).map((t) => t.name);
    let version = 0;
    if (tables.length > 0) {
      if (!tables.includes('schema_version') || !tables.includes('meta')) {
        throw new StoreError(file, 'foreign', `not a crdt-genome store (it has tables ${tables.join(', ')}); refusing to touch it`);
      }
      const meta = new Map((db.prepare('SELECT key, value FROM meta').all() as Array<{ key: string; value: string }>).map((r) => [r.key, r.value]));
      if (meta.get('app') !== 'crdt-genome') throw new StoreError(file, 'foreign', 'not a crdt-genome store (no app marker); refusing to touch it');
      version = (db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined)?.version ?? NaN;
      if (!Number.isInteger(version)) throw new StoreError(file, 'corrupt', 'schema_version has no valid row');
      if (version > schema.version) {
        throw new StoreError(file, 'newer-schema', `schema version ${version} is newer than this program's ${schema.version}; upgrade crdt-genome`);
      }
      if (meta.get('actor') !== String(actor)) {
        throw new StoreError(file, 'other-actor', `belongs to actor ${meta.get('actor')}, not actor ${actor}`);
      }
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new StoreError(file, 'corrupt', `integrity check failed: ${String(check)}`);
    }
    for (let v = version; v < schema.version; v++) (schema.migrations[v] as (db: Db, actor: number) => void)(db, actor);
    if (version < schema.version) db.prepare('UPDATE schema_version SET version = ?').run(schema.version);
    db.exec('COMMIT');
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw err;
  }
}

function describe(err: unknown, file: string): StoreError {
  const code = (err as { code?: string }).code ?? '';
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return new StoreError(file, 'locked', 'in use by another process (is this actor already running?)');
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) return new StoreError(file, 'corrupt', `not a valid SQLite database (${message}); refusing to touch it`);
  return new StoreError(file, 'io', message);
}
