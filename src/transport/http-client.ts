import http from 'node:http';
import https from 'node:https';

/** Default timeout of every outgoing request: a peer that never answers stalls nothing. */
export const REQUEST_TIMEOUT_MS = 2000;
/** The largest answer read (a sync page is at most 256 KiB): a hostile peer cannot make us buffer gigabytes. */
export const MAX_ANSWER_BYTES = 8 * 1024 * 1024;
/**
 * Sockets open at once to one origin, kept alive and reused: a peer gets a push, a sync round and
 * a status poll in parallel, and a flood of incoming connections cannot make us open more.
 */
export const MAX_SOCKETS_PER_ORIGIN = 4;

const pooled = { keepAlive: true, maxSockets: MAX_SOCKETS_PER_ORIGIN, maxFreeSockets: MAX_SOCKETS_PER_ORIGIN };
const transports: Record<string, { request: typeof http.request; agent: http.Agent }> = {
  'http:': { request: http.request, agent: new http.Agent(pooled) },
  'https:': { request: https.request, agent: new https.Agent(pooled) },
};

/**
 * Trust only certificates that chain to `ca` for every HTTPS request of this process (`--tls-ca`;
 * null: the system's CAs again). A process talks to one cluster, so its trust is process-wide.
 */
export function trustCa(ca: Buffer | null): void {
  transports['https:'] = { request: https.request, agent: new https.Agent({ ...pooled, ...(ca === null ? {} : { ca }) }) };
}

export class RequestError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    /** The error code of the answer (`{"error": "..."}`), if it has one. */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

export interface RequestOptions {
  method?: 'GET' | 'POST';
  /** A string is sent as JSON; bytes with `contentType`. */
  body?: string | Uint8Array;
  contentType?: string;
  accept?: string;
  /** e.g. `Authorization` */
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** Instead of the module's pool for the URL's protocol (e.g. an `https.Agent` with a CA). */
  agent?: http.Agent;
}

/** An answer's content type and bytes. */
export interface Answer {
  contentType: string;
  bytes: Uint8Array;
}

/** A kept-alive socket the peer closed just as we reused it. */
class StaleSocket extends Error {}

/**
 * A request with a hard timeout covering the wait for a socket, the connection and the whole
 * answer; non-2xx answers, answers over MAX_ANSWER_BYTES and network errors become RequestError.
 */
export async function request(url: string, options: RequestOptions = {}): Promise<Answer> {
  const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
  const deadline = AbortSignal.timeout(timeoutMs);
  try {
    const target = new URL(url);
    try {
      return await exchange(target, options, deadline);
    } catch (err) {
      // Every request here is idempotent, so one more try on a fresh socket is safe.
      if (!(err instanceof StaleSocket)) throw err;
      return await exchange(target, options, deadline);
    }
  } catch (err) {
    if (err instanceof RequestError) throw err;
    if (deadline.aborted) throw new RequestError(`no answer within ${timeoutMs} ms`);
    throw new RequestError(describeFailure(err));
  }
}

/** A JSON request; an answer that is not JSON is an error. */
export async function requestJson<R = unknown>(url: string, options: RequestOptions = {}): Promise<R> {
  const { bytes } = await request(url, options);
  const text = Buffer.from(bytes).toString('utf8');
  try {
    return (text === '' ? undefined : JSON.parse(text)) as R;
  } catch {
    throw new RequestError('answer is not JSON');
  }
}

function exchange(target: URL, options: RequestOptions, deadline: AbortSignal): Promise<Answer> {
  const transport = transports[target.protocol];
  if (transport === undefined) return Promise.reject(new RequestError(`unsupported protocol ${target.protocol}`));
  if (deadline.aborted) return Promise.reject(deadline.reason);
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  const headers: Record<string, string> = { ...options.headers };
  if (body !== undefined) {
    headers['content-type'] = options.contentType ?? 'application/json';
    headers['content-length'] = String(body.length);
  }
  if (options.accept !== undefined) headers.accept = options.accept;
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = transport.request(target, { method: options.method ?? 'GET', headers, agent: options.agent ?? transport.agent }, (res) => {
      answered = true;
      const tooLarge = (): void => fail(new RequestError(`answer larger than ${MAX_ANSWER_BYTES} bytes`));
      if (Number(res.headers['content-length'] ?? 0) > MAX_ANSWER_BYTES) return tooLarge();
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) return tooLarge();
        chunks.push(chunk);
      });
      res.on('error', fail);
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const bytes = Buffer.concat(chunks);
        settle(() => {
          if (status >= 200 && status < 300) resolve({ contentType: res.headers['content-type'] ?? '', bytes });
          else {
            const text = bytes.subarray(0, 200).toString('utf8');
            reject(new RequestError(`HTTP ${status}: ${text}`, status, /"error":"([a-z_]+)"/.exec(text)?.[1]));
          }
        });
      });
    });
    const settle = (then: () => void): void => {
      deadline.removeEventListener('abort', onDeadline);
      then();
    };
    const fail = (err: unknown): void => settle(() => {
      reject(err);
      req.destroy();
    });
    const onDeadline = (): void => fail(deadline.reason);
    deadline.addEventListener('abort', onDeadline, { once: true });
    req.on('error', (err: NodeJS.ErrnoException) => {
      const stale = req.reusedSocket && !answered && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
      fail(stale ? new StaleSocket() : err);
    });
    req.end(body);
  });
}

function describeFailure(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  return err instanceof Error ? err.message : String(err);
}
