import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/**
 * A base port such that base..base+count-1 are free, below the ephemeral range; base - 1 too,
 * where `crdt-genome cluster` puts its dashboard by default.
 */
export async function freeBase(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20001 + Math.floor(Math.random() * (12000 - count));
    const ok = await Promise.all(Array.from({ length: count + 1 }, (_, i) => portFree(base - 1 + i)));
    if (ok.every(Boolean)) return base;
  }
  throw new Error('no free ports found');
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export interface Proc {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
}

const started: Proc[] = [];

/**
 * Start the CLI in its own process group, collecting its output; with `openFiles`, under that
 * limit on open files (as a machine with the usual 1,024 would run it).
 */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}, openFiles?: number): Proc {
  return startCliUnder(openFiles === undefined ? [] : ['/bin/sh', '-c', 'ulimit -n "$0" && exec "$@"', String(openFiles)], args, env);
}

/**
 * Start the CLI under `wrapper`, a command that ends by exec'ing its arguments (node, the CLI and
 * `args`), so that the process group's leader is the CLI itself; e.g. `ip netns exec <ns>`.
 */
export function startCliUnder(wrapper: string[], args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const [command, ...argv] = [...wrapper, process.execPath, CLI, ...args] as [string, ...string[]];
  const child = spawn(command, argv, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const proc: Proc = {
    child,
    stdout: [],
    stderr: [],
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
  };
  child.stdout?.on('data', (d: Buffer) => proc.stdout.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => proc.stderr.push(d.toString()));
  started.push(proc);
  return proc;
}

/** Run the CLI to completion (under `wrapper`, as `startCliUnder`). */
export async function runCli(args: string[], timeoutMs = 30_000, wrapper: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = startCliUnder(wrapper, args);
  const timer = setTimeout(() => killGroup(proc), timeoutMs);
  const code = await proc.exited;
  clearTimeout(timer);
  return { code, stdout: proc.stdout.join(''), stderr: proc.stderr.join('') };
}

/** What every usage error looks like: exit 2, nothing on stdout, one line on stderr naming each of `mentions`. */
export function expectUsageError(result: { code: number | null; stdout: string; stderr: string }, mentions: string[]): void {
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  for (const m of mentions) expect(lines[0]).toContain(m);
}

/** True while any process of the group is alive. */
export function groupAlive(proc: Proc): boolean {
  return pidAlive(-(proc.child.pid as number));
}

/** True while the process with this pid (a negative pid: any process of that group) is alive. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function killGroup(proc: Proc, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-(proc.child.pid as number), signal);
  } catch {
    // already gone
  }
}

const dirs: string[] = [];

/** A fresh data directory, removed by killAll(). */
export function tmpDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'genome-e2e-'));
  dirs.push(dir);
  return dir;
}

/** Kill every process group this test file started and remove its data dirs (for afterAll). */
export function killAll(): void {
  for (const proc of started.splice(0)) killGroup(proc);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Poll `check` until it returns a truthy value; fail after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T> | T, timeoutMs = 20_000, everyMs = 100): Promise<Exclude<T, false | null | undefined | 0 | ''>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as Exclude<T, false | null | undefined | 0 | ''>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(everyMs);
  }
}

export async function getJson<T = Record<string, unknown>>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}
