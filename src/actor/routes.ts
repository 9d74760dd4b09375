import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { formatId, type ActorId } from '../crdt/ids.js';
import { versionFromJSON } from '../crdt/version.js';
import { HttpError } from '../transport/http-server.js';
import { batchSchema, decodeOp, encodeSyncReply, syncRequestSchema, type WireBatch, type WireSyncRequest } from '../transport/wire.js';
import type { ActorState } from './ActorState.js';

/**
 * The actor's HTTP routes (see README for the contract). `onFatal` is told when storing received
 * ops fails: the list already holds them, so the actor must stop rather than acknowledge them later.
 */
export function registerRoutes(app: FastifyInstance, state: ActorState, log: Logger, onFatal: (err: unknown) => void = () => undefined): void {
  app.get('/genome', async (_req, reply) => reply.type('text/plain; charset=utf-8').send(state.hex));

  app.get('/status', async () => state.status());

  app.get('/healthz', async () => ({ ok: true }));

  app.post<{ Body: WireBatch }>('/genome', { schema: { body: batchSchema } }, async (req) => {
    const { from, ops } = req.body;
    const result = (() => {
      try {
        return state.replica.receivePush(from as ActorId, ops.map(decodeOp));
      } catch (err) {
        onFatal(err);
        throw err;
      }
    })();
    switch (result.status) {
      case 'ok':
        return { applied: result.applied, duplicate: result.duplicate, pending: result.pending };
      case 'equivocation':
        log.error({ sender: from, op: formatId(result.op.id) }, `equivocation from actor ${from}: ${result.message}`);
        throw new HttpError(409, result.message, 'equivocation');
      case 'invalid':
        throw new HttpError(400, result.message, 'invalid_op');
      case 'full':
        log.warn({ sender: from, pending: state.replica.list.pendingCount }, `pending set full: refusing ops from actor ${from} until their dependencies arrive`);
        throw new HttpError(503, 'pending set is full; retry later', 'pending_full');
    }
  });

  app.post<{ Body: WireSyncRequest }>('/sync', { schema: { body: syncRequestSchema } }, async (req, reply) => {
    const body = JSON.stringify(encodeSyncReply(state.actor, state.replica.serveSync(req.body.from as ActorId, versionFromJSON(req.body.version))));
    state.messages.bytesOut += body.length;
    return reply.type('application/json; charset=utf-8').send(body);
  });
}
