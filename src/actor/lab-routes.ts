import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { MAX_ACTOR } from '../crdt/ids.js';
import { HttpError } from '../transport/http-server.js';
import type { Faults } from '../web/types.js';
import type { ActorMetrics } from './ActorMetrics.js';
import type { FaultState } from './FaultState.js';

/** The lab's routes: `GET /metrics` for anyone; `GET|POST /admin/faults` for token holders only. */

export function registerMetricsRoute(app: FastifyInstance, metrics: ActorMetrics): void {
  app.get('/metrics', async (_req, reply) => {
    const { contentType, body } = await metrics.render();
    return reply.type(contentType).send(body);
  });
}

const faultsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    dropRate: { type: 'number', minimum: 0, maximum: 1 },
    partition: { type: 'array', maxItems: MAX_ACTOR + 1, uniqueItems: true, items: { type: 'integer', minimum: 0, maximum: MAX_ACTOR } },
    pauseMutations: { type: 'boolean' },
  },
} as const;

/**
 * The admin API, registered only when the actor has a token (without one the routes do not exist).
 * The token is checked before the body is read, so a refused request changes nothing.
 */
export function registerAdminRoutes(app: FastifyInstance, faults: FaultState, token: string, log: Logger): void {
  // Digests have equal lengths, as timingSafeEqual needs, and say nothing of the token's length.
  const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();
  const expected = sha256(token);
  const onRequest = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const given = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '')?.[1];
    if (given !== undefined && timingSafeEqual(sha256(given), expected)) return;
    log.warn({ ip: req.ip, route: `${req.method} ${req.url}` }, `admin request refused: ${given === undefined ? 'no bearer token' : 'wrong token'}`);
    void reply.header('www-authenticate', 'Bearer');
    throw new HttpError(401, 'expected the header `Authorization: Bearer <token>` with this actor\'s token', 'unauthorized');
  };

  app.get('/admin/faults', { onRequest }, async () => ({ faults: faults.toJSON() }));

  app.post<{ Body: Partial<Faults> }>('/admin/faults', { onRequest, schema: { body: faultsSchema } }, async (req) => {
    const now = faults.update(req.body);
    log.info({ faults: now, change: req.body }, `faults set: ${faults}`);
    return { faults: now };
  });
}
