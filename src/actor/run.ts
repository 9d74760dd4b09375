import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ActorId } from '../crdt/ids.js';
import { FastList } from '../crdt/fast/FastList.js';
import { isGene, type Gene } from '../genome/gene.js';
import { Rng } from '../genome/Rng.js';
import { createLogger, type LogLevel, type Logger } from '../log.js';
import { MemoryStore } from '../store/MemoryStore.js';
import { SqliteStore } from '../store/SqliteStore.js';
import { Replica } from '../sync/Replica.js';
import type { SyncConfig } from '../sync/Replicator.js';
import type { Store } from '../sync/store.js';
import { REQUEST_TIMEOUT_MS } from '../transport/http-client.js';
import { createHttpServer } from '../transport/http-server.js';
import { BATCH_BYTES, MAX_BATCH_OPS, wireSize } from '../transport/wire.js';
import { ActorState } from './ActorState.js';
import { runMutator, type Interval } from './Mutator.js';
import { Outbox } from './Outbox.js';
import { registerRoutes } from './routes.js';
import { runVerifier } from './Verifier.js';

export interface ActorOptions {
  actor: ActorId;
  host: string;
  port: number;
  /** Base URLs of the other actors. */
  peers: string[];
  interval: Interval;
  mutations: number | undefined;
  seed: number;
  verifyIntervalMs: number;
  syncIntervalMs: number;
  dropRate: number;
  /** Where the SQLite store lives; null keeps everything in memory (`--memory`). */
  dataDir: string | null;
  logLevel: LogLevel;
  requestTimeoutMs?: number;
}

export interface RunningActor {
  readonly state: ActorState;
  readonly url: string;
  /** Stops the loops and the server, and closes the store. */
  stop(): Promise<void>;
}

export const storeFile = (dataDir: string, actor: ActorId): string => join(dataDir, `actor-${actor}.db`);

export function syncConfig(syncIntervalMs: number): SyncConfig<Gene> {
  return { syncIntervalMs, backoffMinMs: 100, backoffMaxMs: 5000, maxOps: MAX_BATCH_OPS, maxBytes: BATCH_BYTES, sizeOf: wireSize };
}

/**
 * Start one actor: open its store and rebuild its genome, serve HTTP, catch up with every peer
 * (before the first mutation), then mutate, replicate and verify.
 */
export async function startActor(
  opts: ActorOptions,
  log: Logger = createLogger(opts.logLevel, { actor: opts.actor }),
  onFatal: (err: unknown) => void = (err) => {
    log.fatal({ err }, `cannot go on: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
): Promise<RunningActor> {
  const store: Store<Gene> = opts.dataDir === null ? new MemoryStore(opts.actor) : SqliteStore.open(storeFile(opts.dataDir, opts.actor), opts.actor, { isValue: isGene });
  const replica = new Replica(store, (actor) => new FastList<Gene>(actor), opts.peers, syncConfig(opts.syncIntervalMs), Date.now());
  const state = new ActorState(replica);
  const loaded = replica.list.version();
  log.info({ store: opts.dataDir === null ? 'memory' : storeFile(opts.dataDir, opts.actor), ops: [...loaded.values()].reduce((a, b) => a + b, 0), mutations: replica.mutations }, `store loaded: ${replica.mutations} own mutations so far`);

  const app = createHttpServer(log);
  registerRoutes(app, state, log, onFatal);
  try {
    await app.listen({ host: opts.host, port: opts.port });
  } catch (err) {
    replica.close();
    throw err;
  }
  const url = `http://${opts.host}:${opts.port}`;
  log.info({ url, peers: opts.peers, seed: opts.seed }, `actor ${opts.actor} listening on ${url} (seed ${opts.seed})`);

  const stopping = new AbortController();
  const { signal } = stopping;
  const timeoutMs = opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const outbox = new Outbox(state, log, { timeoutMs, dropRate: opts.dropRate, dropRng: new Rng(opts.seed ^ 0x2545f491), onFatal });
  outbox.pump();

  const mutator = (async () => {
    while (!replica.replicator.ready && !signal.aborted) await sleep(20, undefined, { signal }).catch(() => undefined);
    if (signal.aborted) return;
    log.info({ mutations: replica.mutations, version: Object.fromEntries(replica.list.version()) }, `caught up with peers; mutating from counter ${replica.list.nextCounter}`);
    await runMutator(replica, { interval: opts.interval, limit: opts.mutations, seed: opts.seed }, () => outbox.pump(), signal);
    if (!signal.aborted) log.info({ mutations: replica.mutations }, `made all ${replica.mutations} mutations`);
  })().catch(onFatal);
  const verifier = runVerifier(state, opts.peers, { intervalMs: opts.verifyIntervalMs, timeoutMs }, log, signal);

  return {
    state,
    url,
    async stop() {
      stopping.abort();
      outbox.stop();
      await Promise.all([mutator, verifier]);
      await app.close();
      replica.close();
    },
  };
}

/** Run an actor as the process's program: stop cleanly on SIGINT/SIGTERM/SIGHUP or when the parent goes. */
export async function runActorProcess(opts: ActorOptions): Promise<void> {
  const log = createLogger(opts.logLevel, { actor: opts.actor });
  const actor = await startActor(opts, log);
  let stopping = false;
  const shutdown = (why: string): void => {
    if (stopping) return;
    stopping = true;
    log.info(`stopping (${why})`);
    actor.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => shutdown(signal));
  // Started by `crdt-genome cluster` with an IPC channel: exit when the parent goes away.
  if (process.send !== undefined) process.on('disconnect', () => shutdown('parent went away'));
}
