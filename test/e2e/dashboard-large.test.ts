import { mkdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chromiumForLab, dashboardUrl, SCREENSHOTS } from '../helpers/browser.js';
import { freeBase, groupAlive, startCli, waitFor } from '../helpers/processes.js';

/** The lab's largest count without a flag: the page's large layout at its largest. */
const N = 64;

const browser = chromiumForLab();

describe(`the lab dashboard at ${N} actors, in Chromium`, () => {
  it('draws the match matrix as a heat map with a tooltip per cell, and the actor rows scroll in a box of their own', { timeout: 300_000 }, async () => {
    const base = await freeBase(N);
    // In memory, one op each: what is drawn is start-up and one round of convergence, not disks.
    const cluster = startCli(['cluster', '--count', String(N), '--base', String(base), '--memory', '--mutations', '1', '--interval', '0-0', '--seed', '64', '--log-level', 'warn']);
    const page = await browser().newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    // Read-only (no token): what is checked here is drawn for anyone, and without the token the
    // page holds no replica of its own, which would sync with all 64 actors as they start.
    const url = new URL(await dashboardUrl(cluster));
    url.search = '';
    await page.goto(url.toString());

    const heatmap = page.getByTestId('match-heatmap');
    await waitFor('the heat map', async () => (await heatmap.getAttribute('data-actors')) === String(N));
    expect(await page.getByTestId('match-matrix').getAttribute('data-layout')).toBe('heatmap');
    expect(await page.locator('[data-testid^="match-0-"]').count()).toBe(0);
    // Every cell green once every actor is up and all hold the one genome.
    await waitFor('every pair equal in the heat map', async () => (await heatmap.getAttribute('data-equal')) === String(N * N), 240_000, 500);
    expect(await page.getByTestId('distinct').getAttribute('data-distinct')).toBe('1');

    // The map fits its panel, and hovering a cell names that pair.
    const fits = await heatmap.evaluate((canvas) => canvas.getBoundingClientRect().width <= (canvas.closest('.matrix-wrap')?.clientWidth ?? 0));
    expect(fits).toBe(true);
    const cell = Number(await heatmap.getAttribute('data-cell'));
    const gutter = Number(await heatmap.getAttribute('data-gutter'));
    expect(cell).toBeGreaterThanOrEqual(2);
    const box = (await heatmap.boundingBox()) as { x: number; y: number };
    const [row, col] = [5, N - 1];
    await page.mouse.move(box.x + gutter + (col + 0.5) * cell, box.y + gutter + (row + 0.5) * cell);
    await waitFor(`the tooltip of cell ${row}, ${col}`, async () => (await page.locator('#tooltip').textContent())?.startsWith(`${row} ↔ ${col}: identical`));

    // The rows scroll inside their panel: the page is not N rows tall, and the last row is a scroll away.
    const actors = page.locator('#actors');
    expect(await actors.evaluate((el) => el.classList.contains('many'))).toBe(true);
    const { scrollHeight, clientHeight } = await actors.evaluate((el) => ({ scrollHeight: el.scrollHeight, clientHeight: el.clientHeight }));
    expect(scrollHeight).toBeGreaterThan(clientHeight * 2);
    expect(await page.locator('html').evaluate((html) => html.scrollHeight)).toBeLessThan(3 * 900);
    const last = page.getByTestId(`actor-${N - 1}`);
    const inView = async (): Promise<boolean> => {
      const [row, view] = [await last.boundingBox(), await actors.boundingBox()];
      return row !== null && view !== null && row.y >= view.y && row.y + row.height <= view.y + view.height + 1;
    };
    expect(await inView()).toBe(false);
    await actors.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
    await waitFor(`actor ${N - 1} scrolled into view`, inView);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOTS}/dashboard-${N}.png`, fullPage: true });
    expect(errors).toEqual([]);

    cluster.child.kill('SIGTERM');
    expect(await cluster.exited).toBe(0);
    await waitFor('every process of the lab to exit', () => !groupAlive(cluster), 30_000);
  });
});
