import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { waitFor } from '../helpers/processes.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let browser: Browser;
let node: ChildProcess | undefined;
const servers: Server[] = [];

/**
 * A page at a loopback origin (IndexedDB needs one, and Chromium lets a page reach a loopback
 * socket only from a local page) running `fixture`, bundled for the browser from the sources.
 */
async function servePage(fixture: string): Promise<string> {
  const bundle = await build({ entryPoints: [`${ROOT}test/fixtures/${fixture}`], bundle: true, platform: 'browser', format: 'iife', write: false, logLevel: 'silent' });
  const html = `<!doctype html><meta charset="utf-8"><script>${(bundle.outputFiles[0] as { text: string }).text.replaceAll('</script', '<\\/script')}</script>`;
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

beforeAll(async () => {
  browser = await launchChromium();
});

afterEach(() => {
  node?.kill('SIGKILL');
});

afterAll(async () => {
  await browser?.close();
  for (const server of servers) server.close();
});

describe('a browser tab as a replica', () => {
  it.each(['src/session/browser.ts', 'src/web-client/replica.ts'])('bundles %s for the browser with nothing of Node in it', async (entry) => {
    // platform 'browser': a node: import anywhere in the graph is an error, not a silent shim.
    const result = await build({ entryPoints: [`${ROOT}${entry}`], bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent' });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((p) => p.startsWith('node_modules/') && !p.startsWith('node_modules/@noble/'))).toEqual([]);
    expect(inputs).not.toContain('src/transport/signing.ts');
    expect(inputs).not.toContain('src/genome/render.ts');
  });

  it('syncs a list of strings with a Node process over a WebSocket, its Ed25519 signatures checked by node:crypto and the other way round', async () => {
    const out: string[] = [];
    node = spawn(process.execPath, [`${ROOT}examples/websocket.mjs`, '--member', '0', '--listen', '0', '--words', 'milk,eggs'], { stdio: ['pipe', 'pipe', 'pipe'] });
    node.stdout?.on('data', (chunk: Buffer) => out.push(...chunk.toString().split('\n')));
    const url = await waitFor('the Node replica listening', () => /listening on (ws:\/\/\S+)/.exec(out.join('\n'))?.[1]);

    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(await servePage('browser-replica.mjs'));
    expect(await page.evaluate(() => (globalThis as unknown as { replica: { hasBuffer(): boolean } }).replica.hasBuffer())).toBe(false);
    await page.evaluate((u) => (globalThis as unknown as { replica: { connect(u: string): void } }).replica.connect(u), url);
    await page.evaluate(() => (globalThis as unknown as { replica: { insert(w: string[]): void } }).replica.insert(['tea', 'jam']));
    node.stdin?.write('bread\n');

    const lastList = (): string[] => (out.filter((l) => l.startsWith('list: ')).pop() ?? 'list: ').slice(6).split(',').filter((w) => w !== '');
    const inPage = (): Promise<string[]> => page.evaluate(() => (globalThis as unknown as { replica: { list(): string[] } }).replica.list());
    const all = ['bread', 'eggs', 'jam', 'milk', 'tea'];
    await waitFor('both replicas holding every word', async () => JSON.stringify([...(await inPage())].sort()) === JSON.stringify(all) && JSON.stringify([...lastList()].sort()) === JSON.stringify(all), 30_000);
    expect(await inPage()).toEqual(lastList());
    expect(await page.evaluate(() => (globalThis as unknown as { replica: { problems(): string[] } }).replica.problems())).toEqual([]);
    expect(errors).toEqual([]);
  }, 60_000);

  it('keeps its replica in IndexedDB: edits made offline survive a reload, one tab holds it, and back online they reach Node', async () => {
    const origin = await servePage('persistent-replica.mjs');
    type Replica = { actor: number; connect(u: string): void; insert(w: string[]): Promise<void>; list(): string[]; problems(): string[] };
    const replica = <R>(page: Page, f: (r: Replica, arg: string[]) => R | Promise<R>, arg: string[] = []): Promise<R> =>
      page.evaluate(async ([fn, a]) => (new Function('r', 'a', `return (${fn})(r, a)`) as (r: unknown, a: unknown) => R)(await (globalThis as unknown as { replica: Promise<Replica> }).replica, a), [f.toString(), arg] as const);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(origin);
    const actor = await replica(page, (r) => r.actor);
    // Offline from the start: edits are kept, then the tab is reloaded.
    await replica(page, (r, w) => r.insert(w), ['tea', 'jam']);
    await page.reload();
    expect(await replica(page, (r) => r.actor)).toBe(actor);
    expect(await replica(page, (r) => r.list())).toEqual(['tea', 'jam']);
    await replica(page, (r, w) => r.insert(w), ['bread']);

    // A second tab of the same origin cannot open the replica the first holds.
    const second = await context.newPage();
    const refused = new Promise<string>((resolve) => second.on('pageerror', (err) => resolve(err.message)));
    await second.goto(origin);
    expect(await refused).toMatch(/this replica is open in another tab/);

    // Online: a Node replica gets every word, made before and after the reload (no op id reused).
    const out: string[] = [];
    node = spawn(process.execPath, [`${ROOT}examples/websocket.mjs`, '--member', '0', '--listen', '0', '--words', 'milk'], { stdio: ['pipe', 'pipe', 'pipe'] });
    node.stdout?.on('data', (chunk: Buffer) => out.push(...chunk.toString().split('\n')));
    const url = await waitFor('the Node replica listening', () => /listening on (ws:\/\/\S+)/.exec(out.join('\n'))?.[1]);
    await replica(page, (r, [u]) => r.connect(u as string), [url]);
    const all = ['bread', 'jam', 'milk', 'tea'];
    const lastList = (): string[] => (out.filter((l) => l.startsWith('list: ')).pop() ?? 'list: ').slice(6).split(',').filter((w) => w !== '');
    await waitFor('both replicas holding every word', async () => JSON.stringify([...(await replica(page, (r) => r.list()))].sort()) === JSON.stringify(all) && JSON.stringify([...lastList()].sort()) === JSON.stringify(all), 30_000);
    expect(await replica(page, (r) => r.problems())).toEqual([]);
    await context.close();
  }, 60_000);
});
