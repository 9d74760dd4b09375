import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { requestJson } from '../transport/http-client.js';
import type { ActorState, Status } from './ActorState.js';

/**
 * Every `intervalMs`, asks every peer for its status in parallel and logs `match count = N`,
 * N being the peers whose genome digest equals ours. A peer that does not answer counts as no
 * match; that it went away (or came back) is logged once, when it changes. Peers in the actor's
 * partition (a runtime fault) are not asked, and count as no match.
 */
export async function runVerifier(
  state: ActorState,
  peers: readonly string[],
  opts: { intervalMs: number; timeoutMs: number },
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  const down = new Map<string, string>();
  while (!signal.aborted) {
    try {
      await sleep(opts.intervalMs, undefined, { signal });
    } catch {
      return;
    }
    const answers = await Promise.all(
      peers.filter((url) => !state.faults.cuts(url)).map(async (url) => {
        try {
          const status = await requestJson<Status>(`${url}/status`, { timeoutMs: opts.timeoutMs });
          if (down.delete(url)) log.info({ peer: url }, `peer ${url} is reachable again`);
          return status.digest;
        } catch (err) {
          const reason = err instanceof Error ? err.message : String(err);
          if (!down.has(url)) log.warn({ peer: url, error: reason }, `peer ${url} is unreachable: ${reason}`);
          down.set(url, reason);
          return null;
        }
      }),
    );
    if (signal.aborted) return;
    const matchCount = answers.filter((d) => d === state.digest).length;
    state.matchCount = matchCount;
    log.info({ matchCount, peers: peers.length, length: state.replica.list.length }, `match count = ${matchCount}`);
  }
}
