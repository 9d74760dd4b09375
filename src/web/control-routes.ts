import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import type { Logger } from 'pino';
import { HttpError } from '../transport/http-server.js';
import type { LabControl } from './types.js';

/** An actor id, or every actor. */
type Target = number | 'all';

const actorIdSchema = { type: 'integer', minimum: 0 } as const;
const targetSchema = { anyOf: [actorIdSchema, { const: 'all' }] } as const;
export const actorParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  // Path parameters are strings and the edge does not coerce types: match the digits here.
  properties: { id: { type: 'string', pattern: '^(0|[1-9][0-9]{0,8})$' } },
} as const;

function objectSchema(properties: Record<string, unknown>) {
  return { type: 'object', required: Object.keys(properties), additionalProperties: false, properties } as const;
}

const partitionBody = objectSchema({
  groups: { type: 'array', minItems: 2, items: { type: 'array', minItems: 1, items: actorIdSchema } },
});
const dropRateBody = objectSchema({ actor: targetSchema, rate: { type: 'number', minimum: 0, maximum: 1 } });
const pauseBody = objectSchema({ actor: targetSchema, paused: { type: 'boolean' } });

/**
 * The dashboard's controls: each one needs the token (`auth` answers 401 before the body is even
 * read), names only actors the lab has (404 otherwise), and turns an error of the lab into a 409.
 */
export function registerControlRoutes(app: FastifyInstance, lab: LabControl, auth: onRequestAsyncHookHandler, log: Logger): void {
  const ok = { ok: true } as const;

  /** Runs a lab action; the lab refusing it (actor already down, ...) is a conflict, not a crash. */
  async function act(what: string, action: () => Promise<void>): Promise<typeof ok> {
    try {
      await action();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log.warn({ action: what, err: message }, `lab refused ${what}`);
      throw new HttpError(409, message, 'conflict');
    }
    return ok;
  }

  /** Throws 404 unless every id is an actor of the lab. */
  function checkActors(ids: readonly Target[]): void {
    const known = new Set(lab.snapshot().actors.map((a) => a.id));
    for (const id of ids) {
      if (id !== 'all' && !known.has(id)) {
        throw new HttpError(404, `no actor ${id}: the lab has actors ${[...known].sort((a, b) => a - b).join(', ')}`, 'unknown_actor');
      }
    }
  }

  for (const verb of ['kill', 'restart'] as const) {
    app.post<{ Params: { id: string } }>(`/api/actors/:id/${verb}`, { onRequest: auth, schema: { params: actorParams } }, async (req) => {
      const id = Number(req.params.id);
      checkActors([id]);
      return act(`${verb} ${id}`, () => lab[verb](id));
    });
  }

  app.post<{ Body: { groups: number[][] } }>('/api/partition', { onRequest: auth, schema: { body: partitionBody } }, async (req) => {
    const { groups } = req.body;
    const all = groups.flat();
    checkActors(all);
    const twice = all.find((id, i) => all.indexOf(id) !== i);
    if (twice !== undefined) throw new HttpError(400, `groups must be disjoint: actor ${twice} is named twice`, 'invalid_body');
    return act('partition', () => lab.partition(groups));
  });

  app.post('/api/heal', { onRequest: auth }, async () => act('heal', () => lab.heal()));

  app.post<{ Body: { actor: Target; rate: number } }>('/api/drop-rate', { onRequest: auth, schema: { body: dropRateBody } }, async (req) => {
    const { actor, rate } = req.body;
    checkActors([actor]);
    return act(`drop rate ${rate} on ${actor}`, () => lab.setDropRate(actor, rate));
  });

  app.post<{ Body: { actor: Target; paused: boolean } }>('/api/pause', { onRequest: auth, schema: { body: pauseBody } }, async (req) => {
    const { actor, paused } = req.body;
    checkActors([actor]);
    return act(`${paused ? 'pause' : 'resume'} ${actor}`, () => lab.pauseMutations(actor, paused));
  });
}
