import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { Writable } from 'node:stream';
import { ActorMetrics } from '../../src/actor/ActorMetrics.js';
import { ActorState } from '../../src/actor/ActorState.js';
import { FaultState } from '../../src/actor/FaultState.js';
import { registerAdminRoutes, registerMetricsRoute } from '../../src/actor/lab-routes.js';
import { syncConfig } from '../../src/actor/sync-config.js';
import { nodeFeedCrypto } from '../../src/transport/signing.js';
import { registerRoutes } from '../../src/actor/routes.js';
import { TimedStore } from '../../src/actor/TimedStore.js';
import { actorId } from '../../src/crdt/ids.js';
import type { MakeList } from '../../src/crdt/list.js';
import { formatOp } from '../../src/crdt/ops.js';
import { ReferenceList } from '../../src/crdt/ReferenceList.js';
import { versionToJSON } from '../../src/crdt/version.js';
import { genomeList } from '../../src/genome/cluster.js';
import { isGene, type Gene } from '../../src/genome/gene.js';
import { MemoryStore } from '../../src/store/MemoryStore.js';
import { SqliteStore } from '../../src/store/SqliteStore.js';
import { Replica } from '../../src/sync/Replica.js';
import type { Store } from '../../src/sync/store.js';
import { createHttpServer } from '../../src/transport/http-server.js';

export interface ActorApp {
  app: FastifyInstance;
  state: ActorState;
  metrics: ActorMetrics;
  logs: Array<Record<string, unknown>>;
}

interface Wiring {
  store: Store<Gene>;
  makeList: MakeList<Gene>;
  /** Members of the cluster (ids 0 .. members - 1); undefined: any actor. */
  members?: number;
  peers?: string[];
  token?: string | null;
  clusterKey?: string | null;
}

/** An actor's routes on an in-process Fastify (for inject()), wired as `startActor` wires them, with its log lines captured. */
function wire(w: Wiring): ActorApp {
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const log = pino({ level: 'info' }, sink);
  const metrics = new ActorMetrics();
  const store = new TimedStore(w.store, (s) => metrics.storeWriteSeconds.observe(s));
  const state = new ActorState(new Replica(store, w.makeList, w.peers ?? [], syncConfig(1000, w.members), 0, nodeFeedCrypto), new FaultState(new Map()));
  metrics.watch(state);
  const app = createHttpServer(log);
  registerRoutes(app, state, log, undefined, w.clusterKey ?? null);
  registerMetricsRoute(app, metrics);
  if (w.token != null) registerAdminRoutes(app, state.faults, w.token, log);
  return { app, state, metrics, logs };
}

/** An actor over a memory store and the reference list; with `token`, the admin API is on; with `clusterKey`, replication needs its MAC. */
export function actorApp(actor = 0, maxPending?: number, token: string | null = null, clusterKey: string | null = null): ActorApp {
  const makeList: MakeList<Gene> = (a) => new ReferenceList<Gene>(a, maxPending === undefined ? {} : { maxPending });
  return wire({ store: new MemoryStore<Gene>(actorId(actor)), makeList, token, clusterKey });
}

/** An actor as the program runs it: a SQLite store in `file`, the fast list, a cluster of `members`. */
export function sqliteActorApp(file: string, members = 3, actor = 0, peers: string[] = []): ActorApp {
  const store = SqliteStore.open(file, actorId(actor), { isValue: isGene });
  return wire({ store, makeList: genomeList(members), members, peers });
}

/** What a replica holds, to compare before and after: genome, version, pending ops. */
export function holdings(state: ActorState): { hex: string; version: Record<string, number>; pending: string[] } {
  const { list } = state.replica;
  return { hex: state.hex, version: versionToJSON(list.version()), pending: [...list.pendingOps()].map((op) => formatOp(op)).sort() };
}
