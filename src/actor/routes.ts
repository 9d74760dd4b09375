import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { formatActor, formatId, memberOf, type ActorId } from '../crdt/ids.js';
import { versionFromJSON, type VersionVector } from '../crdt/version.js';
import { InvalidOpError } from '../crdt/validate.js';
import type { Gene } from '../genome/gene.js';
import type { FeedRefusalCode } from '../sync/Feeds.js';
import type { PushResult } from '../sync/Replicator.js';
import type { RetireReport } from '../sync/messages.js';
import { asked, BINARY_TYPE, NOTHING_ASKED, STATE_TYPE, decodeBinaryPush, decodeBinarySyncRequest, encodeBinarySyncReply, wireVersionProblem, type Push } from '../transport/binary-wire.js';
import { MacGuard, requireClusterMac } from '../transport/cluster-mac.js';
import { HttpError } from '../transport/http-server.js';
import { batchSchema, decodeHead, decodeOp, decodeProof, encodeSyncReply, syncRequestSchema, type WireBatch, type WireSyncRequest } from '../transport/wire.js';
import type { ActorState } from './ActorState.js';
import { LogThrottle, quietSince } from './LogThrottle.js';

/**
 * The actor's HTTP routes (see README for the contract). `onFatal` is told when storing received
 * ops fails: the list already holds them, so the actor must stop rather than acknowledge them later.
 * A push or sync from an actor in this actor's partition (a runtime fault) is refused with 503
 * before anything of it is applied, as a network that does not carry it would.
 */
export function registerRoutes(app: FastifyInstance, state: ActorState, log: Logger, onFatal: (err: unknown) => void = () => undefined, clusterKey: string | null = null, collect = true): void {
  // With a cluster key, replication requests need its MAC (401 before the body is parsed).
  const guard = clusterKey === null ? {} : requireClusterMac(new MacGuard(clusterKey), refusalLog(log, 'warn'));
  const wireRefusals = refusalLog(log, 'error');
  // What a sender can make this actor log, at most one line per kind and sender every 10 s.
  const throttle = new LogThrottle();
  // Bodies that parsed; peers send them with a length (fetch does for strings and bytes).
  // A peer of another wire version is told so plainly (still 400 `invalid_body`), before its body
  // is checked against this version's schema.
  const preValidation = async (req: FastifyRequest): Promise<void> => {
    const length = Number(req.headers['content-length']);
    if (Number.isSafeInteger(length)) state.messages.bytesIn += length;
    const other = wireVersionProblem(req.body);
    if (other !== null) {
      wireRefusals(req, other);
      throw new HttpError(400, `refused ${other}`, 'invalid_body');
    }
  };
  // A sender outside the cluster is refused before anything else: its ops could never be taken.
  const admit = (from: number, code: 'invalid_op' | 'invalid_body'): void => {
    if (!state.replica.replicator.isMember(from as ActorId)) throw new HttpError(400, `from: ${formatActor(from as ActorId)} is not of a member of this cluster`, code);
    const member = memberOf(from as ActorId);
    if (state.faults.refuses(member)) throw new HttpError(503, `actor ${member} is partitioned from actor ${state.actor}`, 'partitioned');
  };

  // Refusals of replication requests are counted by code, for /metrics.
  app.addHook('onSend', async (req, reply, payload) => {
    const path = req.routeOptions.url;
    if (reply.statusCode < 400 || req.method !== 'POST' || (path !== '/genome' && path !== '/sync')) return payload;
    const code = typeof payload === 'string' ? (/"error":"([a-z_]+)"/.exec(payload)?.[1] ?? 'unknown') : 'unknown';
    const route = `POST ${path}`;
    const codes = state.refused.get(route) ?? new Map<string, number>();
    codes.set(code, (codes.get(code) ?? 0) + 1);
    state.refused.set(route, codes);
    return payload;
  });

  app.get('/genome', async (_req, reply) => reply.type('text/plain; charset=utf-8').send(state.hex));

  app.get('/status', async () => state.status());

  app.get('/healthz', async () => ({ ok: true }));

  const pushSchema = { body: { content: { 'application/json': { schema: batchSchema } } } };
  app.post<{ Body: WireBatch | Buffer | string }>('/genome', { schema: pushSchema, preValidation, ...guard }, async (req) => {
    const { from, ops, proof, to, told } = readPush(req.body);
    admit(from, 'invalid_op');
    let result: PushResult<Gene>;
    try {
      result = state.replica.receivePush(from, ops, proof, Date.now(), to, told);
    } catch (err) {
      onFatal(err);
      throw err;
    }
    switch (result.status) {
      case 'ok':
        return { applied: result.applied, duplicate: result.duplicate, pending: result.pending };
      case 'equivocation': {
        const pass = throttle.pass(`equivocation ${from}`);
        if (pass !== null) log.error({ sender: from, op: formatId(result.op.id) }, `equivocation from actor ${from}: ${result.message}${quietSince(pass.quiet)}`);
        throw new HttpError(409, result.message, 'equivocation');
      }
      case 'invalid':
        throw new HttpError(400, result.message, 'invalid_op');
      case 'refused': {
        const pass = throttle.pass(`${result.code} ${req.ip}`);
        // An equivocation is proof of a forked feed: a person should look.
        const level = result.code === 'equivocation' ? 'error' : 'warn';
        if (pass !== null) log[level]({ ip: req.ip, sender: formatActor(from), code: result.code }, `push from ${req.ip} refused (${result.code}): ${result.message}${quietSince(pass.quiet)}`);
        throw new HttpError(FEED_STATUS[result.code], result.message, result.code);
      }
      case 'full': {
        const pass = throttle.pass(`full ${from}`);
        if (pass !== null) log.warn({ sender: from, pending: state.replica.list.pendingCount }, `pending set full: refusing ops from actor ${from} until their dependencies arrive${quietSince(pass.quiet)}`);
        throw new HttpError(503, 'pending set is full; retry later', 'pending_full');
      }
    }
  });

  const syncSchema = { body: { content: { 'application/json': { schema: syncRequestSchema } } } };
  app.post<{ Body: WireSyncRequest | Buffer }>('/sync', { schema: syncSchema, preValidation, ...guard }, async (req, reply) => {
    const { from, version, report, fullHeads } = readSync(req.body);
    admit(from, 'invalid_body');
    // A state only in binary: an asker that takes one says so with both types.
    const accept = req.headers.accept ?? '';
    const binary = accept.split(',').some((t) => t.trim().split(';')[0] === BINARY_TYPE);
    const now = Date.now();
    // Heads come as a digest only to an asker that can check one (a binary one that did not ask for them all).
    const page = state.replica.serveSync(from, version, binary && accept.includes(STATE_TYPE), report, now, fullHeads || !binary);
    // What every member has retired, as this request may just have shown: its tombstones go.
    if (collect) state.replica.replicator.collect(now);
    state.wake();
    if (binary) {
      const bytes = encodeBinarySyncReply(state.incarnation, page, Buffer.isBuffer(req.body) ? asked({ version, ...(report === undefined ? {} : { report }) }) : NOTHING_ASKED);
      state.messages.bytesOut += bytes.length;
      return reply.type(BINARY_TYPE).send(Buffer.from(bytes));
    }
    const body = JSON.stringify(encodeSyncReply(state.incarnation, page));
    state.messages.bytesOut += body.length;
    return reply.type('application/json; charset=utf-8').send(body);
  });
}

/** A sync request, binary (an actor's) or JSON (a tool's, which asks for every head). */
function readSync(body: WireSyncRequest | Buffer): { from: ActorId; version: VersionVector; report?: RetireReport; fullHeads: boolean } {
  try {
    if (Buffer.isBuffer(body)) {
      const r = decodeBinarySyncRequest(body);
      return { ...r, fullHeads: r.fullHeads === true };
    }
    const { retired, own, heard, head } = body;
    const report = retired !== undefined && own !== undefined ? { retired: versionFromJSON(retired), own, ...(heard === undefined ? {} : { heard: heard as ActorId[] }), ...(head === undefined ? {} : { head: decodeHead(head) }) } : undefined;
    return { from: body.from as ActorId, version: versionFromJSON(body.version), ...(report === undefined ? {} : { report }), fullHeads: true };
  } catch (err) {
    throw new HttpError(400, (err as Error).message, 'invalid_body');
  }
}

/** Refusals are logged naming the address; from one address at most one line per 10 s, with a count. */
function refusalLog(log: Logger, level: 'warn' | 'error'): (req: FastifyRequest, why: string) => void {
  const throttle = new LogThrottle();
  return (req, why) => {
    const pass = throttle.pass(req.ip);
    if (pass !== null) log[level]({ ip: req.ip, route: `${req.method} ${req.url}` }, `replication request from ${req.ip} refused: ${why}${quietSince(pass.quiet)}`);
  };
}

/** The HTTP status of each refusal by the feed check. */
const FEED_STATUS: Record<FeedRefusalCode, number> = { bad_signature: 403, own_ops: 403, key_mismatch: 403, bad_key: 400, unknown_feed: 409, gap: 409, equivocation: 409, other_incarnation: 409, invalid_op: 400 };

/** A push body: JSON (wire v2, checked by its schema) or binary (wire v3, checked here). */
function readPush(body: WireBatch | Buffer | string): Push {
  if (typeof body === 'string') throw new HttpError(415, `a push is JSON or ${BINARY_TYPE}`, 'unsupported_media_type');
  if (!Buffer.isBuffer(body)) {
    const told = body.told === undefined ? {} : { told: versionFromJSON(body.told) };
    return { from: body.from as ActorId, ops: body.ops.map(decodeOp), proof: decodeProof(body.proof), ...(body.to === undefined ? {} : { to: body.to as ActorId }), ...told };
  }
  try {
    return decodeBinaryPush(body);
  } catch (err) {
    // Well-formed, but an id no replica takes (a counter beyond MAX_COUNTER): as the JSON push's check says.
    const code = err instanceof InvalidOpError ? 'invalid_op' : 'invalid_body';
    throw new HttpError(400, `bad binary push: ${(err as Error).message}`, code);
  }
}
