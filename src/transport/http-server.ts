import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { BINARY_TYPE } from './binary-wire.js';
import { connectionCap, fdLimit, guardConnections } from './connection-guard.js';
import { BODY_LIMIT } from './wire.js';

/** An error with an HTTP status; the central handler turns it into a JSON body. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly code: string = 'bad_request',
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Complete request headers within this: honest clients send them in one write; a slowloris socket goes after 5-6 s. */
export const HEADERS_TIMEOUT_MS = 5_000;
/** The whole request, body included: a 1 MiB body at 100 KiB/s. A client that stalls mid-request does not hold a socket for ever. */
export const INCOMING_REQUEST_TIMEOUT_MS = 10_000;
/** How often Node enforces the two timeouts above (its default, 30 s, would let a slowloris socket live 7 times longer). */
export const TIMEOUT_CHECK_MS = 1_000;
/** A kept-alive socket idle this long is closed: above the default sync interval (1 s), so peers reuse theirs; Fastify's 72 s would let every idle client hold one for over a minute. */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** A socket with no traffic either way for this long is closed, e.g. a client that stopped reading its answer; twice the dashboard's SSE heartbeat (15 s). */
export const IDLE_TIMEOUT_MS = 30_000;
/** A kept-alive socket is renewed after this many requests (one handshake per 1,000 requests), so no connection, and none of its pipelined backlog, lives for ever. */
export const MAX_REQUESTS_PER_SOCKET = 1_000;
/** Open connections allowed in this process (see connection-guard.ts): at most MAX_CONNECTIONS, well below the fd limit. */
export const CONNECTION_CAP = connectionCap(fdLimit());

export interface HttpServerOptions {
  /** Open connections allowed; the oldest idle one is closed beyond it. Default CONNECTION_CAP. */
  maxConnections?: number;
  /** Serve HTTPS with this certificate and key. */
  tls?: { cert: Buffer; key: Buffer } | null;
}

/**
 * A Fastify instance with the project's edge rules: body limit, strict schema validation (no type
 * coercion, no silent stripping of unknown fields), one error handler that answers
 * `{"error": code, "message": ...}`, and the connection limits above.
 */
export function createHttpServer(log: Logger, opts: HttpServerOptions = {}): FastifyInstance {
  const httpLog = log.child({ component: 'http' });
  const limits = { headersTimeout: HEADERS_TIMEOUT_MS, connectionsCheckingInterval: TIMEOUT_CHECK_MS };
  // A TLS handshake that never ends is a slowloris too: the same deadline as for headers.
  const tls = opts.tls == null ? {} : { https: { ...limits, cert: opts.tls.cert, key: opts.tls.key, handshakeTimeout: HEADERS_TIMEOUT_MS } };
  const app = Fastify({
    loggerInstance: httpLog as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    http: limits,
    ...tls,
    requestTimeout: INCOMING_REQUEST_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    connectionTimeout: IDLE_TIMEOUT_MS,
    maxRequestsPerSocket: MAX_REQUESTS_PER_SOCKET,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  }) as unknown as FastifyInstance; // an HTTPS instance differs only in its server's type
  guardConnections(app.server, opts.maxConnections ?? CONNECTION_CAP, httpLog);
  app.setErrorHandler((err: FastifyError | HttpError, req, reply) => {
    const status = err.statusCode ?? 500;
    if (status >= 500 && !(err instanceof HttpError)) req.log.error({ err }, 'request failed');
    const code = err instanceof HttpError ? err.code : errorCode(status, err);
    void reply.status(status).send({ error: code, message: err.message });
  });
  // Binary wire v2 bodies arrive as bytes, under the same body limit.
  app.addContentTypeParser(BINARY_TYPE, { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body));
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url}` });
  });
  return app;
}

/** One code per kind of client error, whatever part of Fastify found it. */
function errorCode(status: number, err: FastifyError): string {
  if (status === 413) return 'body_too_large';
  if (status === 415) return 'unsupported_media_type';
  if (err.validation !== undefined || err.code?.startsWith('FST_ERR_CTP') || status === 400) return 'invalid_body';
  return status >= 500 ? 'internal_error' : (err.code ?? 'error').toLowerCase();
}
