import { encodeOpBody } from '../crdt/codec.js';
import { FastList } from '../crdt/fast/FastList.js';
import { memberOf, type ActorId } from '../crdt/ids.js';
import type { List } from '../crdt/list.js';
import type { Op } from '../crdt/ops.js';
import type { ValueCodec } from '../crdt/value-codec.js';
import type { FeedCrypto } from '../sync/feed-crypto.js';
import type { Request, SyncPage } from '../sync/messages.js';
import { Replica } from '../sync/Replica.js';
import type { Store } from '../sync/store.js';
import { asked, decodeBinaryPush, decodeBinarySyncReply, decodeBinarySyncRequest, encodeBinaryPush, encodeBinarySyncReply, encodeBinarySyncRequest, type WireValues } from '../transport/binary-wire.js';
import { SessionList, type ListView } from './session-list.js';
import { plainStates } from './states.js';
import { ANSWER, decodeEnvelope, decodeRefusal, encodeEnvelope, encodeRefusal, PUSH, REFUSED, SYNC, TAKEN } from './envelope.js';

export interface SessionOptions<T> {
  /** How values are written on the wire and hashed into the feed's signatures. */
  readonly codec: ValueCodec<T>;
  /** How many replicas may ever share the list: member numbers 0 .. members - 1; others' ops are refused. */
  readonly members: number;
  /**
   * Members 0 .. voters - 1 ask each other for sync, and wait for each other before taking their
   * own ops for stable; those from `voters` on are guests that only ask (a browser tab in the lab,
   * `guests` in INTERNALS.md). Default: `members`.
   */
  readonly voters?: number;
  /** The peers this replica talks to, named as the transport names them (a URL, a socket's id). */
  readonly peers: readonly string[];
  /** Where this replica keeps its ops and keys; its member number is the store's. */
  readonly store: Store<T>;
  /** Signing and hashing (Ed25519 and SHA-256): `nodeFeedCrypto` in Node. */
  readonly crypto: FeedCrypto;
  /** Now, in milliseconds (any clock; the session reads none of its own). */
  readonly now: number;
  /** One anti-entropy exchange with a peer this often (ms); default 1,000. */
  readonly syncIntervalMs?: number;
  /** A request not answered within this long (ms) failed, and is tried again after a backoff; default 5,000. */
  readonly timeoutMs?: number;
  /** Values the list may hold, checked on every op received; default: any the codec reads. */
  readonly isValue?: (value: T) => boolean;
  /** Equality of values, where two decodings of one value must be one (objects): `jsonCodec.equals`. */
  readonly equals?: (a: T, b: T) => boolean;
  /**
   * Take and send whole states (`plainStates`): a replica far behind, or one that lacks ops a peer
   * collected, is caught up from the peer's state, and the store compacts into one every
   * `SESSION_COMPACT_EVERY` ops. Every replica a session talks to must take them; default false.
   */
  readonly states?: boolean;
}

/** A message to hand to the transport: `bytes` for the peer named `peer`. */
export interface SessionMessage {
  readonly peer: string;
  readonly bytes: Uint8Array;
}

interface InFlight<T> {
  readonly peer: string;
  readonly request: Request<T>;
  readonly deadline: number;
}

/** Push refusals that mean "ask me first", not a fault: the peer holds less than it said. */
const BEHIND = new Set(['gap', 'unknown_feed', 'other_incarnation']);
/** Most ops and bytes of one page or push (the actors' own limits, under a 1 MiB message). */
const MAX_OPS = 4096;
const MAX_BYTES = 256 * 1024;
/** The largest state sent, leaving room under a 1 MiB message for its proofs and heads. */
const MAX_STATE_BYTES = 896 * 1024;

/**
 * A replica of a list that syncs over any transport, sans I/O: the embedder hands it the bytes
 * that arrive (`receive`), asks it what to send (`poll`) and when to ask again (`nextWakeup`),
 * and says when a peer's connection went (`disconnected`). It reads no clock and opens nothing.
 *
 * Underneath it is the actors' own replicator (`Replica`): every op is stored before anyone can
 * see it, signed into its author's feed, pushed at once to each peer and exchanged by anti-entropy
 * each `syncIntervalMs`, so lost, duplicated, reordered and late messages, restarts and peers
 * that were away all end in one list. Messages are session wire v1 (`envelope.ts`) around wire
 * v5's pushes and sync pages, values written by `codec`. A request unanswered after `timeoutMs`
 * failed and is tried again; a late answer to it is ignored (`receive` says why).
 */
export class SyncSession<T> {
  readonly #replica: Replica<T>;
  readonly #list: SessionList<T>;
  readonly #values: WireValues<T>;
  readonly #timeoutMs: number;
  /** Whether peers are sent states (they take them, as this one does). */
  readonly #states: boolean;
  readonly #inFlight = new Map<number, InFlight<T>>();
  #replies: SessionMessage[] = [];
  #nextId = 1;

  constructor(opts: SessionOptions<T>) {
    const { codec, members } = opts;
    if (!Number.isInteger(members) || members < 1) throw new RangeError(`members must be a whole number of 1 or more, got ${String(members)}`);
    if (opts.store.member >= members) throw new RangeError(`the store's member ${opts.store.member} is not below members (${members})`);
    const isValue = opts.isValue ?? (() => true);
    this.#values = { codec, problem: (v) => (isValue(v) ? null : `value ${String(v)} is not one this list holds`) };
    this.#timeoutMs = opts.timeoutMs ?? 5000;
    this.#states = opts.states === true;
    const encode = (op: Op<T>): Uint8Array => encodeOpBody(op, codec);
    const equals = opts.equals ?? codec.equals;
    const config = {
      syncIntervalMs: opts.syncIntervalMs ?? 1000,
      backoffMinMs: 100,
      backoffMaxMs: 5000,
      maxOps: MAX_OPS,
      maxBytes: MAX_BYTES,
      // An op's size on the wire: its body and its id, at most.
      sizeOf: (op: Op<T>) => encode(op).length + 12,
      rules: { isMember: (actor: ActorId) => memberOf(actor) < members, isValue },
      members,
      ...(opts.voters === undefined ? {} : { voters: opts.voters }),
      encode,
    };
    const listOptions = equals === undefined ? {} : { equals };
    const makeList = (actor: ActorId): List<T> => new FastList<T>(actor, listOptions);
    const snapshots = opts.states === true ? { snapshots: plainStates(codec, listOptions, MAX_STATE_BYTES) } : {};
    this.#replica = new Replica(opts.store, makeList, opts.peers, { ...config, ...snapshots }, opts.now, opts.crypto);
    this.#list = new SessionList(() => this.#replica.list);
  }

  /** The list, to read and follow (`onChange`): one object for the session's life, though the replica may replace its list. */
  get list(): ListView<T> {
    return this.#list;
  }

  /** This replica's author id (its member and incarnation). */
  get actor(): ActorId {
    return this.#replica.actor;
  }

  insert(index: number, value: T): Op<T> {
    return this.insertMany(index, [value])[0] as Op<T>;
  }

  insertMany(index: number, values: readonly T[]): Op<T>[] {
    this.#mayEdit();
    // The list checks the arguments, before anything is stored.
    return this.#replica.editMany(Array.isArray(values) ? values.length : 0, (list) => list.insertMany(index, values));
  }

  delete(index: number): Op<T> {
    return this.deleteMany(index, 1)[0] as Op<T>;
  }

  deleteMany(index: number, count: number): Op<T>[] {
    this.#mayEdit();
    return this.#replica.editMany(typeof count === 'number' ? count : 0, (list) => list.deleteMany(index, count));
  }

  /**
   * Whether this replica may edit now: false for the moment between a peer's answer saying it
   * retired deletes this replica does not hold yet and the ops that bring them (the next pages),
   * when an edit could name an element some replica is collecting. Edits then throw; the actors
   * wait alike (INTERNALS.md, "Who may still name a tombstone").
   */
  mayEdit(): boolean {
    return this.#replica.replicator.mayEdit();
  }

  #mayEdit(): void {
    if (!this.mayEdit()) throw new Error('catching up: a peer retired deletes this replica does not hold yet; edit once the next sync brought them (mayEdit())');
  }

  /**
   * Bytes that came from `peer`: a request, answered in the next `poll`, or an answer to one of
   * this replica's. Returns null when taken, or why not (bytes that are not a message, an answer
   * to no request in flight, ops refused): nothing of what was refused is kept.
   */
  receive(peer: string, bytes: Uint8Array, now: number): string | null {
    try {
      return this.#receive(peer, bytes, now);
    } finally {
      this.#list.check();
    }
  }

  #receive(peer: string, bytes: Uint8Array, now: number): string | null {
    let envelope;
    try {
      envelope = decodeEnvelope(bytes);
    } catch (err) {
      return `not a message: ${(err as Error).message}`;
    }
    const { kind, id, body } = envelope;
    if (kind === PUSH || kind === SYNC) return this.#serve(peer, kind, id, body, now);
    const flight = this.#inFlight.get(id);
    if (flight === undefined || flight.peer !== peer) return `an answer to no request in flight (${id})`;
    this.#inFlight.delete(id);
    const { request } = flight;
    // Read first: a malformed answer counts as none, and the request is tried again after a
    // backoff. What taking a well-formed one throws (the store's errors) is the caller's.
    let answer: { refusal: { code: string; message: string } } | { page: SyncPage<T> } | null;
    try {
      if (kind === REFUSED) answer = { refusal: decodeRefusal(body) };
      else if (request.type === 'push' && kind === TAKEN) answer = null;
      else if (request.type === 'sync' && kind === ANSWER) answer = { page: decodeBinarySyncReply(body, asked(request), this.#values) };
      else throw new Error(`a ${kind === TAKEN ? 'push' : 'sync'} answer to a ${request.type}`);
    } catch (err) {
      this.#replica.onFailure(peer, request, now);
      return `a malformed answer: ${(err as Error).message}`;
    }
    if (answer === null) {
      this.#replica.onReply(peer, request, { type: 'push' }, now);
      return null;
    }
    if ('refusal' in answer) return this.#refused(peer, request, answer.refusal, now);
    const outcome = this.#replica.onReply(peer, request, { type: 'sync', ...answer.page }, now);
    const refused = [...outcome.refusals.map((r) => `${r.code}: ${r.message}`), ...outcome.refused.map((r) => `${r.verdict}${r.why === undefined ? '' : `: ${r.why}`}`)];
    return refused.length === 0 ? null : `ops refused: ${refused.join('; ')}`;
  }

  /** What to send now: answers to requests received, and this replica's own pushes and syncs. */
  poll(now: number): SessionMessage[] {
    // What peers said they retired, once held, is retired here too, and reported: an idle replica
    // that never did would hold every collector to what it retired last.
    this.#replica.replicator.mayEdit();
    for (const [id, flight] of this.#inFlight) {
      if (flight.deadline > now) continue;
      this.#inFlight.delete(id);
      this.#replica.onFailure(flight.peer, flight.request, now);
    }
    const out = this.#replies;
    this.#replies = [];
    for (const { peer, request } of this.#replica.poll(now)) {
      const id = this.#nextId++;
      this.#inFlight.set(id, { peer, request, deadline: now + this.#timeoutMs });
      const body = request.type === 'push' ? encodeBinaryPush(request.from, request.ops, request.proof, request.to, request.told, this.#values) : encodeBinarySyncRequest(request);
      out.push({ peer, bytes: encodeEnvelope(request.type === 'push' ? PUSH : SYNC, id, body) });
    }
    return out;
  }

  /** When `poll` next has something to send, at the latest (now, when answers wait). */
  nextWakeup(now: number): number {
    if (this.#replies.length > 0) return now;
    let at = this.#replica.replicator.nextWakeup(now);
    for (const { deadline } of this.#inFlight.values()) at = Math.min(at, deadline);
    return at;
  }

  /** `peer`'s connection went: what is in flight to it failed, and is tried again after a backoff. */
  disconnected(peer: string, now: number): void {
    for (const [id, flight] of this.#inFlight) {
      if (flight.peer !== peer) continue;
      this.#inFlight.delete(id);
      this.#replica.onFailure(peer, flight.request, now);
    }
  }

  /** Close the store. */
  close(): void {
    this.#replica.close();
  }

  #serve(peer: string, kind: number, id: number, body: Uint8Array, now: number): string | null {
    const refuse = (code: string, message: string): string => {
      this.#replies.push({ peer, bytes: encodeEnvelope(REFUSED, id, encodeRefusal(code, message)) });
      return `${kind === PUSH ? 'push' : 'sync'} refused (${code}): ${message}`;
    };
    let request;
    try {
      request = kind === PUSH ? decodeBinaryPush(body, this.#values) : decodeBinarySyncRequest(body);
    } catch (err) {
      return refuse('invalid_body', (err as Error).message);
    }
    if (!this.#replica.replicator.isMember(request.from)) return refuse('invalid_op', `author ${request.from} is not a member`);
    if ('proof' in request) {
      const result = this.#replica.receivePush(request.from, request.ops, request.proof, now, request.to, request.told);
      if (result.status === 'full') return refuse('pending_full', 'pending set is full; retry later');
      if (result.status === 'refused') return refuse(result.code, result.message);
      if (result.status !== 'ok') return refuse(result.status === 'equivocation' ? 'equivocation' : 'invalid_op', result.message);
      this.#replies.push({ peer, bytes: encodeEnvelope(TAKEN, id) });
      return null;
    }
    const page = this.#replica.serveSync(request.from, request.version, this.#states, request.report, now, request.fullHeads === true);
    this.#replies.push({ peer, bytes: encodeEnvelope(ANSWER, id, encodeBinarySyncReply(this.actor, page, asked(request), this.#values)) });
    return null;
  }

  #refused(peer: string, request: Request<T>, { code, message }: { code: string; message: string }, now: number): string {
    if (request.type === 'push' && BEHIND.has(code)) this.#replica.onBehind(peer);
    else if (request.type === 'push' && code !== 'pending_full') this.#replica.onDropped(peer, request);
    else this.#replica.onFailure(peer, request, now);
    return `${peer} refused a ${request.type} (${code}): ${message}`;
  }
}
