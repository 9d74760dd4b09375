/**
 * The lab's dashboard: a static page (`web/`), a Server-Sent Events stream of `LabSnapshot`s, and
 * the token-guarded control routes that call `LabControl`. The cluster runner owns the lab and
 * calls `listen()`; the page needs no token to watch, only to act.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createHttpServer } from '../transport/http-server.js';
import { loadAssets } from './assets.js';
import { requireBearer } from '../transport/bearer.js';
import { registerControlRoutes } from './control-routes.js';
import { DEFAULT_TIMING, SnapshotStream, type StreamTiming } from './SnapshotStream.js';
import { registerReplicaRoutes } from './replica-routes.js';
import type { LabControl, ReplicaRelay } from './types.js';

export interface DashboardOptions {
  /** Required as `Authorization: Bearer <token>` by every control route. */
  token: string;
  log: Logger;
  /** SSE throttle and heartbeat (tests shorten them). */
  timing?: StreamTiming;
  /** Serve HTTPS with this certificate and key (as the actors do). */
  tls?: { cert: Buffer; key: Buffer } | null;
  /** Carries a browser tab's replica to the actors ("your replica"); absent: no such routes. */
  relay?: ReplicaRelay;
}

/** Every answer: never cached (live data), a strict CSP, and no token leaking through a Referer. */
const HEADERS = {
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
} as const;

export function createDashboard(lab: LabControl, opts: DashboardOptions): FastifyInstance {
  const auth = requireBearer(opts.token, (req, why) => opts.log.warn({ ip: req.ip, route: `${req.method} ${req.url}` }, `dashboard control refused: ${why}`));
  const assets = loadAssets();
  const timing = opts.timing ?? DEFAULT_TIMING;
  const app = createHttpServer(opts.log, { tls: opts.tls ?? null });
  const streams = new Set<SnapshotStream>();

  app.addHook('onRequest', async (_req, reply) => {
    void reply.headers(HEADERS);
  });

  for (const [path, asset] of assets) {
    app.get(path, async (_req, reply) => reply.type(asset.type).send(asset.body));
  }

  app.get('/api/snapshot', async () => lab.snapshot());

  app.get('/events', async (_req, reply) => {
    reply.hijack();
    const stream = new SnapshotStream(reply.raw, lab, timing, () => streams.delete(stream));
    streams.add(stream);
  });

  // close() waits for every connection to go away: an open stream never does, nor does a spare
  // connection a browser opened ahead of time (Node does not count it as idle). The dashboard goes
  // down with the lab, so end the streams, then cut whatever is left.
  app.addHook('preClose', async () => {
    for (const stream of streams) stream.close();
    app.server.closeAllConnections();
  });

  registerControlRoutes(app, lab, auth, opts.log);
  if (opts.relay !== undefined) registerReplicaRoutes(app, opts.relay, auth);
  return app;
}
