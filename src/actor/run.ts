import type { ActorId } from '../crdt/ids.js';
import { createLogger, type LogLevel, type Logger } from '../log.js';
import { REQUEST_TIMEOUT_MS } from '../transport/http-client.js';
import { createHttpServer } from '../transport/http-server.js';
import { ActorState } from './ActorState.js';
import { runMutator, type Interval } from './Mutator.js';
import { PeerLink } from './PeerLink.js';
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
  logLevel: LogLevel;
  requestTimeoutMs?: number;
}

export interface RunningActor {
  readonly state: ActorState;
  readonly url: string;
  /** Stops the loops and the server. */
  stop(): Promise<void>;
}

/** Start one actor: HTTP server, mutator, pushes to every peer, verifier. */
export async function startActor(opts: ActorOptions, log: Logger = createLogger(opts.logLevel, { actor: opts.actor })): Promise<RunningActor> {
  const state = new ActorState(opts.actor);
  const app = createHttpServer(log);
  registerRoutes(app, state, log);
  await app.listen({ host: opts.host, port: opts.port });
  const url = `http://${opts.host}:${opts.port}`;
  log.info({ url, peers: opts.peers, seed: opts.seed }, `actor ${opts.actor} listening on ${url} (seed ${opts.seed})`);

  const stopping = new AbortController();
  const { signal } = stopping;
  const timeoutMs = opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const links = opts.peers.map((peer) => new PeerLink(peer, state, log, signal, timeoutMs));
  const mutator = runMutator(state, { interval: opts.interval, limit: opts.mutations, seed: opts.seed }, () => {
    for (const link of links) link.kick();
  }, signal).then(() => {
    if (!signal.aborted) log.info({ mutations: state.mutations }, `made all ${state.mutations} mutations`);
  });
  const verifier = runVerifier(state, opts.peers, { intervalMs: opts.verifyIntervalMs, timeoutMs }, log, signal);

  return {
    state,
    url,
    async stop() {
      stopping.abort();
      await Promise.all([mutator, verifier]);
      await app.close();
    },
  };
}

/** Run an actor as the process's program: stop cleanly on SIGINT/SIGTERM or when the parent goes. */
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
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  // Started by `crdt-genome cluster` with an IPC channel: exit when the parent goes away.
  if (process.send !== undefined) process.on('disconnect', () => shutdown('parent went away'));
}
