import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { BODY_LIMIT } from '../transport/wire-limits.js';
import { actorParams } from './control-routes.js';
import type { ReplicaRelay } from './types.js';

const SESSION_TYPE = 'application/octet-stream';
const joinBody = {
  type: 'object',
  required: ['tab'],
  additionalProperties: false,
  properties: { tab: { type: 'string', pattern: '^[A-Za-z0-9_-]{8,64}$' }, member: { type: 'integer', minimum: 0 } },
} as const;

/**
 * "Your replica": a browser tab joins (gets a guest member slot) and hands its session messages
 * to the lab, which forwards each to an actor signed with the cluster key. Token holders only.
 */
export function registerReplicaRoutes(app: FastifyInstance, relay: ReplicaRelay, auth: onRequestAsyncHookHandler): void {
  app.post<{ Body: { tab: string; member?: number } }>('/api/replica/join', { onRequest: auth, schema: { body: joinBody } }, async (req) => relay.join(req.body.tab, req.body.member));

  // Session messages are bytes: taken as they come, up to the actors' own body limit and a little more for the envelope.
  app.register(async (scope) => {
    scope.addContentTypeParser(SESSION_TYPE, { parseAs: 'buffer', bodyLimit: BODY_LIMIT + 64 }, (_req, body, done) => done(null, body));
    scope.post<{ Params: { id: string }; Body: Buffer }>('/api/replica/:id', { onRequest: auth, schema: { params: actorParams } }, async (req, reply) => {
      const answer = await relay.forward(Number(req.params.id), req.body);
      return reply.type(SESSION_TYPE).send(Buffer.from(answer));
    });
  });
}
