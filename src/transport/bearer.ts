import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './http-server.js';

/**
 * An `onRequest` hook that lets a request through only with `Authorization: Bearer <token>`,
 * else 401 `unauthorized`. It runs before the body is read, so a refused request changes nothing.
 * `refused` hears of each refusal (for a log line; never with the token).
 */
export function requireBearer(token: string, refused?: (req: FastifyRequest, why: string) => void): (req: FastifyRequest, reply: FastifyReply) => Promise<void> {
  if (token === '') throw new Error('an empty token guards nothing');
  const expected = sha256(token);
  return async (req, reply) => {
    const given = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '')?.[1];
    // Digests have equal lengths, as timingSafeEqual needs, and say nothing of the token's length.
    if (given !== undefined && timingSafeEqual(sha256(given), expected)) return;
    refused?.(req, given === undefined ? 'no bearer token' : 'wrong token');
    void reply.header('www-authenticate', 'Bearer');
    throw new HttpError(401, 'expected the header `Authorization: Bearer <token>` with the lab token', 'unauthorized');
  };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
