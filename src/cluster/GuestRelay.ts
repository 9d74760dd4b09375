import { memberOf, type ActorId } from '../crdt/ids.js';
import { concatBytes } from '../crdt/codec.js';
import { ANSWER, decodeEnvelope, encodeEnvelope, encodeRefusal, PUSH, REFUSED, SYNC, TAKEN } from '../session/envelope.js';
import { inflate } from '../store/snapshot.js';
import { asked, BINARY_TYPE, decodeBinaryPush, decodeBinarySyncReply, decodeBinarySyncRequest, STATE_TYPE } from '../transport/binary-wire.js';
import { signRequest } from '../transport/cluster-mac.js';
import { request, RequestError } from '../transport/http-client.js';
import { HttpError } from '../transport/http-server.js';
import type { ActorView, JoinAnswer, ReplicaRelay } from '../web/types.js';

export interface GuestRelayOptions {
  /** Base URL of actor i. */
  urls: readonly string[];
  /** Member slots beyond the actors (`--guests`). */
  guests: number;
  /** The actors' cluster key, or null where they take requests unsigned. */
  clusterKey: string | null;
  /** Names this cluster for as long as its actors keep their stores. */
  cluster: string;
  /** The actors as the lab last saw them. */
  actors: () => readonly ActorView[];
  now?: () => number;
}

/** A slot whose tab was not heard from for this long may go to another tab (its old replica is then refused). */
export const GUEST_IDLE_MS = 10 * 60_000;
/** How long the relay waits for an actor's answer. */
const FORWARD_TIMEOUT_MS = 5000;

interface Slot {
  tab: string;
  /** The incarnation this slot's replica is, once it has sent something. */
  incarnation: ActorId | null;
  seen: number;
}

/**
 * The lab's relay for guests (a browser tab's replica): it gives each tab a member slot of its
 * own, and carries the tab's session messages to an actor, signed with the cluster key the tab
 * never sees. One live replica per slot, which collection rests on (INTERNALS.md, "Guests"): a
 * slot is bound to the incarnation that first speaks in it, and another is refused until its tab
 * joins again. A state an actor answers with comes inflated (a browser has no Brotli).
 */
export class GuestRelay implements ReplicaRelay {
  readonly #opts: GuestRelayOptions;
  readonly #now: () => number;
  /** Member number → its slot. */
  readonly #slots = new Map<number, Slot>();

  constructor(opts: GuestRelayOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
  }

  get #first(): number {
    return this.#opts.urls.length;
  }

  join(tab: string, hint?: number): JoinAnswer {
    const now = this.#now();
    const { guests, urls, cluster } = this.#opts;
    if (guests === 0) throw new HttpError(409, 'this lab has no guest slots: start it with `--guests <k>`', 'no_slot');
    const member = this.#slotFor(tab, hint, now);
    // A tab that joins (again) starts its replica: the incarnation that speaks next is its own.
    this.#slots.set(member, { tab, incarnation: null, seen: now });
    const actors = urls.map((_, i) => i);
    const up = this.#opts.actors().filter((a) => a.phase === 'up').map((a) => a.id);
    // Tabs spread over the actors that are up.
    const actor = up.length === 0 ? 0 : (up[(member - this.#first) % up.length] as number);
    return { member, members: this.#first + guests, actor, actors, cluster };
  }

  async forward(actor: number, bytes: Uint8Array): Promise<Uint8Array> {
    const url = this.#opts.urls[actor];
    if (url === undefined) throw new HttpError(404, `no actor ${actor}: the lab has actors 0..${this.#opts.urls.length - 1}`, 'unknown_actor');
    let envelope;
    try {
      envelope = decodeEnvelope(bytes);
    } catch (err) {
      throw new HttpError(400, `not a session message: ${(err as Error).message}`, 'invalid_body');
    }
    const { kind, id, body } = envelope;
    if (kind !== PUSH && kind !== SYNC) throw new HttpError(400, 'only a push or a sync request is relayed', 'invalid_body');
    const refused = (code: string, message: string): Uint8Array => encodeEnvelope(REFUSED, id, encodeRefusal(code, message));
    let read;
    try {
      read = kind === PUSH ? decodeBinaryPush(body) : decodeBinarySyncRequest(body);
    } catch (err) {
      return refused('invalid_body', (err as Error).message);
    }
    this.#admit(read.from);
    const path = kind === PUSH ? '/genome' : '/sync';
    const signed = this.#opts.clusterKey === null ? {} : signRequest(this.#opts.clusterKey, 'POST', path, read.from, body, this.#now());
    let answer;
    try {
      answer = await request(`${url}${path}`, { method: 'POST', body, contentType: BINARY_TYPE, headers: signed, timeoutMs: FORWARD_TIMEOUT_MS, ...(kind === SYNC ? { accept: `${BINARY_TYPE}, ${STATE_TYPE}` } : {}) });
    } catch (err) {
      if (err instanceof RequestError && err.status !== undefined && err.code !== undefined && err.status !== 401) return refused(err.code, err.message);
      throw new HttpError(502, `actor ${actor} did not answer: ${(err as Error).message}`, 'actor_unreachable');
    }
    if (kind === PUSH) return encodeEnvelope(TAKEN, id);
    return encodeEnvelope(ANSWER, id, 'version' in read ? plainState(answer.bytes, asked(read)) : answer.bytes);
  }

  /** Only a guest, in its own slot, as the incarnation bound to it. */
  #admit(from: ActorId): void {
    const member = memberOf(from);
    if (member < this.#first || member >= this.#first + this.#opts.guests) throw new HttpError(403, `member ${member} is not a guest slot of this lab (${this.#first}..${this.#first + this.#opts.guests - 1})`, 'not_a_guest');
    const slot = this.#slots.get(member) ?? { tab: '', incarnation: null, seen: 0 };
    if (slot.incarnation !== null && slot.incarnation !== from) throw new HttpError(409, `guest slot ${member} belongs to another replica: join again to start a new one`, 'slot_taken');
    this.#slots.set(member, { ...slot, incarnation: from, seen: this.#now() });
  }

  /** The tab's slot: its own, the one it names if free, the first free, or the one idle longest past GUEST_IDLE_MS. */
  #slotFor(tab: string, hint: number | undefined, now: number): number {
    // A slot a replica spoke in before any tab joined it (the lab restarted) is its tab's to claim.
    const free = (m: number): boolean => m >= this.#first && m < this.#first + this.#opts.guests && (this.#slots.get(m)?.tab ?? '') === '';
    for (const [member, slot] of this.#slots) if (slot.tab === tab) return member;
    if (hint !== undefined && free(hint)) return hint;
    for (let m = this.#first; m < this.#first + this.#opts.guests; m++) if (!this.#slots.has(m)) return m;
    let idle: [number, Slot] | null = null;
    for (const entry of this.#slots) if (idle === null || entry[1].seen < idle[1].seen) idle = entry;
    if (idle !== null && now - idle[1].seen >= GUEST_IDLE_MS) return idle[0];
    throw new HttpError(409, `all ${this.#opts.guests} guest slots are held by other tabs (one frees after ${GUEST_IDLE_MS / 60_000} minutes unheard)`, 'no_slot');
  }
}

/** A sync answer with its state, if it carries one, inflated: the rest of the answer stays as the actor wrote it. */
function plainState(bytes: Uint8Array, to: ReturnType<typeof asked>): Uint8Array {
  const { state } = decodeBinarySyncReply(bytes, to);
  if (state === undefined) return bytes;
  return concatBytes(bytes.subarray(0, bytes.length - state.length), inflate(state));
}
