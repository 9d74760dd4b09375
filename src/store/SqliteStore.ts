import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database, { type Database as Db, type Statement } from 'better-sqlite3';
import { decodeOpBody, encodeOpBody } from '../crdt/codec.js';
import { isActorId, type ActorId } from '../crdt/ids.js';
import type { Op } from '../crdt/ops.js';
import type { Store } from '../sync/store.js';
import { CURRENT_SCHEMA, type Schema } from './schema.js';
import { StoreError } from './StoreError.js';

export interface SqliteStoreOptions {
  /** Values a stored op may hold (e.g. genes 0..255); anything else marks the file corrupt. */
  readonly isValue?: (value: number) => boolean;
  /** For tests of migrations; the program always opens with the current schema. */
  readonly schema?: Schema;
}

interface Row {
  actor: number;
  counter: number;
  body: Buffer;
}

/**
 * An actor's ops in one SQLite file (better-sqlite3), WAL mode. The file is opened with an
 * exclusive lock held until close, so a second process is refused. It is checked before anything
 * is written: a corrupt file, another application's database, another actor's store or a newer
 * schema are refused and left as they are.
 */
export class SqliteStore implements Store<number> {
  readonly actor: ActorId;
  readonly file: string;
  readonly #db: Db;
  readonly #insert: Statement<[number, number, Buffer]>;
  readonly #appendAll: (ops: readonly Op<number>[]) => void;
  readonly #isValue: (value: number) => boolean;

  private constructor(file: string, actor: ActorId, db: Db, isValue: (value: number) => boolean) {
    this.file = file;
    this.actor = actor;
    this.#db = db;
    this.#isValue = isValue;
    this.#insert = db.prepare('INSERT OR IGNORE INTO ops (actor, counter, body) VALUES (?, ?, ?)');
    this.#appendAll = db.transaction((ops: readonly Op<number>[]) => {
      for (const op of ops) this.#insert.run(op.id.actor, op.id.counter, Buffer.from(encodeOpBody(op)));
    });
  }

  static open(file: string, actor: ActorId, options: SqliteStoreOptions = {}): SqliteStore {
    mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file, { timeout: 0 });
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      checkAndMigrate(db, file, actor, options.schema ?? CURRENT_SCHEMA);
      db.pragma('journal_mode = WAL');
      // A commit reaches the OS before append() returns: safe against kill -9 (see INTERNALS.md).
      db.pragma('synchronous = NORMAL');
      return new SqliteStore(file, actor, db, options.isValue ?? (() => true));
    } catch (err) {
      db.close();
      throw err instanceof StoreError ? err : describe(err, file);
    }
  }

  load(): Op<number>[] {
    const rows = this.#db.prepare('SELECT actor, counter, body FROM ops ORDER BY seq').all() as Row[];
    return rows.map((r) => {
      const bad = (why: string): StoreError => new StoreError(this.file, 'corrupt', `op ${r.actor}.${r.counter} ${why}`);
      if (!isActorId(r.actor) || !Number.isSafeInteger(r.counter) || r.counter < 1) throw bad('has an impossible id');
      if (!(r.body instanceof Uint8Array)) throw bad('has no binary body');
      let op: Op<number>;
      try {
        op = decodeOpBody({ actor: r.actor, counter: r.counter }, r.body);
      } catch (err) {
        throw bad(`cannot be decoded: ${(err as Error).message}`);
      }
      if (op.type === 'insert' && !this.#isValue(op.value)) throw bad(`holds an impossible value ${op.value}`);
      return op;
    });
  }

  append(ops: readonly Op<number>[]): void {
    if (ops.length > 0) this.#appendAll(ops);
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

/** Inside one exclusive transaction: initialise an empty file, refuse a wrong one, migrate an old one. */
function checkAndMigrate(db: Db, file: string, actor: ActorId, schema: Schema): void {
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
