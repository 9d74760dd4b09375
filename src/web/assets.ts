import { readFileSync } from 'node:fs';

/** One static file of the dashboard, held in memory. */
export interface Asset {
  type: string;
  body: Buffer;
}

/**
 * The package root's `web/` folder: `../../web/` from both `src/web/` (tests run the sources) and
 * `dist/web/` (the built package).
 */
export const WEB_DIR = new URL('../../web/', import.meta.url);

/** URL path → file in `web/`, with its content type. */
const FILES = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/style.css': ['style.css', 'text/css; charset=utf-8'],
  '/favicon.svg': ['favicon.svg', 'image/svg+xml'],
} as const;

/** Reads every asset once, so a missing file fails at start rather than on the first page view. */
export function loadAssets(dir: URL = WEB_DIR): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const [path, [file, type]] of Object.entries(FILES)) {
    assets.set(path, { type, body: readFileSync(new URL(file, dir)) });
  }
  return assets;
}
