import type { FastifyInstance } from 'fastify';
import { HttpError } from '../transport/http-server.js';

/**
 * With no sync page from any peer for this long (from the start, or from the last page), an actor
 * is ready alone: no peer is reachable, or the one it was catching up from stopped answering. It
 * is a few retries at the longest backoff (5 s), so a peer that is merely slow to start is waited for.
 */
export const READY_ALONE_MS = 10_000;

/**
 * Readiness once caught up (`GET /readyz`): an actor is ready once an anti-entropy exchange with
 * some peer ran to its end (the peer's last page said "no more": the actor then holds all that
 * peer held when it answered), or after READY_ALONE_MS without a page (above), or at once without
 * peers. It stays ready: it is the start-up gate of an orchestrator, not a health signal (a peer
 * that goes away later changes nothing of what this actor can serve).
 */
export class Readiness {
  readonly #peers: number;
  readonly #aloneAfterMs: number;
  readonly #onReady: (why: string) => void;
  #why: string | null = null;
  #timer: NodeJS.Timeout | undefined;

  constructor(peers: number, onReady: (why: string) => void, aloneAfterMs = READY_ALONE_MS) {
    this.#peers = peers;
    this.#aloneAfterMs = aloneAfterMs;
    this.#onReady = onReady;
  }

  /** The actor serves, and starts catching up now. */
  start(): void {
    if (this.#peers === 0) this.#become('no peers to catch up from');
    else this.#wait();
  }

  get ready(): boolean {
    return this.#why !== null;
  }

  /** Why it is ready, or null while it is not. */
  get why(): string | null {
    return this.#why;
  }

  /** A sync page came from `peer`; `more`: the peer has more to send. */
  page(peer: string, more: boolean): void {
    if (this.ready) return;
    if (more) this.#wait();
    else this.#become(`caught up with ${peer}`);
  }

  stop(): void {
    clearTimeout(this.#timer);
  }

  #wait(): void {
    clearTimeout(this.#timer);
    const seconds = this.#aloneAfterMs / 1000;
    this.#timer = setTimeout(() => this.#become(`no sync page from any peer for ${seconds} s: ready alone`), this.#aloneAfterMs);
    this.#timer.unref();
  }

  #become(why: string): void {
    clearTimeout(this.#timer);
    this.#why = why;
    this.#onReady(why);
  }
}

/** `GET /readyz`: 200 `{"ready": true, "why"}` once ready, 503 `catching_up` until then. */
export function registerReadyRoute(app: FastifyInstance, readiness: Readiness): void {
  app.get('/readyz', async () => {
    if (!readiness.ready) throw new HttpError(503, 'catching up: no anti-entropy exchange with a peer has run to its end yet', 'catching_up');
    return { ready: true, why: readiness.why };
  });
}
