import type { LabSnapshot } from '../web/types.js';

/**
 * A live one-line status at the bottom of a terminal: actors up, distinct genomes, time since the
 * last full convergence. Lines printed through `print` go above it. Off when not on a terminal.
 */
export class StatusLine {
  readonly #stream: NodeJS.WriteStream;
  readonly #enabled: boolean;
  #line = '';

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.#stream = stream;
    this.#enabled = stream.isTTY === true;
  }

  print(text: string): void {
    if (!this.#enabled) {
      this.#stream.write(`${text}\n`);
      return;
    }
    this.#stream.write(`\r\x1b[K${text}\n${this.#line}`);
  }

  update(s: LabSnapshot): void {
    if (!this.#enabled) return;
    this.#line = format(s);
    this.#stream.write(`\r\x1b[K${this.#line}`);
  }

  clear(): void {
    if (this.#enabled) this.#stream.write('\r\x1b[K');
    this.#line = '';
  }
}

export function format(s: LabSnapshot): string {
  const up = s.actors.filter((a) => a.phase === 'up').length;
  const polled = s.history.at(-1)?.t ?? 0;
  const since = s.lastConvergedAt === null ? 'not converged yet' : s.lastConvergedAt >= polled ? 'converged' : `last converged ${((s.t - s.lastConvergedAt) / 1000).toFixed(1)} s ago`;
  return `\x1b[7m lab \x1b[0m ${up}/${s.actors.length} up · ${s.distinct} distinct genome${s.distinct === 1 ? '' : 's'} · ${since}${s.nemesis ? ' · nemesis running' : ''}`;
}
