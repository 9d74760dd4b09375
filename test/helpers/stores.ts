import Database from 'better-sqlite3';
import { encodeOpBody } from '../../src/crdt/codec.js';
import type { Op } from '../../src/crdt/ops.js';
import { MIGRATIONS } from '../../src/store/schema.js';

/** Write at `file` a store of schema v1, as the last build before signed feeds did: `ops` under their authors' member numbers. */
export function writeV1Store(file: string, member: number, ops: readonly Op<number>[]): void {
  writeOldStore(file, member, ops, 1);
}

/** Write at `file` a store of schema `version` (its migrations run on an empty file), then `ops` as rows. */
export function writeOldStore(file: string, member: number, ops: readonly Op<number>[], version: number): void {
  const db = new Database(file);
  for (const step of MIGRATIONS.slice(0, version)) step(db, member);
  db.prepare('UPDATE schema_version SET version = ?').run(version);
  const insert = db.prepare('INSERT INTO ops (actor, counter, body) VALUES (?, ?, ?)');
  for (const op of ops) insert.run(op.id.actor, op.id.counter, Buffer.from(encodeOpBody(op)));
  db.close();
}
