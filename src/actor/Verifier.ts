import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Rng } from '../genome/Rng.js';
import { requestJson } from '../transport/http-client.js';
import { sample } from '../util/sample.js';
import type { ActorState, Status } from './ActorState.js';

/** Peers a verify round compares with: all of a small cluster's, a sample of a large one's. */
export const VERIFY_SAMPLE = 8;

/**
 * Every `intervalMs`, asks up to `VERIFY_SAMPLE` peers for their status (every peer in a cluster
 * that small, otherwise as many drawn at random, again each round: a round costs the same at 1,000
 * actors as at 9) and logs `match count = N`, N being the peers compared whose genome digest
 * equals ours. A peer that does not answer counts as no match; that it went away (or came back)
 * is logged once, when it changes. Peers in the actor's partition (a runtime fault) are not
 * asked, and count as no match.
 */
export async function runVerifier(
  state: ActorState,
  peers: readonly string[],
  opts: { intervalMs: number; timeoutMs: number; rng: Rng },
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
    // A small cluster's peers in order, as before; a large one's drawn.
    const compared = peers.length <= VERIFY_SAMPLE ? peers : sample(peers, VERIFY_SAMPLE, () => opts.rng.next());
    const answers = await Promise.all(
      compared.filter((url) => !state.faults.cuts(url)).map(async (url) => {
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
    log.info({ matchCount, compared: compared.length, peers: peers.length, length: state.replica.list.length }, `match count = ${matchCount}`);
  }
}
