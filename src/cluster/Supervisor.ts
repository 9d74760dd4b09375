import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

export interface SupervisorOptions {
  count: number;
  /** The CLI script to run for each actor, and actor i's arguments (without the script). */
  cli: string;
  actorArgs: (i: number) => string[];
  /** The children's environment: secrets (the admin token) go here, never on a command line. */
  env: NodeJS.ProcessEnv;
  /** Where each line an actor prints goes, prefixed with its id. */
  out: (line: string) => void;
  /** An actor exited; `deliberate` when `kill` or `stopAll` asked for it. */
  onExit: (actor: number, how: string, deliberate: boolean) => void;
}

/** How long a child gets to stop after SIGTERM before SIGKILL. */
const KILL_AFTER_MS = 5000;

/**
 * The actor processes of a local cluster: started, killed (`kill -9`) and started again on
 * demand. Each child has an IPC channel, so it also exits if this process dies without cleaning up.
 */
export class Supervisor {
  readonly #opts: SupervisorOptions;
  readonly #children: Array<ChildProcess | null>;
  readonly #exits: Array<Promise<void> | null>;
  readonly #deliberate = new Set<number>();
  /** How many times each actor was started: tells an answer from a process already gone. */
  readonly #starts: number[];
  #stopping = false;

  constructor(opts: SupervisorOptions) {
    this.#opts = opts;
    this.#children = new Array<ChildProcess | null>(opts.count).fill(null);
    this.#exits = new Array<Promise<void> | null>(opts.count).fill(null);
    this.#starts = new Array<number>(opts.count).fill(0);
  }

  /** Changes every time the actor is started. */
  generation(actor: number): number {
    return this.#starts[actor] ?? 0;
  }

  get count(): number {
    return this.#opts.count;
  }

  running(actor: number): boolean {
    return this.#children[actor] != null;
  }

  /** Start actor `actor` unless it runs already. */
  start(actor: number): void {
    if (this.#stopping || this.running(actor)) return;
    const { cli, actorArgs, env, out, onExit } = this.#opts;
    const child = spawn(process.execPath, [cli, ...actorArgs(actor)], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    this.#children[actor] = child;
    this.#starts[actor] = (this.#starts[actor] ?? 0) + 1;
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => out(`[a${actor}] ${line}`));
    }
    this.#exits[actor] = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#children[actor] = null;
        const deliberate = this.#stopping || this.#deliberate.delete(actor);
        onExit(actor, signal ?? `code ${code}`, deliberate);
        resolve();
      });
    });
    child.on('error', (err) => out(`[a${actor}] could not be started: ${err.message}`));
  }

  /** `kill -9` actor `actor`; resolves once it is gone. */
  async kill(actor: number): Promise<void> {
    const child = this.#children[actor];
    if (child == null) return;
    this.#deliberate.add(actor);
    child.kill('SIGKILL');
    await this.#exits[actor];
  }

  /** SIGTERM every actor, SIGKILL those still running after a grace period; resolves when all are gone. */
  async stopAll(): Promise<void> {
    this.#stopping = true;
    const signal = (s: NodeJS.Signals): void => {
      for (const child of this.#children) child?.kill(s);
    };
    signal('SIGTERM');
    const timer = sleep(KILL_AFTER_MS, undefined, { ref: false }).then(() => signal('SIGKILL'));
    await Promise.all(this.#exits);
    void timer;
  }
}
