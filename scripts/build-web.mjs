// Bundles the dashboard's replica panel (src/web-client/replica.ts) for the browser into
// web/replica-bundle.js, from the same sources the actors run. Part of `npm run build`.
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const result = await build({
  absWorkingDir: fileURLToPath(new URL('..', import.meta.url)),
  entryPoints: ['src/web-client/replica.ts'],
  outfile: 'web/replica-bundle.js',
  bundle: true,
  format: 'esm',
  // A node: import anywhere in the graph is then an error, not a silent shim.
  platform: 'browser',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});
const kb = (result.metafile.outputs['web/replica-bundle.js'].bytes / 1024).toFixed(0);
console.log(`web/replica-bundle.js: ${kb} KiB`);
