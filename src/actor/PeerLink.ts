import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { requestJson } from '../transport/http-client.js';
import { encodeBatches, MAX_BATCH_OPS } from '../transport/wire.js';
import type { ActorState } from './ActorState.js';

export const BACKOFF_MIN_MS = 100;
export const BACKOFF_MAX_MS = 5000;

/**
 * Pushes this actor's own ops to one peer. The only state kept per peer is how many of our ops
 * it acknowledged: the ops themselves are read from the list's log, so a peer that is down for
 * a long time costs no memory. Failed sends retry with capped exponential backoff.
 */
export class PeerLink {
  readonly url: string;
  /** Our ops the peer acknowledged (= counter of the last one). */
  acked = 0;
  #busy = false;
  #delay = 0;
  #lastError: string | null = null;
  readonly #state: ActorState;
  readonly #log: Logger;
  readonly #signal: AbortSignal;
  readonly #timeoutMs: number;

  constructor(url: string, state: ActorState, log: Logger, signal: AbortSignal, timeoutMs: number) {
    this.url = url;
    this.#state = state;
    this.#log = log.child({ peer: url });
    this.#signal = signal;
    this.#timeoutMs = timeoutMs;
  }

  /** There may be new ops: start sending unless a send loop is already running. */
  kick(): void {
    if (this.#busy || this.#signal.aborted) return;
    this.#busy = true;
    void this.#drain().finally(() => (this.#busy = false));
  }

  async #drain(): Promise<void> {
    const { actor, list } = this.#state;
    while (!this.#signal.aborted) {
      const ops = list.opsOf(actor, this.acked, MAX_BATCH_OPS);
      const batch = encodeBatches(actor, ops)[0];
      if (batch === undefined) return;
      try {
        await requestJson(`${this.url}/genome`, { method: 'POST', body: batch.body, timeoutMs: this.#timeoutMs });
        this.acked += batch.count;
        this.#delay = 0;
        this.#noteOk();
      } catch (err) {
        this.#noteFailure(err instanceof Error ? err.message : String(err));
        this.#delay = Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS, this.#delay * 2));
        await sleep(this.#delay, undefined, { signal: this.#signal }).catch(() => undefined);
      }
    }
  }

  #noteOk(): void {
    if (this.#lastError === null) return;
    this.#lastError = null;
    this.#log.info('push to peer works again');
  }

  /** Logged when the failure changes, not on every retry. */
  #noteFailure(message: string): void {
    if (message === this.#lastError) return;
    this.#lastError = message;
    this.#log.warn({ error: message }, `push to peer failed, retrying with backoff: ${message}`);
  }
}
