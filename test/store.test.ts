import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeOpBody, encodeOpBody } from '../src/crdt/codec.js';
import { actorId, memberOf, opId, replicaId, tagOf, type ActorId } from '../src/crdt/ids.js';
import type { Op } from '../src/crdt/ops.js';
import { MAX_COUNTER } from '../src/crdt/validate.js';
import { ReferenceList } from '../src/crdt/ReferenceList.js';
import { MemoryStore, memoryBacking } from '../src/store/MemoryStore.js';
import { CURRENT_SCHEMA, type Schema } from '../src/store/schema.js';
import { SqliteStore } from '../src/store/SqliteStore.js';
import { StoreError } from '../src/store/StoreError.js';
import type { FeedRecords } from '../src/sync/Feeds.js';
import type { Store } from '../src/sync/store.js';
import { runStoreTests, type StoreHome } from '../src/testing/store-conformance.js';
import { newSigner, nodeFeedCrypto } from '../src/transport/signing.js';
import { writeOldStore, writeV1Store } from './helpers/stores.js';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'genome-store-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

runStoreTests('MemoryStore', (actor) => {
  const backing = memoryBacking<number>();
  return { open: () => new MemoryStore(actorId(actor), backing) };
});

runStoreTests('SqliteStore', (actor) => {
  const file = join(tmp(), `actor-${actor}.db`);
  return { open: () => SqliteStore.open(file, actorId(actor)) };
});

/** What both stores must do with incarnations and feed records (beyond `runStoreTests`). */
function incarnationTests(name: string, makeHome: (member: number) => StoreHome): void {
  describe(`${name}: its incarnation and the feeds' records`, () => {
    const records = (): FeedRecords => {
      const author = replicaId(1, 0x1234_5678);
      return {
        keys: [{ actor: author, key: newSigner().signer.key }],
        points: [
          { actor: author, counter: 1, signature: new Uint8Array(64).fill(7) },
          { actor: author, counter: 300, signature: new Uint8Array(64).fill(9) },
        ],
      };
    };
    const sorted = (r: FeedRecords) => ({
      keys: [...r.keys].sort((a, b) => a.actor - b.actor).map((k) => ({ actor: k.actor, key: [...k.key] })),
      points: [...r.points].sort((a, b) => a.actor - b.actor || a.counter - b.counter).map((p) => ({ actor: p.actor, counter: p.counter, signature: [...p.signature] })),
    });

    it('is a new incarnation of its member: an author id whose tag its key gives, kept with its key across a restart', () => {
      const home = makeHome(3);
      let store: Store<number> = home.open();
      const actor = store.actor;
      const key = [...store.signer.key];
      expect(store.member).toBe(3);
      expect(memberOf(actor)).toBe(3);
      expect(tagOf(actor)).toBe(nodeFeedCrypto.tagOf(store.signer.key));
      expect(tagOf(actor)).toBeGreaterThan(0);
      const message = Uint8Array.from([1, 2, 3]);
      expect(nodeFeedCrypto.verify(store.signer.key, message, store.signer.sign(message))).toBe(true);
      store.close();
      store = home.open();
      expect(store.actor).toBe(actor);
      expect([...store.signer.key]).toEqual(key);
      store.close();
      // Another home of the same member: another incarnation.
      const other = makeHome(3).open();
      expect(other.actor).not.toBe(actor);
      expect(memberOf(other.actor)).toBe(3);
      other.close();
    });

    it('gives back the keys and signed points appended with ops, after a restart; with a refused op, none of them', () => {
      const home = makeHome(0);
      const author = replicaId(1, 0x1234_5678);
      const list = new ReferenceList<number>(author);
      const ops = [list.insert(0, 1), list.insert(1, 2)];
      const r = records();
      let store = home.open();
      expect(store.records()).toEqual({ keys: [], points: [], forks: [], dropped: [], chains: [], bases: [] });
      store.append(ops, r);
      store.append([], { keys: [], points: [{ actor: author, counter: 2, signature: new Uint8Array(64).fill(8) }] });
      store.close();
      store = home.open();
      const withTwo = { ...r, points: [...r.points, { actor: author, counter: 2, signature: new Uint8Array(64).fill(8) }] };
      expect(sorted(store.records())).toEqual(sorted(withTwo));
      expect(store.load()).toEqual(ops);
      const bad: Op<number> = { type: 'insert', id: { actor: author, counter: MAX_COUNTER + 1 }, value: 1, left: null, right: null };
      const more: FeedRecords = { keys: [{ actor: replicaId(2, 9), key: newSigner().signer.key }], points: [{ actor: replicaId(2, 9), counter: 1, signature: new Uint8Array(64) }] };
      expect(() => store.append([list.insert(2, 3), bad], more)).toThrow(/counter outside/);
      store.close();
      store = home.open();
      expect(sorted(store.records())).toEqual(sorted(withTwo));
      expect(store.load()).toEqual(ops);
      store.close();
    });

    // Chain states and chain bases are kept alike: each set replaces the one before, and a dropped
    // op forgets its feed's (it may hash ops no longer kept).
    for (const kind of ['chains', 'bases'] as const) {
      it(`keeps the ${kind} of the last compaction across a restart, replaced by each newer set; a dropped op forgets its feed's`, () => {
        const home = makeHome(0);
        const [a, b] = [replicaId(1, 7), replicaId(2, 8)];
        const state = (n: number) => new Uint8Array(40 + n).fill(n);
        const none = { upTo: new Map(), keep: [] };
        let store = home.open();
        store.compact({ snapshot: new Uint8Array([1]), covers: new Map(), points: none, [kind]: [{ actor: a, count: 3, state: state(3) }, { actor: b, count: 1, state: state(1) }] });
        store.compact({ snapshot: new Uint8Array([2]), covers: new Map(), points: none, [kind]: [{ actor: a, count: 5, state: state(5) }, { actor: b, count: 2, state: state(2) }] });
        store.close();
        store = home.open();
        const byActor = (r: FeedRecords) => [...(r[kind] ?? [])].sort((x, y) => x.actor - y.actor).map((c) => ({ ...c, state: [...c.state] }));
        expect(byActor(store.records())).toEqual([{ actor: a, count: 5, state: [...state(5)] }, { actor: b, count: 2, state: [...state(2)] }]);
        store.drop([{ actor: a, counter: 4 }], { keys: [], points: [], dropped: [{ actor: a, counter: 4 }] });
        store.close();
        store = home.open();
        expect(byActor(store.records())).toEqual([{ actor: b, count: 2, state: [...state(2)] }]);
        store.close();
      });
    }

    it('keeps what the replica retired across a restart, replaced by each newer one', () => {
      const home = makeHome(0);
      let store = home.open();
      expect(store.retired()).toEqual(new Map());
      store.keepRetired(new Map([[replicaId(1, 7), 3]]));
      store.keepRetired(new Map([[replicaId(1, 7), 5], [replicaId(2, 8), 1]]));
      store.close();
      store = home.open();
      expect(store.retired()).toEqual(new Map([[replicaId(1, 7), 5], [replicaId(2, 8), 1]]));
      store.close();
    });

    it('keeps what the replica knows of its peers (incarnations heard, what they said was retired) across a restart', () => {
      const home = makeHome(0);
      let store = home.open();
      expect(store.knowledge()).toEqual({ told: new Map(), heard: [] });
      store.keepKnowledge({ told: new Map([[replicaId(1, 7), 3]]), heard: [replicaId(1, 7)] });
      store.keepKnowledge({ told: new Map([[replicaId(1, 7), 5]]), heard: [replicaId(1, 7), replicaId(2, 8)] });
      store.close();
      store = home.open();
      expect(store.knowledge()).toEqual({ told: new Map([[replicaId(1, 7), 5]]), heard: [replicaId(1, 7), replicaId(2, 8)] });
      store.close();
    });

    it('holds the ops of incarnations, whose author ids run past 65535, and loads them', () => {
      const home = makeHome(0);
      const a = new ReferenceList<number>(replicaId(2, 1));
      const b = new ReferenceList<number>(replicaId(0xffff, 2 ** 37 - 1));
      const ops: Op<number>[] = [a.insert(0, 5)];
      b.apply(ops[0] as Op<number>);
      ops.push(b.insert(1, 6), b.delete(0));
      let store = home.open();
      store.append(ops);
      store.close();
      store = home.open();
      expect(store.load()).toEqual(ops);
      store.close();
    });
  });
}

incarnationTests('MemoryStore', (member) => {
  const backing = memoryBacking<number>();
  return { open: () => new MemoryStore(member, backing) };
});

incarnationTests('SqliteStore', (member) => {
  const file = join(tmp(), `actor-${member}.db`);
  return { open: () => SqliteStore.open(file, member) };
});

const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

function expectRefused(file: string, actor: number, problem: StoreError['problem'], words: RegExp): void {
  const before = sha(file);
  const filesBefore = readdirSync(join(file, '..')).sort();
  let error: unknown;
  try {
    SqliteStore.open(file, actorId(actor)).close();
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(StoreError);
  expect((error as StoreError).problem).toBe(problem);
  expect((error as Error).message).toContain(file);
  expect((error as Error).message).toMatch(words);
  expect(sha(file)).toBe(before);
  expect(readdirSync(join(file, '..')).sort()).toEqual(filesBefore);
}

describe('SqliteStore: files it must refuse, untouched', () => {
  it('a file of random bytes', () => {
    const file = join(tmp(), 'actor-0.db');
    writeFileSync(file, Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7919) % 251)));
    expectRefused(file, 0, 'corrupt', /not a valid SQLite database/);
  });

  it('a SQLite database of another application', () => {
    const file = join(tmp(), 'actor-0.db');
    const db = new Database(file);
    db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES (\'ada\')');
    db.close();
    expectRefused(file, 0, 'foreign', /not a crdt-genome store/);
  });

  it('the store of another actor', () => {
    const file = join(tmp(), 'actor-1.db');
    const store = SqliteStore.open(file, actorId(1));
    store.append([new ReferenceList<number>(actorId(1)).insert(0, 9)]);
    store.close();
    expectRefused(file, 2, 'other-actor', /belongs to actor 1, not actor 2/);
  });

  it('a store with a newer schema', () => {
    const file = join(tmp(), 'actor-0.db');
    SqliteStore.open(file, actorId(0)).close();
    const db = new Database(file);
    db.exec('UPDATE schema_version SET version = 99');
    db.close();
    expectRefused(file, 0, 'newer-schema', /schema version 99 is newer/);
  });

  it('a store whose pages are damaged', () => {
    const file = join(tmp(), 'actor-0.db');
    const store = SqliteStore.open(file, actorId(0));
    const list = new ReferenceList<number>(actorId(0));
    store.append(Array.from({ length: 2000 }, (_, i) => list.insert(i, i % 256)));
    store.close();
    const bytes = readFileSync(file);
    bytes.fill(0xa5, 4096 * 2, 4096 * 4); // wreck two pages in the middle
    writeFileSync(file, bytes);
    expectRefused(file, 0, 'corrupt', /integrity check failed|not a valid SQLite database/);
  });
});

describe('SqliteStore: rows it must refuse when loading', () => {
  const cases: Array<[string, string]> = [
    ['a gene out of range', "UPDATE ops SET body = X'00ac02' WHERE counter = 1"],
    ['a zero counter', 'UPDATE ops SET counter = 0 WHERE counter = 1'],
    ['a fractional counter', 'UPDATE ops SET counter = 1.5 WHERE counter = 1'],
    ['an actor past the highest author id', 'UPDATE ops SET actor = 9007199254740992 WHERE counter = 1'],
    ['a negative actor', 'UPDATE ops SET actor = -1 WHERE counter = 1'],
    ['a body with trailing bytes', "UPDATE ops SET body = X'000500' WHERE counter = 1"],
    ['a body that is text', "UPDATE ops SET body = 'hello' WHERE counter = 1"],
  ];
  for (const [what, sql] of cases) {
    it(what, () => {
      const file = join(tmp(), 'actor-0.db');
      const list = new ReferenceList<number>(actorId(0));
      let store = SqliteStore.open(file, actorId(0));
      store.append([list.insert(0, 5), list.insert(1, 6)]);
      store.close();
      const db = new Database(file);
      db.exec(sql);
      db.close();
      store = SqliteStore.open(file, actorId(0), { isValue: (v) => v <= 255 });
      expect(() => store.load()).toThrow(StoreError);
      store.close();
    });
  }

  it('names the row and the way out', () => {
    const file = join(tmp(), 'actor-0.db');
    const store = storeWithBadRow(file);
    expect(() => store.load()).toThrow(/row 2: op a1\.9007199254740992 has a counter outside.*`crdt-genome repair --data-dir .* --actor 0` drops the rows that cannot be loaded, after a backup copy/);
    store.close();
  });
});

/** A store of actor 0 whose second row (of three) holds an op id no replica takes, as an older version let in. */
function storeWithBadRow(file: string): SqliteStore {
  const one = new ReferenceList<number>(actorId(1));
  const store = SqliteStore.open(file, actorId(0), { isValue: (v) => v <= 255 });
  store.append([one.insert(0, 5), one.insert(1, 6)]);
  store.close();
  const db = new Database(file);
  db.exec(`UPDATE ops SET counter = 9007199254740992 WHERE counter = 2`);
  db.exec(`INSERT INTO ops (actor, counter, body) VALUES (1, 3, X'0007')`);
  db.close();
  return SqliteStore.open(file, actorId(0), { isValue: (v) => v <= 255 });
}

describe('SqliteStore: never holds what it cannot load', () => {
  const bad: Array<[string, Op<number>]> = [
    ['a counter past the highest', { type: 'insert', id: opId(1, MAX_COUNTER + 1), value: 1, left: null, right: null }],
    ['a counter that is not a safe integer', { type: 'insert', id: { actor: actorId(1), counter: 2 ** 53 }, value: 1, left: null, right: null }],
    ['an origin that is not a safe integer', { type: 'insert', id: opId(1, 1), value: 1, left: { actor: actorId(2), counter: 2 ** 53 }, right: null }],
    ['a target past the highest counter', { type: 'delete', id: opId(1, 1), target: opId(2, MAX_COUNTER + 1) }],
    ['a value it refuses on load', { type: 'insert', id: opId(1, 1), value: 300, left: null, right: null }],
  ];
  for (const [what, op] of bad) {
    it(`refuses ${what}: check says why, append throws and stores nothing of the call`, () => {
      const file = join(tmp(), 'actor-0.db');
      const good = new ReferenceList<number>(actorId(2)).insert(0, 1);
      let store = SqliteStore.open(file, actorId(0), { isValue: (v) => v <= 255 });
      expect(store.check(op)).toMatch(/op a1\./);
      expect(store.check(good)).toBeNull();
      expect(() => store.append([good, op])).toThrow(/refuses op a1\./);
      store.close();
      store = SqliteStore.open(file, actorId(0), { isValue: (v) => v <= 255 });
      expect(store.load()).toEqual([]);
      store.close();
    });
  }
});

describe('SqliteStore.repair', () => {
  it('drops the rows that cannot be loaded, after a backup copy, and says how many', () => {
    const dir = tmp();
    const file = join(dir, 'actor-0.db');
    storeWithBadRow(file).close();
    const report = SqliteStore.repair(file, actorId(0), { isValue: (v) => v <= 255 });
    expect(report.rows).toBe(3);
    expect(report.dropped).toEqual([{ seq: 2, why: expect.stringMatching(/counter outside/) }]);
    expect(report.backup).toMatch(/actor-0\.db\.backup-/);
    // The backup holds every row as it was; the store loads what is left.
    const backup = new Database(report.backup as string, { readonly: true });
    expect((backup.prepare('SELECT count(*) AS n FROM ops').get() as { n: number }).n).toBe(3);
    backup.close();
    const store = SqliteStore.open(file, actorId(0), { isValue: (v) => v <= 255 });
    expect(store.load().map((op) => op.id.counter)).toEqual([1, 3]);
    store.close();
    const again = SqliteStore.repair(file, actorId(0));
    expect(again).toEqual({ file, rows: 2, dropped: [], snapshot: null, backup: null });
    expect(readdirSync(dir).filter((f) => f.includes('backup'))).toHaveLength(1);
  });

  it('drops a snapshot its check refuses, after a backup copy, and goes on as a new incarnation that keeps the old key', () => {
    const dir = tmp();
    const file = join(dir, 'actor-0.db');
    let store = SqliteStore.open(file, actorId(0));
    const old = { actor: store.actor, key: [...store.signer.key] };
    store.compact({ snapshot: new Uint8Array([1, 2, 3]), covers: new Map(), points: { upTo: new Map(), keep: [] } });
    store.close();
    const fine = SqliteStore.repair(file, actorId(0), { checkSnapshot: () => null });
    expect(fine).toMatchObject({ snapshot: null, backup: null });
    const report = SqliteStore.repair(file, actorId(0), { checkSnapshot: (bytes) => `${bytes.length} bytes of nonsense` });
    expect(report).toMatchObject({ rows: 0, dropped: [], snapshot: '3 bytes of nonsense', backup: expect.stringMatching(/actor-0\.db\.backup-/) });
    const backup = new Database(report.backup as string, { readonly: true });
    expect((backup.prepare('SELECT count(*) AS n FROM snapshot').get() as { n: number }).n).toBe(1);
    backup.close();
    store = SqliteStore.open(file, actorId(0));
    expect(store.snapshot()).toBeNull();
    expect(store.actor).not.toBe(old.actor);
    expect(store.records().keys.map((k) => ({ actor: k.actor, key: [...k.key] }))).toContainEqual(old);
    store.close();
  });

  it('refuses, untouched, what `open` refuses, and a missing file', () => {
    const file = join(tmp(), 'actor-0.db');
    const db = new Database(file);
    db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY)');
    db.close();
    const before = sha(file);
    expect(() => SqliteStore.repair(file, actorId(0))).toThrow(/not a crdt-genome store/);
    expect(sha(file)).toBe(before);
    expect(() => SqliteStore.repair(join(tmp(), 'actor-0.db'), actorId(0))).toThrow(/no such file/);
  });
});

describe('SqliteStore: files it must initialise', () => {
  it('a missing file (and its directory)', () => {
    const file = join(tmp(), 'nested', 'dir', 'actor-0.db');
    const store = SqliteStore.open(file, actorId(0));
    expect(store.load()).toEqual([]);
    store.close();
  });

  it('an empty file', () => {
    const file = join(tmp(), 'actor-0.db');
    writeFileSync(file, '');
    const store = SqliteStore.open(file, actorId(0));
    expect(store.load()).toEqual([]);
    store.close();
  });

  it('a SQLite file with no tables', () => {
    const file = join(tmp(), 'actor-0.db');
    const db = new Database(file);
    db.pragma('user_version = 0');
    db.close();
    const store = SqliteStore.open(file, actorId(0));
    expect(store.load()).toEqual([]);
    store.close();
  });
});

describe('SqliteStore: one process at a time', () => {
  it('refuses a second process while the first holds the store, and lets it in after', () => {
    const file = join(tmp(), 'actor-3.db');
    const store = SqliteStore.open(file, actorId(3));
    store.append([new ReferenceList<number>(actorId(3)).insert(0, 1)]);
    const script = `
      import { SqliteStore } from ${JSON.stringify(new URL('../dist/store/SqliteStore.js', import.meta.url).href)};
      try { SqliteStore.open(${JSON.stringify(file)}, 3).close(); console.log('opened'); }
      catch (e) { console.log(e.problem + ': ' + e.message); }`;
    const second = (): string => execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).trim();
    const refused = second();
    expect(refused).toMatch(/^locked: store .*actor-3\.db: in use by another process/);
    store.close();
    expect(second()).toBe('opened');
    const again = SqliteStore.open(file, actorId(3));
    expect(again.load()).toHaveLength(1);
    again.close();
  });
});

describe('op body codec', () => {
  it('round-trips every op and rejects damaged bodies', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat({ max: 255 }), fc.nat({ max: 1000 }))), (edits) => {
        const list = new ReferenceList<number>(actorId(7));
        for (const [ins, v, at] of edits) {
          const op = ins || list.length === 0 ? list.insert(at % (list.length + 1), v) : list.delete(at % list.length);
          const body = encodeOpBody(op);
          expect(decodeOpBody(op.id, body)).toEqual(op);
          expect(() => decodeOpBody(op.id, body.subarray(0, body.length - 1))).toThrow();
          expect(() => decodeOpBody(op.id, Uint8Array.from([...body, 0]))).toThrow();
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('SqliteStore: migrations', () => {
  // A next schema as a later version would ship it: one more step after the current ones.
  const next = (step: Schema['migrations'][number]): Schema => ({ version: CURRENT_SCHEMA.version + 1, migrations: [...CURRENT_SCHEMA.migrations, step] });
  const versionOf = (file: string): number => {
    const db = new Database(file, { readonly: true });
    try {
      return (db.prepare('SELECT version FROM schema_version').get() as { version: number }).version;
    } finally {
      db.close();
    }
  };

  function olderStore() {
    const file = join(tmp(), 'actor-4.db');
    const list = new ReferenceList<number>(actorId(4));
    const ops = [list.insert(0, 1), list.insert(1, 2), list.delete(0)];
    const store = SqliteStore.open(file, actorId(4));
    store.append(ops);
    store.close();
    return { file, ops };
  }

  /** A store as the last build before signed feeds wrote it (schema v1), holding `ops`. */
  function v1Store(member: number, ops: readonly Op<number>[]): string {
    const file = join(tmp(), `actor-${member}.db`);
    writeV1Store(file, member, ops);
    return file;
  }

  it('a v1 store with ops continues as its member\'s first incarnation (tag 0, author id = member number), keeping every op', () => {
    const own = new ReferenceList<number>(actorId(4));
    const peer = new ReferenceList<number>(actorId(1));
    const ops: Op<number>[] = [own.insert(0, 1), own.insert(1, 2)];
    for (const op of ops) peer.apply(op);
    ops.push(peer.insert(0, 3));
    own.apply(ops[2] as Op<number>);
    ops.push(own.delete(0));
    const file = v1Store(4, ops);
    let store = SqliteStore.open(file, 4);
    expect(store.actor).toBe(4);
    expect(store.load()).toEqual(ops);
    expect(store.records()).toEqual({ keys: [], points: [], forks: [], dropped: [], chains: [], bases: [] });
    const key = [...store.signer.key];
    store.close();
    expect(versionOf(file)).toBe(CURRENT_SCHEMA.version);
    // Its key was made once, by the migration, and is kept.
    store = SqliteStore.open(file, 4);
    expect(store.actor).toBe(4);
    expect([...store.signer.key]).toEqual(key);
    store.close();
  });

  it('a v2 store (before compaction) opens with no snapshot and every op a row', () => {
    const own = new ReferenceList<number>(actorId(4));
    const ops = [own.insert(0, 1), own.insert(1, 2), own.delete(0)];
    const file = join(tmp(), 'actor-4.db');
    writeOldStore(file, 4, ops, 2);
    const store = SqliteStore.open(file, 4);
    expect(store.snapshot()).toBeNull();
    expect(store.load()).toEqual(ops);
    store.close();
    expect(versionOf(file)).toBe(CURRENT_SCHEMA.version);
  });

  it('a v4 store (before chain bases) opens with its snapshot, chains and rows, and no base: it collected nothing', () => {
    const own = new ReferenceList<number>(actorId(4));
    const ops = [own.insert(0, 1), own.insert(1, 2)];
    const file = join(tmp(), 'actor-4.db');
    writeOldStore(file, 4, ops, 4);
    const store = SqliteStore.open(file, 4);
    expect(store.load()).toEqual(ops);
    expect(store.records().bases).toEqual([]);
    store.close();
    expect(versionOf(file)).toBe(CURRENT_SCHEMA.version);
  });

  it('a v3 store (before chain states) opens with its snapshot and rows, and no chain state: feeds are hashed from ops', () => {
    const own = new ReferenceList<number>(actorId(4));
    const ops = [own.insert(0, 1), own.insert(1, 2)];
    const file = join(tmp(), 'actor-4.db');
    writeOldStore(file, 4, ops, 3);
    const db = new Database(file);
    db.prepare('INSERT INTO snapshot (id, body) VALUES (1, ?)').run(Buffer.from([7, 7]));
    db.close();
    const store = SqliteStore.open(file, 4);
    expect(store.snapshot()).toEqual(new Uint8Array([7, 7]));
    expect(store.load()).toEqual(ops);
    expect(store.records().chains).toEqual([]);
    store.close();
    expect(versionOf(file)).toBe(CURRENT_SCHEMA.version);
  });

  it('a v1 store without ops becomes a new incarnation', () => {
    const file = v1Store(4, []);
    const store = SqliteStore.open(file, 4);
    expect(memberOf(store.actor)).toBe(4);
    expect(tagOf(store.actor)).toBe(nodeFeedCrypto.tagOf(store.signer.key));
    expect(tagOf(store.actor)).toBeGreaterThan(0);
    store.close();
  });

  it('names a damaged record of what was retired when asked for it', () => {
    const file = join(tmp(), 'actor-4.db');
    SqliteStore.open(file, 4).close();
    for (const value of ['{', '{"x":1}', '{"1":-1}', '[1]']) {
      const db = new Database(file);
      db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('retired', ?)`).run(value);
      db.close();
      const store = SqliteStore.open(file, 4);
      expect(() => store.retired()).toThrow(/what it retired is damaged/);
      store.close();
    }
  });

  it('names a damaged record of what it knows of its peers when asked for it', () => {
    const file = join(tmp(), 'actor-4.db');
    SqliteStore.open(file, 4).close();
    for (const value of ['{', '{"told":[1],"heard":[]}', '{"told":{"1":-1},"heard":[]}', '{"told":{},"heard":[-1]}', '{"told":{}}', '{"told":{"x":1},"heard":[]}']) {
      const db = new Database(file);
      db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('knowledge', ?)`).run(value);
      db.close();
      const store = SqliteStore.open(file, 4);
      expect(() => store.knowledge()).toThrow(/what it knows of its peers is damaged/);
      store.close();
    }
  });

  it('refuses, untouched, a store whose incarnation is damaged', () => {
    const file = join(tmp(), 'actor-4.db');
    SqliteStore.open(file, 4).close();
    const db = new Database(file);
    db.prepare(`UPDATE meta SET value = ? WHERE key = 'replica'`).run(String(replicaId(5, 1)));
    db.close();
    expectRefused(file, 4, 'corrupt', /incarnation/);
  });

  it('migrates an older schema, keeping every op', () => {
    const { file, ops } = olderStore();
    const store = SqliteStore.open(file, actorId(4), { schema: next((db) => db.exec('CREATE TABLE peers (url TEXT PRIMARY KEY)')) });
    expect(store.load()).toEqual(ops);
    store.close();
    expect(versionOf(file)).toBe(CURRENT_SCHEMA.version + 1);
  });

  it('a migration that fails midway changes nothing (one transaction)', () => {
    const { file, ops } = olderStore();
    const failing = next((db) => {
      db.exec('CREATE TABLE peers (url TEXT PRIMARY KEY); DELETE FROM ops');
      throw new Error('power cut');
    });
    expect(() => SqliteStore.open(file, actorId(4), { schema: failing })).toThrow(/power cut/);
    expect(versionOf(file)).toBe(CURRENT_SCHEMA.version);
    const store = SqliteStore.open(file, actorId(4));
    expect(store.load()).toEqual(ops);
    store.close();
    const db = new Database(file, { readonly: true });
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE name = 'peers'`).all()).toEqual([]);
    db.close();
  });
});
