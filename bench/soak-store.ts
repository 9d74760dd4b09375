import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Op } from '../src/crdt/ops.js';
import { syncConfig } from '../src/actor/sync-config.js';
import { genomeList } from '../src/genome/cluster.js';
import { isGene } from '../src/genome/gene.js';
import { MIN_GENES } from '../src/genome/mutation.js';
import { Rng } from '../src/genome/Rng.js';
import { SqliteStore } from '../src/store/SqliteStore.js';
import type { Reply } from '../src/sync/messages.js';
import { Replica } from '../src/sync/Replica.js';
import { nodeFeedCrypto } from '../src/transport/signing.js';

/** Ops a mutator edits at once at `--interval 0-0` (as `src/actor/Mutator.ts`). */
const BURST = 64;
/** Virtual time between rounds: syncs fall due every `SYNC_MS`, as an actor's would. */
const ROUND_MS = 50;
const SYNC_MS = 1000;

export interface StoreSoak {
  ms: number;
  rssMB: number;
  heapMB: number;
  storeBytes: number;
  tombstones: number;
  ok: boolean;
}

/**
 * Three replicas as the actors run them (SQLite stores, signed feeds, the replicator's pushes and
 * syncs, compaction by op count and once quiet), in one process with a virtual clock: each edits
 * bursts of seed-rule mutations until `total` are made, then all sync until they hold one genome.
 * With `collecting`, a replica collects after every sync it serves, as an actor does. Measured at
 * the end: the process's RSS and the largest store file.
 */
export function storeSoak(total: number, collecting: boolean): StoreSoak {
  const dir = mkdtempSync(join(tmpdir(), 'genome-soak-'));
  const names = ['r0', 'r1', 'r2'];
  const config = syncConfig(SYNC_MS, 3);
  const replicas = names.map((_, m) => new Replica(SqliteStore.open(join(dir, `actor-${m}.db`), m, { isValue: isGene }), genomeList(3), names.filter((_, i) => i !== m), config, 0, nodeFeedCrypto));
  const byName = new Map(names.map((n, i) => [n, replicas[i] as Replica<number>]));
  const rng = new Rng(11);
  const mutation = (list: Replica<number>['list']): Op<number> => (list.length < MIN_GENES || rng.next() < 0.5 ? list.insert(rng.int(list.length + 1), rng.int(256)) : list.delete(rng.int(list.length)));
  let now = 0;
  const exchange = (): void => {
    for (let busy = true; busy; ) {
      busy = false;
      for (const r of replicas) {
        for (const { peer, request } of r.poll(now)) {
          busy = true;
          const to = byName.get(peer) as Replica<number>;
          let reply: Reply<number>;
          if (request.type === 'push') {
            const result = to.receivePush(request.from, request.ops, request.proof, now, request.to, request.told);
            if (result.status !== 'ok') throw new Error(`push refused: ${result.status}`);
            reply = { type: 'push' };
          } else {
            reply = { type: 'sync', ...to.serveSync(request.from, request.version, request.state === true, request.report, now) };
            if (collecting) to.replicator.collect(now);
          }
          const outcome = r.onReply(peer, request, reply, now);
          if (outcome.refused.length > 0 || outcome.refusals.length > 0) throw new Error('a page was refused');
        }
      }
    }
  };
  const t0 = process.hrtime.bigint();
  for (let made = 0; made < total; now += ROUND_MS) {
    for (const r of replicas) {
      const count = Math.min(BURST, total - made);
      if (count > 0 && r.replicator.mayEdit()) {
        r.edit(mutation, count);
        made += count;
      }
    }
    exchange();
  }
  const same = (): boolean => replicas.every((r) => r.list.toArray().join() === replicas[0]?.list.toArray().join() && r.list.pendingCount === 0);
  // Quiet: sync rounds until all hold one genome and collection has caught up, then compact as a quiet actor does.
  for (let i = 0; i < 20; i++, now += SYNC_MS) exchange();
  for (const r of replicas) r.compact();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  (globalThis as { gc?: () => void }).gc?.();
  const result = {
    ms,
    rssMB: Math.round(process.memoryUsage().rss / 104857.6) / 10,
    heapMB: Math.round(process.memoryUsage().heapUsed / 104857.6) / 10,
    storeBytes: Math.max(...replicas.map((r) => r.storeBytes)),
    tombstones: Math.max(...replicas.map((r) => r.list.tombstones ?? 0)),
    ok: same(),
  };
  for (const r of replicas) r.close();
  rmSync(dir, { recursive: true, force: true });
  return result;
}

/** `storeSoak` in a process of its own, so that its RSS is its own. */
export function storeSoakApart(total: number, collecting: boolean): StoreSoak {
  const out = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), String(total), String(collecting)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (out.status !== 0) throw new Error(`store soak failed (${out.status}): ${out.stderr}`);
  return JSON.parse(out.stdout) as StoreSoak;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(storeSoak(Number(process.argv[2]), process.argv[3] === 'true')));
}
