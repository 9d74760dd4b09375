import type { Logger } from 'pino';
import { formatActor, formatId } from '../crdt/ids.js';
import type { Gene } from '../genome/gene.js';
import type { Rng } from '../genome/Rng.js';
import type { Reply, Request } from '../sync/messages.js';
import type { Outgoing } from '../sync/Replicator.js';
import { asked, BINARY_TYPE, encodeBinaryPush, encodeBinarySyncRequest, STATE_TYPE } from '../transport/binary-wire.js';
import { decodeSyncAnswer } from '../transport/wire.js';
import { signRequest } from '../transport/cluster-mac.js';
import { request as httpRequest, RequestError } from '../transport/http-client.js';
import type { ActorState } from './ActorState.js';
import { LogThrottle, quietSince } from './LogThrottle.js';

export interface OutboxOptions {
  timeoutMs: number;
  /** Decides which messages are dropped (at the drop rate of the actor's live `FaultState`). */
  dropRng: Rng;
  /** Called when storing what a peer sent fails: the actor cannot go on safely. */
  onFatal: (err: unknown) => void;
  /** Signs every request with the cluster MAC; null: requests go unsigned. */
  clusterKey: string | null;
  /** Told of each sync page taken from a peer, and whether the peer said it has more. */
  onSyncPage?: (peer: string, more: boolean) => void;
}

/**
 * Carries the replicator's requests over HTTP: asks it what to send (after every event and when
 * its next timer is due), sends each request with a timeout, and reports how it ended. Faults are
 * injected here, at the transport, as the actor's `FaultState` says at the time of sending. A
 * dropped message is treated as delivered. A message to a peer in the partition is
 * not attempted and is reported as a failure, so the replicator backs off and retries as it would
 * for a network that does not answer.
 */
export class Outbox {
  readonly #state: ActorState;
  readonly #log: Logger;
  readonly #opts: OutboxOptions;
  readonly #failing = new Map<string, string>();
  /** Forks already logged. */
  readonly #forks = new Set<string>();
  /** A page of junk must not make a line per op. */
  readonly #refusals = new LogThrottle();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(state: ActorState, log: Logger, opts: OutboxOptions) {
    this.#state = state;
    this.#log = log;
    this.#opts = opts;
  }

  /** Send whatever is due now, and set a timer for what is due later. */
  pump(): void {
    if (this.#stopped) return;
    const now = Date.now();
    for (const out of this.#state.replica.poll(now)) this.#send(out);
    clearTimeout(this.#timer);
    const wake = this.#state.replica.replicator.nextWakeup(now);
    this.#timer = setTimeout(() => this.pump(), Math.max(1, wake - Date.now()));
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #send({ peer, request }: Outgoing<Gene>): void {
    const { replica, messages: counts, faults } = this.#state;
    if (faults.cuts(peer)) {
      counts.blocked++;
      // The backoff is in the future, so the timer set at the end of this pump retries it.
      replica.onFailure(peer, request, Date.now());
      return;
    }
    const { dropRate } = faults;
    if (dropRate > 0 && this.#opts.dropRng.next() < dropRate) {
      counts.dropped++;
      replica.onDropped(peer, request);
      queueMicrotask(() => this.pump());
      return;
    }
    // Everything travels in binary (wire v5).
    const [path, body] = request.type === 'push' ? ['/genome', encodeBinaryPush(request.from, request.ops, request.proof, request.to, request.told)] : ['/sync', encodeBinarySyncRequest(request)];
    counts.bytesOut += body.length;
    if (request.type === 'sync') counts.syncRounds++;
    const signed = this.#opts.clusterKey === null ? {} : signRequest(this.#opts.clusterKey, 'POST', path, request.from, body, Date.now());
    this.#exchange(peer, request, path, body, signed)
      .catch((err: unknown) => this.#opts.onFatal(err))
      .finally(() => this.pump());
  }

  async #exchange(peer: string, request: Request<Gene>, path: string, body: Uint8Array, headers: Record<string, string>): Promise<void> {
    const { replica, messages } = this.#state;
    let reply: Reply<Gene>;
    try {
      const answer = await httpRequest(`${peer}${path}`, {
        method: 'POST',
        body,
        timeoutMs: this.#opts.timeoutMs,
        headers,
        contentType: BINARY_TYPE,
        ...(request.type === 'sync' ? { accept: `${BINARY_TYPE}, ${request.state === true ? `${STATE_TYPE}, ` : ''}application/json` } : {}),
      });
      if (request.type === 'sync') messages.bytesIn += answer.bytes.length;
      reply = request.type === 'push' ? { type: 'push' } : { type: 'sync', ...decodeSyncAnswer(answer.contentType, answer.bytes, asked(request)) };
    } catch (err) {
      if (this.#stopped) return;
      messages.failed++;
      const message = err instanceof Error ? err.message : String(err);
      const status = err instanceof RequestError ? (err.status ?? 0) : 0;
      const code = err instanceof RequestError ? err.code : undefined;
      if (request.type === 'push' && (code === 'gap' || code === 'unknown_feed' || code === 'other_incarnation')) {
        // The peer holds less of our feed than it told us, or is another incarnation than the one
        // that told us (it lost its store): ask it first.
        this.#log.info({ peer, code }, `${peer} holds less of this actor's ops than it said, or lost its store (${code}); syncing with it first`);
        replica.onBehind(peer);
        return;
      }
      if (request.type === 'push' && status >= 400 && status < 500) {
        // Refused for good (e.g. an equivocation): retrying cannot help; anti-entropy carries the rest.
        this.#log.error({ peer, error: message }, `push to ${peer} refused, not retried: ${message}`);
        replica.onDropped(peer, request);
        return;
      }
      this.#failed(peer, request, message);
      replica.onFailure(peer, request, Date.now());
      return;
    }
    if (this.#stopped) return;
    messages.sent++;
    this.#ok(peer);
    // Errors from here on are the store's: not the peer's fault, and fatal (see INTERNALS.md).
    const outcome = replica.onReply(peer, request, reply, Date.now());
    if (reply.type === 'sync') this.#opts.onSyncPage?.(peer, reply.more);
    this.#newForks(peer);
    if (outcome.state?.taken === true) {
      this.#log.info({ peer, ops: outcome.state.ops, bytes: outcome.state.bytes.length }, `caught up from a state of ${peer}: ${outcome.state.ops} ops it lacked, in ${outcome.state.bytes.length} bytes`);
    } else if (outcome.state?.taken === false) {
      const pass = this.#refusals.pass(`state ${peer}`);
      if (pass !== null) this.#log.error({ sender: peer }, `state from ${peer} refused, asking it for ops instead: ${outcome.state.why}${quietSince(pass.quiet)}`);
    }
    for (const refusal of outcome.refusals) {
      const pass = this.#refusals.pass(`${refusal.code} ${peer}`);
      if (pass !== null) this.#log.error({ sender: peer, code: refusal.code }, `sync page from ${peer}: ops left out (${refusal.code}): ${refusal.message}${quietSince(pass.quiet)}`);
    }
    for (const { op, verdict, why } of outcome.refused) {
      const what = verdict === 'equivocation' ? 'equivocation' : 'invalid op';
      const pass = this.#refusals.pass(`${what} ${peer}`);
      if (pass !== null) this.#log.error({ sender: peer, op: formatId(op.id) }, `${what} from ${peer}: op ${formatId(op.id)} refused${why === undefined ? '' : `: ${why}`}${quietSince(pass.quiet)}`);
    }
  }

  /** A fork learned from a peer's answer is logged once, at error: someone's key signed two branches. */
  #newForks(peer: string): void {
    for (const { actor, at } of this.#state.replica.replicator.feeds.equivocations()) {
      const key = `${actor}.${at}`;
      if (this.#forks.has(key)) continue;
      this.#forks.add(key);
      this.#log.error({ sender: peer, author: formatActor(actor), at }, `equivocation: author ${formatActor(actor)} signed two different ops at ${at} (proof from ${peer}); its feed is frozen there, and what builds on it is dropped`);
    }
  }

  #ok(peer: string): void {
    if (this.#failing.delete(peer)) this.#log.info({ peer }, `replication with ${peer} works again`);
  }

  /** Logged when the failure changes, not on every retry. */
  #failed(peer: string, request: Request<Gene>, message: string): void {
    if (this.#failing.get(peer) === message) return;
    this.#failing.set(peer, message);
    // A peer of another wire version needs a person, not a retry: said at error level.
    const level = message.includes('wire version') ? 'error' : 'warn';
    this.#log[level]({ peer, request: request.type, error: message }, `${request.type} to ${peer} failed, retrying with backoff: ${message}`);
  }
}

