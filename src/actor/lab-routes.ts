import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { MAX_MEMBER } from '../crdt/ids.js';
import { requireBearer } from '../transport/bearer.js';
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
    partition: { type: 'array', maxItems: MAX_MEMBER + 1, uniqueItems: true, items: { type: 'integer', minimum: 0, maximum: MAX_MEMBER } },
    pauseMutations: { type: 'boolean' },
  },
} as const;

/**
 * The admin API, registered only when the actor has a token (without one the routes do not exist).
 * The token is checked before the body is read, so a refused request changes nothing.
 */
export function registerAdminRoutes(app: FastifyInstance, faults: FaultState, token: string, log: Logger): void {
  const onRequest = requireBearer(token, (req, why) => log.warn({ ip: req.ip, route: `${req.method} ${req.url}` }, `admin request refused: ${why}`));

  app.get('/admin/faults', { onRequest }, async () => ({ faults: faults.toJSON() }));

  app.post<{ Body: Partial<Faults> }>('/admin/faults', { onRequest, schema: { body: faultsSchema } }, async (req) => {
    const now = faults.update(req.body);
    log.info({ faults: now, change: req.body }, `faults set: ${faults}`);
    return { faults: now };
  });
}
