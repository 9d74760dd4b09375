import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { collectDefaultMetrics } from 'prom-client';
import { formatActor, type ActorId } from '../crdt/ids.js';
import { genomeList } from '../genome/cluster.js';
import { isGene, type Gene } from '../genome/gene.js';
import { Rng } from '../genome/Rng.js';
import { createLogger, type LogLevel, type Logger } from '../log.js';
import { MemoryStore, memoryBacking } from '../store/MemoryStore.js';
import { SqliteStore } from '../store/SqliteStore.js';
import { Replica } from '../sync/Replica.js';
import type { Store } from '../sync/store.js';
import { REQUEST_TIMEOUT_MS, trustCa } from '../transport/http-client.js';
import { NO_TLS, type TlsConfig } from '../transport/tls.js';
import { createHttpServer } from '../transport/http-server.js';
import { nodeFeedCrypto } from '../transport/signing.js';
import { ActorMetrics } from './ActorMetrics.js';
import { ActorState } from './ActorState.js';
import { FaultState } from './FaultState.js';
import { registerAdminRoutes, registerMetricsRoute } from './lab-routes.js';
import { runMutator, type Interval } from './Mutator.js';
import { Outbox } from './Outbox.js';
import { Readiness, registerReadyRoute } from './Readiness.js';
import { registerRoutes } from './routes.js';
import { gossipConfig, syncConfig } from './sync-config.js';
import { TimedStore, type CompactionReport } from './TimedStore.js';
import { runVerifier } from './Verifier.js';

export interface ActorOptions {
  actor: ActorId;
  host: string;
  port: number;
  /** Base URLs of the other actors. */
  peers: string[];
  /** Member slots beyond the actors (`--guests`): replicas that sync through an actor, as a browser tab does through the lab. */
  guests?: number;
  /** The actor id of each peer URL (every one of `peers`), for partitions, which name actors by id. */
  peerIds: ReadonlyMap<string, ActorId>;
  interval: Interval;
  mutations: number | undefined;
  seed: number;
  verifyIntervalMs: number;
  syncIntervalMs: number;
  /** Gossip's fan-out (see `SyncConfig.fanout`); default `DEFAULT_FANOUT`. */
  fanout?: number;
  /** Compact the store once this many ops were stored since its snapshot; 0: never. */
  compactEvery?: number;
  /** Collect tombstones once every member retired them (default); false keeps every one (`--no-collect`). */
  collect?: boolean;
  /** The initial drop rate; the admin API may change it at runtime. */
  dropRate: number;
  /** Enables the admin API (`/admin/faults`), which then requires it; null: no admin API. Never logged. */
  token: string | null;
  /** Replication requests carry, and must carry, its MAC; null: none. Never logged. */
  clusterKey?: string | null;
  /** Serve a non-loopback address without a cluster key (the CLI refuses that otherwise); warned at start. */
  insecure?: boolean;
  /** HTTPS: what this actor serves with and which CA its peers' certificates chain to. */
  tls?: TlsConfig;
  /** Where the SQLite store lives; null keeps everything in memory (`--memory`). */
  dataDir: string | null;
  logLevel: LogLevel;
  requestTimeoutMs?: number;
}

export interface RunningActor {
  readonly state: ActorState;
  readonly metrics: ActorMetrics;
  readonly url: string;
  /** Stops the loops and the server, and closes the store. */
  stop(): Promise<void>;
}

/** How often the event loop's delay is sampled for `/metrics` (`nodejs_eventloop_lag_*`). */
const EVENT_LOOP_SAMPLE_MS = 100;

/** How often an actor looks whether its store went quiet (took nothing since the last look), to compact it. */
const QUIET_COMPACT_MS = 5000;

export const storeFile = (dataDir: string, actor: ActorId): string => join(dataDir, `actor-${actor}.db`);


/** Start one actor: open its store and rebuild its genome, serve HTTP, then mutate, replicate and verify. */
export async function startActor(
  opts: ActorOptions,
  log: Logger = createLogger(opts.logLevel, { actor: opts.actor }),
  onFatal: (err: unknown) => void = (err) => {
    log.fatal({ err }, `cannot go on: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
): Promise<RunningActor> {
  const unmapped = opts.peers.find((url) => !opts.peerIds.has(url));
  if (unmapped !== undefined) throw new Error(`peer ${unmapped} has no actor id`);
  const metrics = new ActorMetrics();
  const store: Store<Gene> = opts.dataDir === null ? new MemoryStore(opts.actor, memoryBacking(), isGene) : SqliteStore.open(storeFile(opts.dataDir, opts.actor), opts.actor, { isValue: isGene });
  const actors = opts.peers.length + 1;
  const members = actors + (opts.guests ?? 0);
  // The state exists once the replica does; a replica compacts only after taking ops, later.
  let state: ActorState | null = null;
  const compacted = (report: CompactionReport): void => {
    metrics.compactions.inc();
    if (state !== null) state.lastCompaction = report;
    log.info(report, `store compacted: a snapshot of ${report.ops} ops, ${report.snapshotBytes} bytes, in ${report.ms.toFixed(1)} ms`);
  };
  let replica: Replica<Gene>;
  try {
    replica = new Replica(new TimedStore(store, (s) => metrics.storeWriteSeconds.observe(s), compacted), genomeList(members), opts.peers, gossipConfig({ ...syncConfig(opts.syncIntervalMs, members, opts.compactEvery), voters: actors }, opts), Date.now(), nodeFeedCrypto);
  } catch (err) {
    if (opts.dataDir === null || !(err instanceof Error) || !err.message.startsWith("the store's snapshot")) throw err;
    throw new Error(`store ${storeFile(opts.dataDir, opts.actor)}: ${err.message}; \`crdt-genome repair --data-dir ${opts.dataDir} --actor ${opts.actor}\` drops it, after a backup copy, and the actor goes on as a new incarnation`);
  }
  state = new ActorState(replica, new FaultState(opts.peerIds, opts.dropRate));
  metrics.watch(state);
  log.info({ store: opts.dataDir === null ? 'memory' : storeFile(opts.dataDir, opts.actor), ops: state.applied, mutations: replica.mutations, incarnation: formatActor(replica.actor) }, `store loaded: ${replica.mutations} own mutations so far; incarnation ${formatActor(replica.actor)}`);

  const tls = opts.tls ?? NO_TLS;
  if (tls.ca !== null) trustCa(tls.ca);
  const app = createHttpServer(log, { tls: tls.server });
  const clusterKey = opts.clusterKey ?? null;
  registerRoutes(app, state, log, onFatal, clusterKey, opts.collect !== false);
  registerMetricsRoute(app, metrics);
  if (opts.token !== null) registerAdminRoutes(app, state.faults, opts.token, log);
  const readiness = new Readiness(opts.peers.length, (why) => log.info({ why }, `ready: ${why}`));
  registerReadyRoute(app, readiness);
  try {
    await app.listen({ host: opts.host, port: opts.port });
  } catch (err) {
    replica.close();
    throw err;
  }
  const url = `${tls.server === null ? 'http' : 'https'}://${opts.host}:${opts.port}`;
  log.info({ url, peers: Object.fromEntries(opts.peerIds), seed: opts.seed, admin: opts.token !== null, clusterKey: clusterKey !== null }, `actor ${opts.actor} listening on ${url} (seed ${opts.seed}${opts.token === null ? '' : '; admin API on'}${clusterKey === null ? '' : '; cluster key required'})`);
  if (opts.insecure === true && clusterKey === null) log.warn({ host: opts.host }, `--insecure: serving ${opts.host} without a cluster key; anyone who can reach it can send ops`);

  const stopping = new AbortController();
  const { signal } = stopping;
  const timeoutMs = opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  readiness.start();
  const outbox = new Outbox(state, log, { timeoutMs, dropRng: new Rng(opts.seed ^ 0x2545f491), onFatal, clusterKey, onSyncPage: (peer, more) => readiness.page(peer, more) });
  state.wake = () => outbox.pump();
  outbox.pump();

  const mutator = (async () => {
    log.info({ mutations: replica.mutations }, `mutating from counter ${replica.list.nextCounter} of incarnation ${formatActor(replica.actor)}`);
    // A replica told by a peer that tombstones were retired holds and retires them before its
    // next mutation, so that none names one a replica may collect (INTERNALS.md, "Who may still name a tombstone").
    let waiting = false;
    // A store that holds own ops may be a copy restored from a backup, behind what peers hold of
    // this incarnation: mutating before one answered would sign a second op at a position already
    // signed (an equivocation, which costs every op from there on). Once caught up with a peer it
    // holds those ops again (signed with its own key, it takes them), and mutates after them.
    const restored = (replica.list.version().get(replica.actor) ?? 0) > 0;
    const paused = (): boolean => {
      if (state.faults.pauseMutations) return true;
      if (restored && !readiness.ready) return true;
      const wait = !replica.replicator.mayEdit();
      if (wait !== waiting) log.info(wait ? 'waiting to hold what peers have retired before mutating on' : 'holds what peers have retired: mutating on');
      waiting = wait;
      return wait;
    };
    await runMutator(replica, { interval: opts.interval, limit: opts.mutations, seed: opts.seed, paused }, () => outbox.pump(), signal);
    if (!signal.aborted) log.info({ mutations: replica.mutations }, `made all ${replica.mutations} mutations`);
  })().catch(onFatal);
  const verifier = runVerifier(state, opts.peers, { intervalMs: opts.verifyIntervalMs, timeoutMs, rng: new Rng(opts.seed ^ 0x68e31da4) }, log, signal);
  // A store that took nothing for a while compacts, so that a quiet cluster's stores hold their
  // snapshots alone (the write-ahead log given back), not up to --compact-every rows each.
  let rows = -1;
  const quiet = opts.compactEvery === 0 ? null : setInterval(() => {
    try {
      rows = replica.compactIfQuiet(rows);
    } catch (err) {
      onFatal(err);
    }
  }, QUIET_COMPACT_MS);

  return {
    state,
    metrics,
    url,
    async stop() {
      stopping.abort();
      readiness.stop();
      if (quiet !== null) clearInterval(quiet);
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
  // Listen for the end before starting, which takes a while (the store loads): a signal or the
  // parent's death during start-up must not leave the actor running.
  let actor: RunningActor | null = null;
  let stopping = false;
  const shutdown = (why: string): void => {
    if (stopping) return;
    stopping = true;
    log.info(`stopping (${why})`);
    if (actor !== null) stop(actor);
  };
  const stop = (running: RunningActor): void => {
    running.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => shutdown(signal));
  // Started by `crdt-genome cluster` with an IPC channel: exit when the parent goes away.
  if (process.send !== undefined) {
    process.on('disconnect', () => shutdown('parent went away'));
    if (!process.connected) shutdown('parent went away');
  }
  actor = await startActor(opts, log);
  if (stopping) return stop(actor); // asked to stop while starting
  // Node's own metrics (memory, event loop, GC) only here: their collectors cannot be stopped,
  // and an actor that runs as the process's program is the only actor in it. The event-loop delay
  // is sampled every 100 ms, not prom-client's 10: 100 wake-ups a second cost an idle actor
  // 0.8% of a core, half a core for 64 actors on one machine.
  collectDefaultMetrics({ register: actor.metrics.registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
}
