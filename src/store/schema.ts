import type { Database } from 'better-sqlite3';
import { replicaId } from '../crdt/ids.js';
import { incarnationOf, newSigner } from '../transport/signing.js';

/** The schema this build writes. */
export const SCHEMA_VERSION = 5;

/** A schema: its version, and the steps that lead to it (`migrations.length === version`). */
export interface Schema {
  readonly version: number;
  readonly migrations: ReadonlyArray<(db: Database, actor: number) => void>;
}

/**
 * Migrations: `MIGRATIONS[v]` takes a store from schema v to v + 1; `MIGRATIONS[0]` creates the
 * schema in an empty file. The opener runs the steps it needs inside one transaction, so a crash
 * midway leaves the file as it was.
 */
export const MIGRATIONS: ReadonlyArray<(db: Database, actor: number) => void> = [
  (db, actor) => {
    db.exec(`
      CREATE TABLE schema_version (version INTEGER NOT NULL);
      INSERT INTO schema_version (version) VALUES (0);
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      -- Every op this actor has taken, in the order taken; the id in columns, the rest in a compact body.
      CREATE TABLE ops (
        seq INTEGER PRIMARY KEY,
        actor INTEGER NOT NULL,
        counter INTEGER NOT NULL,
        body BLOB NOT NULL,
        UNIQUE (actor, counter)
      );
    `);
    db.prepare(`INSERT INTO meta (key, value) VALUES ('app', 'crdt-genome'), ('actor', ?)`).run(String(actor));
  },
  // v2: signed feeds. The store gets its incarnation's key pair and author id, and keeps authors'
  // keys and the signed points it may relay. A store that holds ops already continues as the
  // member's first incarnation (tag 0, author id = member number); a new one draws its tag from its key.
  (db, actor) => {
    db.exec(`
      CREATE TABLE feeds (actor INTEGER PRIMARY KEY, key BLOB NOT NULL);
      -- tail: the ops after the point that its signature also covers (a feed cut short), as a batch.
      CREATE TABLE points (actor INTEGER NOT NULL, counter INTEGER NOT NULL, signature BLOB NOT NULL, tail BLOB, PRIMARY KEY (actor, counter));
      -- Proofs of equivocation (binary wire form), and the ops dropped because of them.
      CREATE TABLE forks (actor INTEGER PRIMARY KEY, at INTEGER NOT NULL, body BLOB NOT NULL);
      CREATE TABLE dropped (actor INTEGER NOT NULL, counter INTEGER NOT NULL, PRIMARY KEY (actor, counter));
    `);
    const { seed, signer } = newSigner();
    const held = (db.prepare('SELECT count(*) AS n FROM ops').get() as { n: number }).n;
    const replica = held > 0 ? replicaId(actor, 0) : incarnationOf(actor, signer.key);
    db.prepare(`INSERT INTO meta (key, value) VALUES ('replica', ?), ('seed', ?)`).run(String(replica), Buffer.from(seed).toString('hex'));
  },
  // v3: compaction. At most one snapshot (the list's state, see src/store/snapshot.ts), in place
  // of the op rows it covers; a store that has none holds every op as a row, as before.
  (db) => {
    db.exec(`CREATE TABLE snapshot (id INTEGER PRIMARY KEY CHECK (id = 1), body BLOB NOT NULL);`);
  },
  // v4: chain states. Each feed's chain saved with the snapshot where it ends at a signed point,
  // so that a restart goes on from it instead of hashing every op again (and, once ops are
  // collected, without them). A store without any hashes its feeds from their ops, as before.
  (db) => {
    db.exec(`CREATE TABLE chains (actor INTEGER PRIMARY KEY, count INTEGER NOT NULL, state BLOB NOT NULL);`);
  },
  // v5: chain bases. Each feed's chain at or past what the snapshot collected of it, saved with
  // the snapshot, so that a replica can send a collected state to one that lacks those ops (see
  // INTERNALS.md, "Catch-up from a collected state"). A store without any has collected nothing.
  (db) => {
    db.exec(`CREATE TABLE bases (actor INTEGER PRIMARY KEY, count INTEGER NOT NULL, state BLOB NOT NULL);`);
  },
];

export const CURRENT_SCHEMA: Schema = { version: SCHEMA_VERSION, migrations: MIGRATIONS };
