import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './http-server.js';
import { BODY_LIMIT } from './wire.js';

/**
 * The cluster key: every replication request carries an HMAC-SHA256, under a key all members
 * share, of its method, path, sender, time and body digest. Without a valid one a request is
 * refused with 401 before its body is parsed. It keeps strangers out of replication; it does not
 * tell members apart (they share the key).
 */
export const MAC_HEADERS = { sender: 'x-genome-sender', time: 'x-genome-time', mac: 'x-genome-mac' } as const;
/** How far a request's time may be from the receiver's clock, either way. */
export const MAC_WINDOW_MS = 30_000;
/** Shortest cluster key taken: 16 characters. */
export const MIN_CLUSTER_KEY = 16;
/** MACs remembered to refuse a replay inside the window; past this many, the oldest are forgotten. */
const MAX_REMEMBERED = 100_000;

const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

function macOf(key: string, method: string, path: string, sender: string, time: string, body: Uint8Array): string {
  return createHmac('sha256', key).update(`${method}\n${path}\n${sender}\n${time}\n${sha256(body)}`).digest('hex');
}

/** The headers that sign a request. */
export function signRequest(key: string, method: string, path: string, sender: number, body: Uint8Array | string, now: number): Record<string, string> {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const time = String(now);
  return { [MAC_HEADERS.sender]: String(sender), [MAC_HEADERS.time]: time, [MAC_HEADERS.mac]: macOf(key, method, path, String(sender), time, bytes) };
}

/** Checks signed requests: their headers, their time against the window, their MAC, and that none is replayed. */
export class MacGuard {
  readonly #key: string;
  readonly #now: () => number;
  /** MAC → the time it is forgotten, oldest first. */
  readonly #seen = new Map<string, number>();

  constructor(key: string, now: () => number = Date.now) {
    if (key.length < MIN_CLUSTER_KEY) throw new Error(`a cluster key has at least ${MIN_CLUSTER_KEY} characters`);
    this.#key = key;
    this.#now = now;
  }

  /** Why the headers alone are refused, or null: cheap, before the body is read. */
  headerProblem(headers: FastifyRequest['headers']): string | null {
    const sender = headers[MAC_HEADERS.sender];
    const time = headers[MAC_HEADERS.time];
    const mac = headers[MAC_HEADERS.mac];
    if (typeof sender !== 'string' || typeof time !== 'string' || typeof mac !== 'string') return 'no cluster MAC';
    if (!/^\d{1,16}$/.test(sender) || !/^\d{1,15}$/.test(time) || !/^[0-9a-f]{64}$/.test(mac)) return 'malformed cluster MAC headers';
    if (Math.abs(this.#now() - Number(time)) > MAC_WINDOW_MS) return `request time outside the ${MAC_WINDOW_MS / 1000} s window (replayed, or clocks apart)`;
    return null;
  }

  /** Why the whole request is refused, or null (then it is remembered, and refused if seen again). */
  problem(method: string, path: string, headers: FastifyRequest['headers'], body: Uint8Array): string | null {
    const header = this.headerProblem(headers);
    if (header !== null) return header;
    const [sender, time, mac] = [MAC_HEADERS.sender, MAC_HEADERS.time, MAC_HEADERS.mac].map((h) => headers[h] as string) as [string, string, string];
    const expected = macOf(this.#key, method, path, sender, time, body);
    if (!timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(mac, 'hex'))) return 'wrong cluster MAC';
    this.#forgetOld();
    if (this.#seen.has(mac)) return 'replayed request';
    this.#seen.set(mac, Number(time) + MAC_WINDOW_MS);
    if (this.#seen.size > MAX_REMEMBERED) this.#seen.delete(this.#seen.keys().next().value as string);
    return null;
  }

  #forgetOld(): void {
    const now = this.#now();
    for (const [mac, until] of this.#seen) {
      if (until >= now) break;
      this.#seen.delete(mac);
    }
  }
}

type Refused = (req: FastifyRequest, why: string) => void;

/**
 * Fastify hooks for the replication routes: `onRequest` refuses a request whose headers are
 * missing or stale without reading its body; `preParsing` reads the body (under the body limit),
 * checks the MAC over it, and hands the same bytes to the parser.
 */
export function requireClusterMac(guard: MacGuard, refused: Refused) {
  const refuse = (req: FastifyRequest, why: string): never => {
    refused(req, why);
    throw new HttpError(401, `expected a valid cluster MAC: ${why}`, 'unauthorized');
  };
  return {
    onRequest: async (req: FastifyRequest): Promise<void> => {
      const why = guard.headerProblem(req.headers);
      if (why !== null) refuse(req, why);
    },
    preParsing: async (req: FastifyRequest, _reply: FastifyReply, payload: NodeJS.ReadableStream): Promise<NodeJS.ReadableStream> => {
      const chunks: Buffer[] = [];
      let length = 0;
      for await (const chunk of payload) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
        length += bytes.length;
        if (length > BODY_LIMIT) throw new HttpError(413, `body over ${BODY_LIMIT} bytes`, 'body_too_large');
        chunks.push(bytes);
      }
      const body = Buffer.concat(chunks);
      const why = guard.problem(req.method, req.url, req.headers, body);
      if (why !== null) refuse(req, why);
      return Readable.from([body]);
    },
  };
}
