import { readdirSync, readFileSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDashboard } from '../src/web/server.js';
import type { StreamTiming } from '../src/web/SnapshotStream.js';
import type { ActorView, LabControl, LabSnapshot } from '../src/web/types.js';

const TOKEN = 'test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

function actor(id: number, phase: ActorView['phase'] = 'up'): ActorView {
  return {
    id, url: `http://127.0.0.1:${9000 + id}`, phase, length: 2, digest: 'ab'.repeat(32), genome: '0aff',
    version: { '0': 3, '1': 2, '2': 1 }, incarnation: id, equivocations: [], pending: 0, tombstones: 0, stable: {}, storeBytes: 0, lastCompaction: null, mutations: 3,
    faults: { dropRate: 0, partition: [], pauseMutations: false },
  };
}

type Call = [method: string, ...args: unknown[]];

/** A lab that records what it is asked, and can be told to refuse. */
class FakeLab implements LabControl {
  readonly calls: Call[] = [];
  readonly listeners = new Set<(snapshot: LabSnapshot) => void>();
  refusal: Error | undefined;
  current: LabSnapshot = {
    t: 0, actors: [actor(0), actor(1), actor(2, 'down')], distinct: 1, lastConvergedAt: null, nemesis: false,
    history: [{ t: 0, distinct: 1, up: 2 }], events: [{ t: 0, kind: 'kill', actors: [2], text: 'killed actor 2' }],
  };

  snapshot(): LabSnapshot {
    return this.current;
  }
  subscribe(listener: (snapshot: LabSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  /** A new snapshot at lab time t, told to every subscriber. */
  change(t: number): void {
    this.current = { ...this.current, t };
    for (const listener of this.listeners) listener(this.current);
  }
  kill = async (a: number) => this.#record('kill', a);
  restart = async (a: number) => this.#record('restart', a);
  partition = async (groups: number[][]) => this.#record('partition', groups);
  heal = async () => this.#record('heal');
  setDropRate = async (a: number | 'all', rate: number) => this.#record('setDropRate', a, rate);
  pauseMutations = async (a: number | 'all', paused: boolean) => this.#record('pauseMutations', a, paused);

  #record(...call: Call): void {
    this.calls.push(call);
    if (this.refusal !== undefined) throw this.refusal;
  }
}

let app: FastifyInstance | undefined;
function setup(timing?: StreamTiming): { app: FastifyInstance; lab: FakeLab } {
  const lab = new FakeLab();
  app = createDashboard(lab, { token: TOKEN, log: pino({ level: 'silent' }), ...(timing === undefined ? {} : { timing }) });
  return { app, lab };
}
afterEach(async () => {
  vi.restoreAllMocks();
  await app?.close();
  app = undefined;
});

describe('page and snapshot', () => {
  it.each([
    ['/', 'index.html', /^text\/html; charset=utf-8/],
    ['/app.js', 'app.js', /^text\/javascript; charset=utf-8/],
    ['/style.css', 'style.css', /^text\/css; charset=utf-8/],
    ['/favicon.svg', 'favicon.svg', /^image\/svg\+xml/],
  ])('GET %s serves web/%s, never cached, under a strict CSP', async (url, file, type) => {
    const res = await setup().app.inject({ url });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(type);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.body).toBe(readFileSync(new URL(`../web/${file}`, import.meta.url), 'utf8'));
  });

  it('serves every ES module in web/, and every module the page imports, transitively', async () => {
    const { app } = setup();
    const files = readdirSync(new URL('../web/', import.meta.url)).filter((name) => name.endsWith('.js'));
    expect(files).toContain('app.js');
    // `npm run build` bundles the replica panel into web/; the page loads it, and it registers sw.js.
    expect(files, 'web/replica-bundle.js: run `npm run build`').toContain('replica-bundle.js');
    for (const file of files) {
      const res = await app.inject({ url: `/${file}` });
      expect(res.statusCode, file).toBe(200);
      expect(res.headers['content-type'], file).toMatch(/^text\/javascript; charset=utf-8/);
      expect(res.body, file).toBe(readFileSync(new URL(`../web/${file}`, import.meta.url), 'utf8'));
    }
    const page = (await app.inject({ url: '/' })).body;
    expect(page).toContain('<script type="module" src="/app.js"></script>');
    expect(page).toContain('<script type="module" src="/replica-bundle.js"></script>');
    expect(readFileSync(new URL('../web/replica-bundle.js', import.meta.url), 'utf8')).toContain('"/sw.js"');
    const seen = new Set<string>(['/replica-bundle.js', '/sw.js']);
    const queue = ['/app.js'];
    for (let url = queue.shift(); url !== undefined; url = queue.shift()) {
      if (seen.has(url)) continue;
      seen.add(url);
      const res = await app.inject({ url });
      expect(res.statusCode, `${url}, imported by the page`).toBe(200);
      for (const [, name] of res.body.matchAll(/^import\s[^;]*?\sfrom\s+'\.\/([\w-]+\.js)';/gm)) queue.push(`/${name}`);
    }
    expect([...seen].sort()).toEqual(files.map((file) => `/${file}`).sort());
  });

  it('serves nothing outside web/', async () => {
    const { app } = setup();
    for (const url of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/index.html', '/x.js', '/app.js/']) {
      expect((await app.inject({ url })).statusCode, url).toBe(404);
    }
  });

  it('the page carries the test ids the browser test relies on', async () => {
    const { app } = setup();
    const html = (await app.inject({ url: '/' })).body;
    const files = readdirSync(new URL('../web/', import.meta.url)).filter((name) => name.endsWith('.js'));
    const js = (await Promise.all(files.map((file) => app.inject({ url: `/${file}` })))).map((res) => res.body).join('\n');
    expect(html).toContain('data-testid="match-matrix"');
    expect(html).toContain('data-testid="distinct"');
    for (const id of ['actor-${id}', 'kill-${id}', 'restart-${id}', 'match-${a.id}-${b.id}']) expect(js).toContain(`'data-testid': \`${id}\``);
  });

  it('GET /api/snapshot answers the lab snapshot', async () => {
    const { app, lab } = setup();
    const res = await app.inject({ url: '/api/snapshot' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(lab.snapshot());
  });

  it('refuses an empty token', () => {
    expect(() => createDashboard(new FakeLab(), { token: '', log: pino({ level: 'silent' }) })).toThrow(/token/);
  });
});

/** The frames of a Server-Sent Events stream, read with Node's fetch. */
class EventReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #buffer = '';
  #pending: ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']> | undefined;

  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.getReader();
  }

  /** The next frame's lines, or undefined if none comes within `ms`. */
  async next(ms = 5000): Promise<string[] | undefined> {
    const deadline = Date.now() + ms;
    for (;;) {
      const end = this.#buffer.indexOf('\n\n');
      if (end >= 0) {
        const frame = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        return frame.split('\n');
      }
      this.#pending ??= this.#reader.read();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - Date.now()))));
      const result = await Promise.race([this.#pending, timeout]);
      clearTimeout(timer);
      if (result === 'timeout') return undefined;
      this.#pending = undefined;
      if (result.done) throw new Error('stream ended');
      this.#buffer += this.#decoder.decode(result.value, { stream: true });
    }
  }

  /** The next snapshot event (skipping comments and `retry:`), or undefined after `ms`. */
  async snapshot(ms = 5000): Promise<LabSnapshot | undefined> {
    const deadline = Date.now() + ms;
    for (;;) {
      const lines = await this.next(Math.max(0, deadline - Date.now()));
      if (lines === undefined) return undefined;
      if (lines[0] !== 'event: snapshot') continue;
      expect(lines[1]).toMatch(/^data: \{/);
      return JSON.parse(lines[1]!.slice('data: '.length)) as LabSnapshot;
    }
  }
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('GET /events', () => {
  async function open(timing: StreamTiming) {
    const { app, lab } = setup(timing);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const abort = new AbortController();
    const res = await fetch(`http://127.0.0.1:${port}/events`, { signal: abort.signal });
    return { app, lab, res, abort, events: new EventReader(res.body!) };
  }

  it('sends the snapshot at once, then the latest one after changes, at most one per interval', async () => {
    const { lab, res, events } = await open({ minIntervalMs: 200, heartbeatMs: 60_000 });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await events.snapshot()).toEqual(lab.snapshot());

    // A burst right after a send is coalesced into one frame: the latest. (On a loaded machine the
    // interval may have passed before the burst: then its first change goes at once, and the rest
    // still make one frame.)
    for (let t = 1; t <= 20; t++) lab.change(t);
    const burst: number[] = [];
    for (let s = await events.snapshot(); s !== undefined; s = await events.snapshot(300)) burst.push(s.t);
    expect([[20], [1, 20]]).toContainEqual(burst);

    // A steady stream of changes (every 20 ms for 1 s) is throttled, and ends on the latest.
    const start = Date.now();
    let t = 100;
    const ticker = setInterval(() => lab.change(++t), 20);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    clearInterval(ticker);
    const seen: number[] = [];
    for (let s = await events.snapshot(); s !== undefined; s = await events.snapshot(400)) seen.push(s.t);
    expect(seen.at(-1)).toBe(t);
    expect(seen.length).toBeLessThanOrEqual(Math.ceil((Date.now() - start) / 200) + 1);
    expect(seen.length).toBeGreaterThanOrEqual(3);
  });

  it('sends heartbeat comments', async () => {
    const { events } = await open({ minIntervalMs: 10, heartbeatMs: 30 });
    await events.snapshot();
    let lines = await events.next();
    while (lines?.[0]?.startsWith(': ') !== true) lines = await events.next();
    expect(lines).toEqual([': heartbeat']);
  });

  it('unsubscribes and clears its timers when the client goes away', async () => {
    const setIntervalSpy = vi.spyOn(globalThis, 'setInterval');
    const clearIntervalSpy = vi.spyOn(globalThis, 'clearInterval');
    const heartbeatMs = 12_345; // a period nothing else uses, to find our timer among the spied ones
    const { lab, abort, events } = await open({ minIntervalMs: 500, heartbeatMs });
    await events.snapshot();
    expect(lab.listeners.size).toBe(1);
    lab.change(1); // leaves a throttle timer armed
    abort.abort();
    await until(() => lab.listeners.size === 0, 'the stream to unsubscribe');
    const heartbeats = setIntervalSpy.mock.calls.flatMap((call, i) => (call[1] === heartbeatMs ? [setIntervalSpy.mock.results[i]?.value as NodeJS.Timeout] : []));
    expect(heartbeats).toHaveLength(1);
    expect(clearIntervalSpy).toHaveBeenCalledWith(heartbeats[0]);
  });

  it('close() ends open streams, and does not wait for a connection that never sent a request', async () => {
    const { app, lab, events } = await open({ minIntervalMs: 10, heartbeatMs: 60_000 });
    await events.snapshot();
    const { port } = app.server.address() as AddressInfo;
    const spare = connect(port, '127.0.0.1'); // as a browser's preconnect does
    await new Promise((resolve) => spare.once('connect', resolve));
    const closed = new Promise((resolve) => spare.once('close', resolve));
    const start = Date.now();
    await app.close();
    expect(Date.now() - start).toBeLessThan(1000);
    expect(lab.listeners.size).toBe(0);
    await expect(events.next()).rejects.toThrow();
    await closed;
  });
});

/** Every control route, a valid body, and the lab call it must make. */
const routes: Array<{ url: string; body?: object; call: Call }> = [
  { url: '/api/actors/1/kill', call: ['kill', 1] },
  { url: '/api/actors/2/restart', call: ['restart', 2] },
  { url: '/api/partition', body: { groups: [[0, 1], [2]] }, call: ['partition', [[0, 1], [2]]] },
  { url: '/api/heal', call: ['heal'] },
  { url: '/api/drop-rate', body: { actor: 1, rate: 0.25 }, call: ['setDropRate', 1, 0.25] },
  { url: '/api/drop-rate', body: { actor: 'all', rate: 1 }, call: ['setDropRate', 'all', 1] },
  { url: '/api/pause', body: { actor: 0, paused: true }, call: ['pauseMutations', 0, true] },
  { url: '/api/pause', body: { actor: 'all', paused: false }, call: ['pauseMutations', 'all', false] },
];

function post(app: FastifyInstance, url: string, body?: unknown, headers: Record<string, string> = auth) {
  return app.inject({ method: 'POST', url, headers, ...(body === undefined ? {} : { payload: body as object }) });
}

describe('control routes', () => {
  it.each(routes)('POST $url without the right token: 401, the lab is not called', async ({ url, body }) => {
    const { app, lab } = setup();
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Basic ${TOKEN}` },
      { authorization: TOKEN },
    ];
    for (const headers of attempts) {
      const res = await post(app, url, body, headers);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ error: 'unauthorized' });
    }
    // The token in the query string (as in the page's URL) does not authorise an action.
    expect((await post(app, `${url}?token=${TOKEN}`, body, {})).statusCode).toBe(401);
    // Not even a bad body gets past the token check.
    expect((await post(app, url, { junk: true }, {})).statusCode).toBe(401);
    expect(lab.calls).toEqual([]);
  });

  it.each(routes)('POST $url with the token calls the lab: $call', async ({ url, body, call }) => {
    const { app, lab } = setup();
    const res = await post(app, url, body);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true });
    expect(lab.calls).toEqual([call]);
  });

  it.each([
    ['/api/actors/abc/kill', undefined],
    ['/api/actors/-1/kill', undefined],
    ['/api/actors/01/restart', undefined],
    ['/api/partition', {}],
    ['/api/partition', { groups: [[0, 1, 2]] }],
    ['/api/partition', { groups: [[0], []] }],
    ['/api/partition', { groups: [[0, 1], [1, 2]] }],
    ['/api/partition', { groups: [[0], ['1']] }],
    ['/api/partition', { groups: [[0], [1.5]] }],
    ['/api/partition', { groups: [[0], [1]], extra: 1 }],
    ['/api/drop-rate', { actor: 0 }],
    ['/api/drop-rate', { actor: 0, rate: 1.5 }],
    ['/api/drop-rate', { actor: 0, rate: -0.1 }],
    ['/api/drop-rate', { actor: 0, rate: '0.5' }],
    ['/api/drop-rate', { actor: 'some', rate: 0.5 }],
    ['/api/drop-rate', { actor: 0, rate: 0.5, extra: true }],
    ['/api/pause', { actor: 0, paused: 'yes' }],
    ['/api/pause', { actor: '0', paused: true }],
    ['/api/pause', { paused: true }],
  ])('POST %s %j: 400, the lab is not called', async (url, body) => {
    const { app, lab } = setup();
    const res = await post(app, url, body);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid_body', message: expect.any(String) });
    expect(lab.calls).toEqual([]);
  });

  it('names the actor twice in a partition', async () => {
    const res = await post(setup().app, '/api/partition', { groups: [[0, 1], [1, 2]] });
    expect(res.json()).toMatchObject({ message: 'groups must be disjoint: actor 1 is named twice' });
  });

  it.each([
    ['/api/actors/3/kill', undefined],
    ['/api/actors/99/restart', undefined],
    ['/api/partition', { groups: [[0], [7]] }],
    ['/api/drop-rate', { actor: 5, rate: 0.5 }],
    ['/api/pause', { actor: 3, paused: true }],
  ])('POST %s %j names an unknown actor: 404, the lab is not called', async (url, body) => {
    const { app, lab } = setup();
    const res = await post(app, url, body);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: 'unknown_actor', message: expect.stringMatching(/^no actor \d+: the lab has actors 0, 1, 2$/) });
    expect(lab.calls).toEqual([]);
  });

  it.each(routes)('POST $url: the lab refusing becomes a 409 with its message', async ({ url, body, call }) => {
    const { app, lab } = setup();
    lab.refusal = new Error('actor 2 is already down');
    const res = await post(app, url, body);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({ error: 'conflict', message: 'actor 2 is already down' });
    expect(lab.calls).toEqual([call]);
  });
});
