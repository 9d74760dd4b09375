import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { get as httpsGet } from 'node:https';
import { connect, createServer as createTcp, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { connectionCap, FD_RESERVE, MAX_CONNECTIONS } from '../src/transport/connection-guard.js';
import { MAX_ANSWER_BYTES, MAX_SOCKETS_PER_ORIGIN, request, RequestError } from '../src/transport/http-client.js';
import { createHttpServer } from '../src/transport/http-server.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const portOf = (server: { address(): unknown }): number => (server.address() as AddressInfo).port;

/** A Fastify server with the project's limits and `cap` connections; GET /hold answers once `release()` is called. */
async function guarded(cap: number) {
  const app: FastifyInstance = createHttpServer(pino({ level: 'silent' }), { maxConnections: cap });
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const holding: Array<() => void> = [];
  app.get('/ok', async () => ({ ok: true }));
  app.get('/hold', async () => {
    holding.shift()?.();
    await released;
    return { ok: true };
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  cleanups.push(() => app.close(), release);
  // Resolves once the guard has seen the current responses end (its listener runs first).
  const ended: Array<Promise<void>> = [];
  app.server.on('request', (_req: IncomingMessage, res: ServerResponse) => ended.push(new Promise((resolve) => res.once('close', () => resolve()))));
  const port = portOf(app.server);

  /** A client socket, once the server has accepted it (so connection order is known). */
  const open = async (): Promise<Client> => {
    const accepted = once(app.server, 'connection');
    const socket = connect(port, '127.0.0.1');
    cleanups.push(() => socket.destroy());
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    let data = '';
    socket.on('data', (d: Buffer) => (data += d.toString()));
    socket.on('error', () => undefined);
    await accepted;
    return { socket, closed, answer: () => data };
  };
  /** Ask on `client`; wait for the answer's status line. */
  const ask = async (client: Client, path: string): Promise<string> => {
    const before = client.answer().length;
    client.socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await waitUntil(() => client.answer().length > before && client.answer().endsWith('}'));
    await Promise.all(ended);
    return client.answer().slice(before).split('\r\n')[0] ?? '';
  };
  /** GET /hold on `client`, resolved once the handler holds it. */
  const hold = (client: Client): Promise<void> => {
    const entered = new Promise<void>((resolve) => holding.push(resolve));
    client.socket.write('GET /hold HTTP/1.1\r\nHost: x\r\n\r\n');
    return entered;
  };
  return { open, ask, hold, release };
}

interface Client {
  socket: Socket;
  closed: Promise<void>;
  answer: () => string;
}

async function waitUntil(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const isOpen = (c: Client): boolean => !c.socket.destroyed && c.socket.readyState === 'open';

describe('the connection guard', () => {
  it('derives its cap from the fd limit, keeping a reserve', () => {
    expect(connectionCap(20_000)).toBe(MAX_CONNECTIONS);
    expect(connectionCap(1024)).toBe(1024 - FD_RESERVE);
    expect(connectionCap(256)).toBe(128);
  });

  it('over the cap, closes the oldest idle connection first', async () => {
    const g = await guarded(3);
    const [a, b, c] = [await g.open(), await g.open(), await g.open()] as [Client, Client, Client];
    const d = await g.open();
    await a.closed;
    expect([b, c, d].every(isOpen)).toBe(true);
    const e = await g.open();
    await b.closed;
    for (const client of [c, d, e]) expect(await g.ask(client, '/ok')).toBe('HTTP/1.1 200 OK');
  });

  it('never closes a connection with a request in progress; when all others are busy, the new one goes', async () => {
    const g = await guarded(2);
    const [a, b] = [await g.open(), await g.open()] as [Client, Client];
    await g.hold(a);
    const c = await g.open(); // over the cap: b is the oldest idle one, a is busy
    await b.closed;
    await g.hold(c);
    const d = await g.open(); // a and c busy: d itself goes
    await d.closed;
    expect(isOpen(a) && isOpen(c)).toBe(true);
    g.release();
    await waitUntil(() => a.answer().startsWith('HTTP/1.1 200') && c.answer().startsWith('HTTP/1.1 200'));
  });

  it('counts kept-alive connections between requests as idle, from their last answer', async () => {
    const g = await guarded(2);
    const [a, b] = [await g.open(), await g.open()] as [Client, Client];
    expect(await g.ask(a, '/ok')).toBe('HTTP/1.1 200 OK'); // a is now idle more recently than b
    await g.open();
    await b.closed;
    expect(isOpen(a)).toBe(true);
    await g.open(); // a, idle again since its answer, is now the oldest
    await a.closed;
  });
});

/** A plain HTTP server on loopback, closed after the test. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createHttp(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)), () => server.closeAllConnections());
  return { server, url: `http://127.0.0.1:${portOf(server)}` };
}

async function failure(promise: Promise<unknown>): Promise<RequestError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RequestError);
  return err as RequestError;
}

describe('the HTTP client', () => {
  it('gives up after its timeout on a peer that accepts and never answers', async () => {
    const sockets: Socket[] = [];
    const hole = createTcp((s) => sockets.push(s));
    await new Promise<void>((resolve) => hole.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => hole.close(), () => sockets.forEach((s) => s.destroy()));
    const err = await failure(request(`http://127.0.0.1:${portOf(hole)}/status`, { timeoutMs: 200 }));
    expect(err.message).toBe('no answer within 200 ms');
  });

  it('refuses an answer over the size cap, announced or not', async () => {
    const { url } = await serve((req, res) => {
      if (req.url === '/announced') res.setHeader('content-length', MAX_ANSWER_BYTES + 1);
      const chunk = Buffer.alloc(1024 * 1024);
      for (let i = 0; i < 9; i++) if (!res.destroyed) res.write(chunk);
      res.end();
    });
    for (const path of ['/announced', '/streamed']) expect((await failure(request(`${url}${path}`, { timeoutMs: 5000 }))).message).toBe(`answer larger than ${MAX_ANSWER_BYTES} bytes`);
  });

  it('turns a non-2xx answer into an error with its status and the start of its body', async () => {
    const { url } = await serve((_req, res) => {
      res.statusCode = 418;
      res.end('x'.repeat(1000));
    });
    const err = await failure(request(url));
    expect(err.status).toBe(418);
    expect(err.message).toBe(`HTTP 418: ${'x'.repeat(200)}`);
  });

  it('names the network error of a refused connection', async () => {
    const { server, url } = await serve(() => undefined);
    await new Promise((resolve) => server.close(resolve));
    const err = await failure(request(url));
    expect(err.message).toBe('ECONNREFUSED');
    expect(err.status).toBeUndefined();
  });

  it(`opens at most ${MAX_SOCKETS_PER_ORIGIN} sockets to one origin, reusing them`, async () => {
    let open = 0;
    let opened = 0;
    let mostOpen = 0;
    const { server, url } = await serve((_req, res) => setTimeout(() => res.end('{}'), 50));
    server.on('connection', (socket: Socket) => {
      opened++;
      mostOpen = Math.max(mostOpen, ++open);
      socket.once('close', () => open--);
    });
    const answers = await Promise.all(Array.from({ length: 20 }, () => request(`${url}/status`, { timeoutMs: 5000 })));
    expect(answers).toHaveLength(20);
    expect(mostOpen).toBeLessThanOrEqual(MAX_SOCKETS_PER_ORIGIN);
    expect(opened).toBeLessThanOrEqual(MAX_SOCKETS_PER_ORIGIN);
  });

  it('retries once, on a fresh socket, when the peer closed the kept-alive one as it was reused', async () => {
    const seen = new WeakSet<Socket>();
    let requests = 0;
    const { url } = await serve((req, res) => {
      requests++;
      // The second request on a socket finds it closed, as if the guard had just evicted it.
      if (seen.has(req.socket)) return void req.socket.destroy();
      seen.add(req.socket);
      res.end('{"ok":true}');
    });
    await request(url);
    const answer = await request(url);
    expect(Buffer.from(answer.bytes).toString()).toBe('{"ok":true}');
    expect(requests).toBe(3); // the second one did meet the closed socket
  });
});

describe('connection guard over HTTPS', () => {
  it('counts the accepted socket under its TLS socket: a request in progress is never evicted by idle newcomers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'genome-guard-tls-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'pipe' });
    const tls = { cert: readFileSync(cert), key: readFileSync(key) };
    const app = createHttpServer(pino({ level: 'silent' }), { maxConnections: 2, tls });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const holding = new Promise<void>((resolve) => (entered = resolve));
    app.get('/hold', async () => {
      entered();
      await released;
      return { ok: true };
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    cleanups.push(() => app.close(), release);
    const port = portOf(app.server);
    const answer = new Promise<number | string>((resolve) => {
      const req = httpsGet({ host: '127.0.0.1', port, path: '/hold', ca: tls.cert, agent: false }, (res) => resolve(res.statusCode ?? 0));
      req.on('error', (err) => resolve(err.message));
    });
    await holding;
    // Idle newcomers take the count over the cap: they displace each other, not the busy TLS connection.
    const idle = Array.from({ length: 4 }, () => connect(port, '127.0.0.1').on('error', () => undefined));
    cleanups.push(() => idle.forEach((s) => s.destroy()));
    await waitUntil(() => idle.filter((s) => s.destroyed || s.readyState === 'closed').length >= 3);
    release();
    expect(await answer).toBe(200);
  });
});
