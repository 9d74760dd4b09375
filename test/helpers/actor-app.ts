import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { Writable } from 'node:stream';
import { ActorMetrics } from '../../src/actor/ActorMetrics.js';
import { ActorState } from '../../src/actor/ActorState.js';
import { FaultState } from '../../src/actor/FaultState.js';
import { registerAdminRoutes, registerMetricsRoute } from '../../src/actor/lab-routes.js';
import { syncConfig } from '../../src/actor/run.js';
import { registerRoutes } from '../../src/actor/routes.js';
import { TimedStore } from '../../src/actor/TimedStore.js';
import { actorId } from '../../src/crdt/ids.js';
import { ReferenceList } from '../../src/crdt/ReferenceList.js';
import type { Gene } from '../../src/genome/gene.js';
import { MemoryStore } from '../../src/store/MemoryStore.js';
import { Replica } from '../../src/sync/Replica.js';
import { createHttpServer } from '../../src/transport/http-server.js';

export interface ActorApp {
  app: FastifyInstance;
  state: ActorState;
  metrics: ActorMetrics;
  logs: Array<Record<string, unknown>>;
}

/**
 * An actor's routes on an in-process Fastify (for inject()), wired as `startActor` wires them,
 * with its log lines captured. With `token`, the admin API is on.
 */
export function actorApp(actor = 0, maxPending?: number, token: string | null = null): ActorApp {
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const log = pino({ level: 'info' }, sink);
  const id = actorId(actor);
  const makeList = (a: typeof id) => new ReferenceList<Gene>(a, maxPending === undefined ? {} : { maxPending });
  const metrics = new ActorMetrics();
  const store = new TimedStore(new MemoryStore<Gene>(id), (s) => metrics.storeWriteSeconds.observe(s));
  const state = new ActorState(new Replica(store, makeList, [], syncConfig(1000), 0), new FaultState(new Map()));
  metrics.watch(state);
  const app = createHttpServer(log);
  registerRoutes(app, state, log);
  registerMetricsRoute(app, metrics);
  if (token !== null) registerAdminRoutes(app, state.faults, token, log);
  return { app, state, metrics, logs };
}
