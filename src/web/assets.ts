import { readdirSync, readFileSync } from 'node:fs';

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

/** URL path → file in `web/`, with its content type: the page and what it names. */
const FILES = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/style.css': ['style.css', 'text/css; charset=utf-8'],
  '/favicon.svg': ['favicon.svg', 'image/svg+xml'],
} as const;

/** The page's ES modules: every `*.js` file directly in `web/` is served at `/<name>.js`. */
const MODULE = /^[\w-]+\.js$/;
const MODULE_TYPE = 'text/javascript; charset=utf-8';

/**
 * Reads every asset once, so a missing file fails at start rather than on the first page view.
 * The paths are fixed here: nothing a request names is ever looked up on disk.
 */
export function loadAssets(dir: URL = WEB_DIR): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const [path, [file, type]] of Object.entries(FILES)) {
    assets.set(path, { type, body: readFileSync(new URL(file, dir)) });
  }
  const modules = readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isFile() && MODULE.test(entry.name));
  for (const { name } of modules.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!assets.has(`/${name}`)) assets.set(`/${name}`, { type: MODULE_TYPE, body: readFileSync(new URL(name, dir)) });
  }
  return assets;
}
