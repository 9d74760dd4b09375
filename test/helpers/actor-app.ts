import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { Writable } from 'node:stream';
import { ActorState } from '../../src/actor/ActorState.js';
import { syncConfig } from '../../src/actor/run.js';
import { registerRoutes } from '../../src/actor/routes.js';
import { actorId } from '../../src/crdt/ids.js';
import { ReferenceList } from '../../src/crdt/ReferenceList.js';
import type { Gene } from '../../src/genome/gene.js';
import { MemoryStore } from '../../src/store/MemoryStore.js';
import { Replica } from '../../src/sync/Replica.js';
import { createHttpServer } from '../../src/transport/http-server.js';

/** An actor's routes on an in-process Fastify (for inject()), with its log lines captured. */
export function actorApp(actor = 0, maxPending?: number): { app: FastifyInstance; state: ActorState; logs: Array<Record<string, unknown>> } {
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
  const state = new ActorState(new Replica(new MemoryStore(id), makeList, [], syncConfig(1000), 0));
  const app = createHttpServer(log);
  registerRoutes(app, state, log);
  return { app, state, logs };
}
