import type { SessionMessage, SyncSession } from './SyncSession.js';

export interface PumpOptions {
  /** Resolves once what the session stored is durable (`IndexedDbStore.flushed`): nothing is sent before. */
  readonly flushed?: () => Promise<void>;
  /** The clock; default `Date.now`. */
  readonly now?: () => number;
}

/**
 * Drive `session` on timers: poll it, hand each message to `send` (which returns false where the
 * peer is not connected: what was for it counts as failed, and is sent again later), and come
 * back when it next has something to send. `wake()` after `receive` or an edit sends at once.
 */
export function pump<T>(session: SyncSession<T>, send: (message: SessionMessage) => boolean, options: PumpOptions = {}): { wake(): void; stop(): void } {
  const now = options.now ?? Date.now;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const wake = async (): Promise<void> => {
    clearTimeout(timer);
    if (stopped) return;
    const t = now();
    const out = session.poll(t);
    await options.flushed?.();
    for (const m of out) if (!send(m)) session.disconnected(m.peer, now());
    if (!stopped) timer = setTimeout(() => void wake(), Math.max(10, session.nextWakeup(t) - t));
  };
  return {
    wake: () => void wake(),
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
