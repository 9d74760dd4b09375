import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { killAll, waitFor, type Proc } from './processes.js';

/** Debian's Chromium, installed by `.ci/run`; the flags keep it off the (closed) network. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Where the browser tests leave their screenshots. */
export const SCREENSHOTS = 'test-results';

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** The dashboard URL a `crdt-genome cluster` printed (it carries the token). */
export function dashboardUrl(proc: Proc): Promise<string> {
  return waitFor('the dashboard URL', () => /dashboard: (http:\/\/\S+)/.exec(proc.stderr.join(''))?.[1]);
}

/**
 * For a test file that drives a lab in Chromium: the browser is launched before its tests, then
 * closed after them, with every process they started. Returns the browser, once launched.
 */
export function chromiumForLab(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    killAll();
  });
  return () => browser as Browser;
}
