import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { syncConfig } from '../src/actor/sync-config.js';
import { actorId, tagOf } from '../src/crdt/ids.js';
import type { Op } from '../src/crdt/ops.js';
import { ReferenceList } from '../src/crdt/ReferenceList.js';
import { genomeList } from '../src/genome/cluster.js';
import { isGene } from '../src/genome/gene.js';
import { SqliteStore } from '../src/store/SqliteStore.js';
import { Replica } from '../src/sync/Replica.js';
import { nodeFeedCrypto } from '../src/transport/signing.js';
import { pull } from './helpers/feeds.js';
import { writeV1Store } from './helpers/stores.js';

let dir: string | null = null;
afterEach(() => {
  if (dir !== null) rmSync(dir, { recursive: true, force: true });
  dir = null;
});


const replica = (file: string, member: number, peers: string[]) =>
  new Replica(SqliteStore.open(file, member, { isValue: isGene }), genomeList(3), peers, syncConfig(1000, 3), 0, nodeFeedCrypto);


describe('a store of schema v1', () => {
  it('opens as its member\'s first incarnation, keeps every op, and its history reaches a new replica, signed by each author', () => {
    dir = mkdtempSync(join(tmpdir(), 'genome-migrate-'));
    // The previous version's cluster: members 0 and 1, each holding both members' ops.
    const a = new ReferenceList<number>(actorId(0));
    const b = new ReferenceList<number>(actorId(1));
    const history: Op<number>[] = [a.insert(0, 10), a.insert(1, 11)];
    for (const op of history) b.apply(op);
    history.push(b.insert(1, 20), b.delete(0));
    for (const op of history.slice(2)) a.apply(op);
    history.push(a.insert(0, 12));
    for (const op of history.slice(4)) b.apply(op);
    writeV1Store(join(dir, 'actor-0.db'), 0, history);
    writeV1Store(join(dir, 'actor-1.db'), 1, history);

    const r0 = replica(join(dir, 'actor-0.db'), 0, ['r1', 'r2']);
    const r1 = replica(join(dir, 'actor-1.db'), 1, ['r0', 'r2']);
    // Every op kept; each continues its own numbers as incarnation tag 0.
    expect([r0.actor, r1.actor]).toEqual([0, 1]);
    expect(tagOf(r0.actor)).toBe(0);
    expect(r0.list.toArray()).toEqual(a.toArray());
    expect(r1.list.toArray()).toEqual(a.toArray());
    expect(r0.mutations).toBe(3);
    // Each vouches for its own feed only, until the other's signature covers the other's ops.
    expect(r0.replicator.feeds.advertise(r0.list.version())).toEqual(new Map([[actorId(0), 3]]));

    const r2 = replica(join(dir, 'actor-2.db'), 2, ['r0', 'r1']);
    expect(tagOf(r2.actor)).toBeGreaterThan(0);
    pull(r2, r0, 'r0');
    pull(r2, r1, 'r1');
    pull(r2, r0, 'r0');
    expect(r2.list.toArray()).toEqual(a.toArray());
    expect(r2.list.pendingCount).toBe(0);
    // The migrated replicas learn each other's keys and vouch for the whole history.
    pull(r0, r1, 'r1');
    expect(r0.replicator.feeds.advertise(r0.list.version())).toEqual(new Map([[actorId(0), 3], [actorId(1), 2]]));
    r0.edit((l) => l.insert(0, 99));
    pull(r1, r0, 'r0');
    pull(r2, r1, 'r1');
    expect(r2.list.toArray()).toEqual(r0.list.toArray());
    for (const r of [r0, r1, r2]) r.close();

    // Reopened, a migrated store is the same incarnation with the same key.
    const again = replica(join(dir, 'actor-0.db'), 0, []);
    expect(again.actor).toBe(0);
    expect(again.replicator.feeds.key(actorId(0))).toEqual(r0.replicator.feeds.key(actorId(0)));
    again.close();
  });
});
