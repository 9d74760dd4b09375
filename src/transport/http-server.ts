import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { BINARY_TYPE } from './binary-wire.js';
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

/**
 * A Fastify instance with the project's edge rules: body limit, strict schema validation (no type
 * coercion, no silent stripping of unknown fields), and one error handler that answers
 * `{"error": code, "message": ...}`.
 */
export function createHttpServer(log: Logger): FastifyInstance {
  const app = Fastify({
    loggerInstance: log.child({ component: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    // A client that stalls mid-request does not hold a socket for ever.
    requestTimeout: 10_000,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });
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
