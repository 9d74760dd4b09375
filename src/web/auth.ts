import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * An `onRequest` hook that lets a request through only with `Authorization: Bearer <token>`.
 * It runs before the body is parsed, so an unauthorised request is refused before anything else.
 */
export function requireBearer(token: string): (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  if (token === '') throw new Error('the dashboard token must not be empty');
  const expected = sha256(token);
  return async (req, reply) => {
    const header = req.headers.authorization;
    const given = header?.startsWith('Bearer ') === true ? header.slice('Bearer '.length) : undefined;
    // Hashing gives equal lengths, as timingSafeEqual needs, and hides the token's length.
    if (given === undefined || !timingSafeEqual(sha256(given), expected)) {
      return reply.status(401).send({ error: 'unauthorized', message: 'this action needs the lab token (Authorization: Bearer <token>)' });
    }
    return undefined;
  };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
