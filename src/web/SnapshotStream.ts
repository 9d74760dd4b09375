import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { LabControl, LabSnapshot } from './types.js';

export interface StreamTiming {
  /** At most one snapshot per this many ms; changes in between are coalesced into the latest. */
  minIntervalMs: number;
  /** A comment line this often keeps proxies and idle timers from closing a quiet stream. */
  heartbeatMs: number;
}

export const DEFAULT_TIMING: StreamTiming = { minIntervalMs: 250, heartbeatMs: 15_000 };

/** Many clients get the same snapshot object: serialise it once. */
const serialised = new WeakMap<LabSnapshot, string>();
function frame(snapshot: LabSnapshot): string {
  let json = serialised.get(snapshot);
  if (json === undefined) serialised.set(snapshot, (json = JSON.stringify(snapshot)));
  return `event: snapshot\ndata: ${json}\n\n`;
}

/**
 * One Server-Sent Events client: the current snapshot at once, then the latest one after each change,
 * throttled. A slow client is never buffered without bound: while the socket needs draining only the
 * latest snapshot is kept, and it is sent on `drain`. Closing (by the client or by `close()`) ends the
 * subscription and every timer.
 */
export class SnapshotStream {
  readonly #res: ServerResponse;
  readonly #timing: StreamTiming;
  readonly #onClose: () => void;
  readonly #unsubscribe: () => void;
  readonly #heartbeat: NodeJS.Timeout;
  #timer: NodeJS.Timeout | undefined;
  #latest: LabSnapshot | undefined;
  #lastSent = -Infinity;
  #closed = false;

  constructor(res: ServerResponse, lab: LabControl, timing: StreamTiming, onClose: () => void) {
    this.#res = res;
    this.#timing = timing;
    this.#onClose = onClose;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // Tells buffering reverse proxies (nginx) to pass events through as they come.
      'x-accel-buffering': 'no',
    });
    // The client went away (its socket is gone already): only the bookkeeping is left.
    res.on('close', () => this.#stop());
    res.on('drain', () => this.#flush());
    // The browser's EventSource reconnects after this many ms when the stream drops.
    res.write('retry: 2000\n\n');
    this.#send(lab.snapshot());
    this.#unsubscribe = lab.subscribe((snapshot) => this.#offer(snapshot));
    this.#heartbeat = setInterval(() => {
      if (!res.writableNeedDrain) res.write(': heartbeat\n\n');
    }, timing.heartbeatMs);
  }

  /** Ends the stream from the server's side (the client's EventSource will reconnect). */
  close(): void {
    this.#stop();
    if (!this.#res.writableEnded) this.#res.end();
  }

  #stop(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    clearInterval(this.#heartbeat);
    clearTimeout(this.#timer);
    this.#latest = undefined;
    this.#onClose();
  }

  #offer(snapshot: LabSnapshot): void {
    if (this.#closed) return;
    this.#latest = snapshot;
    if (this.#timer !== undefined) return;
    const wait = this.#lastSent + this.#timing.minIntervalMs - performance.now();
    if (wait <= 0) {
      this.#flush();
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#flush();
    }, wait);
  }

  #flush(): void {
    if (this.#closed || this.#latest === undefined || this.#res.writableNeedDrain) return;
    this.#send(this.#latest);
    this.#latest = undefined;
  }

  #send(snapshot: LabSnapshot): void {
    this.#res.write(frame(snapshot));
    this.#lastSent = performance.now();
  }
}
