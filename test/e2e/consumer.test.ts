import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The code block the README's "Library" section marks as run by this test. */
function readmeExample(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const marker = readme.indexOf('<!-- test/e2e/consumer.test.ts runs this block');
  expect(marker, 'the README marks its library example').toBeGreaterThan(0);
  const match = /```js\n([\s\S]*?)```/.exec(readme.slice(marker));
  if (match === null) throw new Error('no js block after the marker');
  return match[1] as string;
}

/**
 * A new user's first steps, from the package as `npm pack` makes it: install the tarball into an
 * empty project and run the README's example there, as JavaScript, then type-check it as
 * TypeScript against the package's own `.d.ts` files. Install scripts are skipped: the library
 * needs no native module (better-sqlite3 is the actors' store), and compiling it takes a minute.
 */
describe('the packed package, used as the README shows', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'consumer-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('installs from its tarball, runs the README example and type-checks it', () => {
    const packed = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], { cwd: ROOT, encoding: 'utf8' })) as Array<{ filename: string }>;
    const tarball = join(scratch, (packed[0] as { filename: string }).filename);
    writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
    execFileSync('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: scratch, stdio: 'pipe' });
    const example = readmeExample();
    writeFileSync(join(scratch, 'example.mjs'), example);
    const out = execFileSync(process.execPath, ['example.mjs'], { cwd: scratch, encoding: 'utf8' });
    expect(out.trim().split(', ').sort()).toEqual(['bread', 'coffee', 'jam', 'milk', 'tea']);

    // Strict TypeScript against the package's declarations (the example's `shown` needs a type there).
    writeFileSync(join(scratch, 'example.ts'), example.replace('const shown = [];', 'const shown: string[] = [];').replace('new FastList(actorId(1))', 'new FastList<string>(actorId(1))').replace('new FastList(actorId(2))', 'new FastList<string>(actorId(2))'));
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const types = join(ROOT, 'node_modules', '@types');
    execFileSync(process.execPath, [tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--typeRoots', types, '--types', 'node', 'example.ts'], { cwd: scratch, encoding: 'utf8' });
  }, 300_000);
});

describe('the API docs', () => {
  const out = mkdtempSync(join(tmpdir(), 'api-docs-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('npm run docs writes a page for the list and every call the README names', () => {
    execFileSync('npm', ['run', 'docs', '--silent', '--', '--out', out, '--logLevel', 'Error'], { cwd: ROOT, stdio: 'pipe' });
    const list = readFileSync(join(out, 'classes', 'FastList.html'), 'utf8');
    for (const call of ['insertMany', 'deleteMany', 'applyMany', 'opsSince', 'onChange', 'indexOf', 'released']) expect(list).toContain(`id="${call.toLowerCase()}"`);
    for (const page of ['functions/encodeState.html', 'functions/decodeState.html', 'variables/stringCodec.html', 'interfaces/ValueCodec.html', 'classes/SyncSession.html', 'functions/nodeSession.html']) expect(readFileSync(join(out, page), 'utf8')).toContain('crdt-genome');
  }, 120_000);
});
