/**
 * At most one log line per key every `everyMs`: what a peer (or anyone) can make an actor log must
 * not grow with how fast they send. `pass` says whether to log now and how many lines were kept
 * quiet since the last one.
 */
export class LogThrottle {
  readonly #last = new Map<string, { at: number; quiet: number }>();
  readonly #everyMs: number;

  constructor(everyMs = 10_000) {
    this.#everyMs = everyMs;
  }

  /** null: stay quiet; otherwise log, adding `suffix(quiet)` to the line. */
  pass(key: string, now = Date.now()): { quiet: number } | null {
    const seen = this.#last.get(key);
    if (seen !== undefined && now - seen.at < this.#everyMs) {
      seen.quiet++;
      return null;
    }
    // Keys are addresses and actor ids; a flood of new ones costs a reset, not memory.
    if (this.#last.size >= 1000) this.#last.clear();
    this.#last.set(key, { at: now, quiet: 0 });
    return { quiet: seen?.quiet ?? 0 };
  }
}

/** ` (and 3 more since)`, or nothing. */
export const quietSince = (quiet: number): string => (quiet === 0 ? '' : ` (and ${quiet} more since)`);
