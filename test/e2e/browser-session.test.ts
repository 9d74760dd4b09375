import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { waitFor } from '../helpers/processes.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let browser: Browser;
let node: ChildProcess | undefined;
let server: Server | undefined;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  node?.kill('SIGKILL');
  server?.close();
});

describe('a browser tab as a replica', () => {
  it('bundles the list and sync code for the browser with nothing of Node in it', async () => {
    // platform 'browser': a node: import anywhere in the graph is an error, not a silent shim.
    const result = await build({ entryPoints: [`${ROOT}src/session/browser.ts`], bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent' });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((p) => p.startsWith('node_modules/') && !p.startsWith('node_modules/@noble/'))).toEqual([]);
    expect(inputs).not.toContain('src/transport/signing.ts');
  });

  it('syncs a list of strings with a Node process over a WebSocket, its Ed25519 signatures checked by node:crypto and the other way round', async () => {
    const bundle = await build({ entryPoints: [`${ROOT}test/fixtures/browser-replica.mjs`], bundle: true, platform: 'browser', format: 'iife', write: false, logLevel: 'silent' });
    const out: string[] = [];
    node = spawn(process.execPath, [`${ROOT}examples/websocket.mjs`, '--member', '0', '--listen', '0', '--words', 'milk,eggs'], { stdio: ['pipe', 'pipe', 'pipe'] });
    node.stdout?.on('data', (chunk: Buffer) => out.push(...chunk.toString().split('\n')));
    const url = await waitFor('the Node replica listening', () => /listening on (ws:\/\/\S+)/.exec(out.join('\n'))?.[1]);

    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    // Served from loopback: Chromium lets a page reach a loopback socket only from a local page.
    const html = `<!doctype html><meta charset="utf-8"><script>${(bundle.outputFiles[0] as { text: string }).text.replaceAll('</script', '<\\/script')}</script>`;
    server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html));
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
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
});
