import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { PRETTY_ENV, type Logger } from '../log.js';

export interface ClusterOptions {
  count: number;
  /** Arguments for actor i (without the program itself). */
  actorArgs: (i: number) => string[];
  /** The CLI script to run for each actor. */
  cli: string;
}

const KILL_AFTER_MS = 5000;

/**
 * Spawn and watch `count` actor processes. Their output is forwarded to stderr, each line
 * prefixed with the actor id. Ctrl-C or SIGTERM stops them all; if one dies on its own, the
 * others are stopped and the cluster exits non-zero. Each child has an IPC channel, so it also
 * exits if this process dies without cleaning up.
 */
export async function runCluster(opts: ClusterOptions, log: Logger): Promise<number> {
  const env = { ...process.env, ...(process.stderr.isTTY ? { [PRETTY_ENV]: '1' } : {}) };
  const children: ChildProcess[] = [];
  let stopping = false;
  let exitCode = 0;
  let settle: () => void = () => undefined;
  const allExited = new Promise<void>((resolve) => (settle = resolve));
  let alive = opts.count;

  const stopAll = (signal: NodeJS.Signals): void => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  const stop = (why: string, code: number): void => {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    log.info(`stopping the cluster (${why})`);
    stopAll('SIGTERM');
    void sleep(KILL_AFTER_MS, undefined, { ref: false }).then(() => stopAll('SIGKILL'));
  };

  for (let i = 0; i < opts.count; i++) {
    const child = spawn(process.execPath, [opts.cli, ...opts.actorArgs(i)], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    children.push(child);
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => process.stderr.write(`[a${i}] ${line}\n`));
    }
    child.on('error', (err) => log.error({ err }, `actor ${i} could not be started: ${err.message}`));
    child.on('exit', (code, signal) => {
      if (!stopping) {
        log.error(`actor ${i} exited unexpectedly (${signal ?? `code ${code}`})`);
        stop(`actor ${i} died`, 1);
      }
      if (--alive === 0) settle();
    });
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => stop(signal, 0));
  await allExited;
  return exitCode;
}
