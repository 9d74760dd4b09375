import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumForLab, dashboardUrl, SCREENSHOTS } from '../helpers/browser.js';
import { freeBase, getJson, startCli, tmpDataDir, waitFor } from '../helpers/processes.js';

const browser = chromiumForLab();

const status = (page: Page, name: string): Promise<string | null> => page.getByTestId('replica-status').getAttribute(`data-${name}`);
const genes = async (page: Page): Promise<string> => (await page.getByTestId('replica-genes').textContent()) ?? '';

/** Clicks "insert" n times, then waits until the replica holds them and IndexedDB has them. */
async function insert(page: Page, n: number): Promise<void> {
  const before = (await genes(page)).length / 2;
  for (let i = 0; i < n; i++) await page.getByTestId('replica-insert').click();
  await waitFor(`${n} genes inserted and stored`, async () => (await genes(page)).length / 2 === before + n && (await status(page, 'stored')) === 'true');
}

describe("the dashboard's replica panel in Chromium", () => {
  it('a tab edits its replica, offline too and across a reload, and every actor ends with its genes', { timeout: 180_000 }, async () => {
    const base = await freeBase(3);
    const cluster = startCli(['cluster', '--count', '3', '--base', String(base), '--dashboard-port', String(base - 1), '--data-dir', tmpDataDir(), '--interval', '50-300', '--verify-interval', '500', '--sync-interval', '300', '--seed', '5', '--guests', '1']);
    const url = await dashboardUrl(cluster);
    const lab = new URL(url);
    const actors = [0, 1, 2].map((i) => `http://127.0.0.1:${base + i}`);
    for (const actor of actors) await waitFor(`${actor} up`, () => getJson(`${actor}/status`), 30_000);
    // No mutations of the actors from here: every genome must then equal the tab's exactly.
    const paused = await fetch(`${lab.origin}/api/pause`, { method: 'POST', headers: { authorization: `Bearer ${lab.searchParams.get('token')}`, 'content-type': 'application/json' }, body: JSON.stringify({ actor: 'all', paused: true }) });
    expect(paused.status).toBe(200);
    const genomes = (): Promise<string[]> => Promise.all(actors.map(async (actor) => (await fetch(`${actor}/genome`, { signal: AbortSignal.timeout(2000) })).text()));
    const allHold = async (page: Page): Promise<boolean> => {
      const mine = await genes(page);
      return (await genomes()).every((g) => g === mine);
    };

    const context = await browser().newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(url);
    await waitFor('the replica ready, its page kept for offline', async () => (await status(page, 'state')) === 'ready' && (await status(page, 'offline-ready')) === 'true', 30_000);
    expect(await status(page, 'member')).toBe('3');
    const incarnation = await status(page, 'incarnation');
    expect(incarnation).toMatch(/^a3#[0-9a-f]+$/);
    await waitFor('the tab holding the actors’ genome', () => allHold(page), 30_000);

    await insert(page, 5);
    await waitFor('every actor holding the genes the tab inserted', () => allHold(page), 30_000);
    expect(await status(page, 'online')).toBe('true');
    // It syncs with every actor, not one: each must hear what it retired.
    await waitFor('every actor reached', async () => (await status(page, 'reached')) === '3 of 3');

    // Offline: edits go on, are kept, and the page reloads from the service worker's copy.
    await context.setOffline(true);
    await waitFor('the panel showing offline', async () => (await status(page, 'online')) === 'false');
    await insert(page, 4);
    const offline = await genes(page);
    // The service worker is offline too: what it serves comes from its cache.
    const [worker] = context.serviceWorkers();
    expect(await worker?.evaluate(() => fetch('/style.css').then(() => 'network', () => 'offline'))).toBe('offline');
    const reloaded = await page.reload();
    expect(reloaded?.fromServiceWorker()).toBe(true);
    await waitFor('the replica ready again after the reload', async () => (await status(page, 'state')) === 'ready', 30_000);
    expect(await genes(page)).toBe(offline);
    expect(await status(page, 'incarnation')).toBe(incarnation);
    expect(await status(page, 'online')).toBe('false');
    expect((await genomes()).some((g) => g === offline)).toBe(false);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOTS}/replica-offline.png`, fullPage: true });

    // Back online: the offline edits reach every actor.
    await context.setOffline(false);
    await waitFor('every actor holding the tab’s offline genes', () => allHold(page), 60_000, 250);
    expect((await genes(page)).length).toBe(offline.length);
    expect(await status(page, 'online')).toBe('true');
    await page.screenshot({ path: `${SCREENSHOTS}/replica-synced.png`, fullPage: true });

    // A second tab cannot open the replica the first holds, and says so.
    const second = await context.newPage();
    await second.goto(url);
    await waitFor('the second tab refused', async () => (await status(second, 'state')) === 'locked');
    expect(await second.getByTestId('replica-note').textContent()).toMatch(/open in another tab/);
    await second.close();

    // Reset: a new incarnation in the same slot, caught up with the genome, whose edits reach every actor.
    await page.getByTestId('replica-reset').click();
    await waitFor('a new incarnation ready', async () => (await status(page, 'state')) === 'ready' && (await status(page, 'incarnation')) !== incarnation);
    expect(await status(page, 'member')).toBe('3');
    await waitFor('the new incarnation holding the genome', async () => (await genes(page)) === offline, 30_000);
    await page.getByTestId('replica-delete').click();
    await waitFor('every actor holding the new incarnation’s delete', async () => (await genes(page)).length === offline.length - 2 && (await allHold(page)), 30_000, 250);
    expect(errors).toEqual([]);
    await context.close();
  });
  it('says when no guest slot is free, and when the lab holds another incarnation for its slot; reset takes the slot back', { timeout: 120_000 }, async () => {
    const base = await freeBase(2);
    const cluster = startCli(['cluster', '--count', '2', '--base', String(base), '--dashboard-port', String(base - 1), '--memory', '--interval', '200-1000', '--guests', '1']);
    const url = await dashboardUrl(cluster);
    const open = async (tab?: string): Promise<Page> => {
      const context = await browser().newContext();
      // The same tab id in another browser: as if its storage were copied.
      if (tab !== undefined) await context.addInitScript((id) => localStorage.setItem('replica-tab', id), tab);
      const page = await context.newPage();
      await page.goto(url);
      return page;
    };
    const first = await open();
    await waitFor('the first tab ready', async () => (await status(first, 'state')) === 'ready', 30_000);

    // Another browser finds the one guest slot taken.
    const other = await open();
    await waitFor('the other browser told no slot is free', async () => (await status(other, 'state')) === 'no-slot');

    // A copy of the first tab joins its slot again: the slot is the next replica's to speak in it,
    // and whichever of the two did not is refused.
    const copy = await open((await first.evaluate(() => localStorage.getItem('replica-tab'))) as string);
    const refused = await waitFor('one of the two told its slot holds another incarnation', async () => {
      for (const page of [first, copy]) if ((await status(page, 'state')) === 'slot-taken') return page;
      return null;
    }, 30_000);
    expect(await refused.getByTestId('replica-note').textContent()).toMatch(/reset this replica/);
    const incarnation = await status(refused, 'incarnation');

    // The other one closed, reset takes the slot back as a new incarnation, which the actors go on taking.
    await (refused === first ? copy : first).context().close();
    await refused.getByTestId('replica-reset').click();
    await waitFor('a new incarnation ready', async () => (await status(refused, 'state')) === 'ready' && (await status(refused, 'incarnation')) !== incarnation, 30_000);
    expect(await status(refused, 'member')).toBe('2');
    // (The actors mutate here: the genome's length is no count of the tab's inserts.)
    for (let i = 0; i < 2; i++) await refused.getByTestId('replica-insert').click();
    await waitFor('the inserts stored', async () => (await status(refused, 'stored')) === 'true');
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect([await status(refused, 'state'), await status(refused, 'reached')]).toEqual(['ready', '2 of 2']);
    cluster.child.kill('SIGTERM');
  });
});
