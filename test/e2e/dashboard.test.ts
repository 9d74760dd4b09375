import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumForLab, dashboardUrl, SCREENSHOTS } from '../helpers/browser.js';
import { freeBase, groupAlive, startCli, tmpDataDir, waitFor, type Proc } from '../helpers/processes.js';

let cluster: Proc;
const browser = chromiumForLab();

const phase = (page: Page, id: number): Promise<string | null> => page.getByTestId(`actor-${id}`).getAttribute('data-phase');

/** Every cell of the match matrix shows equal genomes. */
async function allEqual(page: Page, n: number): Promise<boolean> {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) if ((await page.getByTestId(`match-${i}-${j}`).getAttribute('data-equal')) !== 'true') return false;
  }
  return (await page.getByTestId('distinct').getAttribute('data-distinct')) === '1';
}

describe('the lab dashboard in Chromium', () => {
  it('shows 3 actors converging; kill one from the page, it shows down; restart it, it converges again', { timeout: 240_000 }, async () => {
    const base = await freeBase(3);
    cluster = startCli(['cluster', '--count', '3', '--base', String(base), '--dashboard-port', String(base - 1), '--data-dir', tmpDataDir(), '--interval', '20-200', '--mutations', '40', '--verify-interval', '500', '--seed', '11']);
    const url = await dashboardUrl(cluster);
    expect(url).toMatch(/\?token=/);
    const page = await browser().newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(url);
    // The token leaves the address bar once the page has it; the tab keeps it through a reload.
    await waitFor('the token to leave the address bar', () => !page.url().includes('token'));
    await page.reload();
    await waitFor('the controls after a reload', async () => !(await page.getByTestId('kill-0').isDisabled()) && (await page.getByTestId('kill-0').isVisible()));

    for (const id of [0, 1, 2]) await waitFor(`actor ${id} up`, async () => (await phase(page, id)) === 'up', 30_000);
    await waitFor('all genomes equal in the matrix', () => allEqual(page, 3), 60_000, 250);
    // Three actors keep the small layout: a grid of cells, and rows on the page itself.
    expect(await page.getByTestId('match-matrix').getAttribute('data-layout')).toBe('grid');
    expect(await page.getByTestId('match-heatmap').count()).toBe(0);
    expect(await page.locator('#actors').evaluate((el) => el.classList.contains('many'))).toBe(false);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOTS}/dashboard-converged.png`, fullPage: true });

    await page.getByTestId('kill-1').click();
    await waitFor('actor 1 down', async () => (await phase(page, 1)) === 'down', 10_000);
    await page.screenshot({ path: `${SCREENSHOTS}/dashboard-killed.png`, fullPage: true });

    await page.getByTestId('restart-1').click();
    await waitFor('actor 1 up again', async () => (await phase(page, 1)) === 'up', 30_000);
    await waitFor('all genomes equal again', () => allEqual(page, 3), 60_000, 250);
    await page.screenshot({ path: `${SCREENSHOTS}/dashboard-restarted.png`, fullPage: true });
    expect(errors).toEqual([]);
  });

  it('without the token (a new browser context), the page watches but cannot act', async () => {
    const url = new URL(await dashboardUrl(cluster));
    url.search = '';
    const page = await (await browser().newContext()).newPage();
    await page.goto(url.toString());
    await waitFor('actor 0 shown', async () => (await phase(page, 0)) !== null);
    const kill = page.getByTestId('kill-0');
    expect((await kill.isDisabled()) || !(await kill.isVisible())).toBe(true);
    expect(await page.locator('#readonly-note').isVisible()).toBe(true);
    const refused = await page.evaluate(async () => (await fetch('/api/actors/0/kill', { method: 'POST' })).status);
    expect(refused).toBe(401);
    // Pages still connected to the event stream do not keep the runner from stopping.
    cluster.child.kill('SIGTERM');
    expect(await cluster.exited).toBe(0);
    await waitFor('every process of the lab to exit', () => !groupAlive(cluster));
  });
});
