import { readBatch, writeBatch } from '../crdt/batch-codec.js';
import { concatBytes, pushVarint, readVarint } from '../crdt/codec.js';
import { isActorId, type ActorId } from '../crdt/ids.js';
import type { Op } from '../crdt/ops.js';
import { MAX_COUNTER } from '../crdt/validate.js';
import { byteCodec, type ValueCodec } from '../crdt/value-codec.js';
import type { VersionVector } from '../crdt/version.js';
import { isGene, type Gene } from '../genome/gene.js';
import { KEY_BYTES, SIGNATURE_BYTES } from '../sync/feed-crypto.js';
import type { Branch, ChainState, Fork, Head, Proof } from '../sync/Feeds.js';
import type { RetireReport, SyncPage, SyncRequest } from '../sync/messages.js';
import { readDelta, readSet, writeDelta, writeSet } from './vectors.js';
import { MAX_BATCH_OPS, MAX_VERSION_ENTRIES, WIRE_VERSION } from './wire-limits.js';

/**
 * Wire format v6, binary, for actors talking to each other (JSON v2 stays for people and tools):
 * ops travel as run-length batches (`src/crdt/batch-codec.ts`), each feed with its signed point.
 *   push  (POST /genome, Content-Type BINARY_TYPE): 'P' 0x06 from:varint to told:version proof batch,
 *         to := 0x00 | 0x01 incarnation:varint (the one the push is for; another refuses it), and
 *         told: what the sender retired or was told was (see `Replicator.mayEdit`)
 *   sync  (POST /sync, Content-Type BINARY_TYPE): 'Q' 0x06 from:varint flags:byte version:delta(∅)
 *         [own:varint retired:delta(version) heard:set(version) [head]] (flags: 1 a retire
 *         report follows; 2 every head wanted, see `SyncRequest.fullHeads`; 4, with 1, the
 *         asker's head of the responder's own feed ends the report, see `RetireReport.head`)
 *   reply to POST /sync sent with Accept: BINARY_TYPE, read against the request (`Asked`):
 *         'S' 0x06 from:varint more:byte version:delta(asked version) p:varint proof{p}
 *             f:varint fork{f} h:varint head{h}
 *             digest retired batch
 *   reply to POST /sync sent with Accept: STATE_TYPE too, to an asker far behind, in place of ops:
 *         'T' 0x06, then as 'S' up to `retired`, then b:varint base{b}, then the state (list state
 *         v6, Brotli) to the end
 *   proof   := actor:varint counter:varint key:32 bytes signature:64 bytes tail:batch (often empty)
 *   fork    := actor:varint at:varint (signature:64 bytes batch){2}
 *   head    := actor:varint counter:varint tailed:byte signature:64 bytes
 *   version := n:varint (actor:varint counter:varint){n}
 *   delta, set: see `vectors.ts` (a vector as its difference from one the reader has)
 *   digest  := 0x00 | 0x01 set(asked version) 32 bytes: the heads of the feeds the asker holds as
 *              far, as one digest (see `Feeds.digestHeads`)
 *   retired := 0x00 | 0x01 delta(asked retired): what the responder had retired or been told was,
 *              having heard the asker (what the asker holds and retires before its next op)
 *   base    := actor:varint count:varint len:varint chain state:len bytes (see `ChainBases`)
 * v5 added the binary sync request, the deltas and the digest of heads (v4 sent sync requests as
 * JSON, and every vector and head in full: some 160 KB an exchange at a thousand actors); v6
 * added the head in a sync request's report (stability counts branches); every actor of a
 * cluster speaks one version.
 */
export const BINARY_TYPE = 'application/x-crdt-genome';
/** An asker that lists it in Accept takes a state in place of ops (see INTERNALS.md, "Catch-up from state"). */
export const STATE_TYPE = 'application/x-crdt-genome-state';

const PUSH = 0x50;
const REQUEST = 0x51;
const SYNC = 0x53;
const STATE = 0x54;
/** The binary wire's version, the second byte of every message. */
const V6 = 6;
/** A sync request's flags. */
const HAS_REPORT = 1;
const FULL_HEADS = 2;
/** With a report: the asker's signed head of the responder's own feed follows it (`RetireReport.head`). */
const HAS_HEAD = 4;
/** A digest of heads is a SHA-256. */
const DIGEST_BYTES = 32;

/** What an answer is read against: the request it answers (its version, and what it said it retired). */
export interface Asked {
  readonly version: VersionVector;
  readonly retired: VersionVector;
}

/** Nothing: an answer read against it carries every vector whole. */
export const NOTHING_ASKED: Asked = { version: new Map(), retired: new Map() };

/** What a sync request says of itself to its answer's reader. */
export const asked = (request: Pick<SyncRequest, 'version' | 'report'>): Asked => ({ version: request.version, retired: request.report?.retired ?? new Map() });

export function encodeBinarySyncRequest(request: Omit<SyncRequest, 'type' | 'state'>): Uint8Array {
  const out = [REQUEST, V6];
  pushVarint(out, request.from);
  const { report } = request;
  out.push((report === undefined ? 0 : HAS_REPORT) | (request.fullHeads === true ? FULL_HEADS : 0) | (report?.head === undefined ? 0 : HAS_HEAD));
  writeDelta(out, request.version, new Map());
  if (report !== undefined) {
    pushVarint(out, report.own);
    writeDelta(out, report.retired, request.version);
    writeSet(out, report.heard ?? [], request.version);
    if (report.head !== undefined) out.push(...headBytes(report.head));
  }
  return Uint8Array.from(out);
}

const headBytes = (h: Head): Uint8Array => concatBytes(varintsOf(h.actor, h.counter), Uint8Array.of(h.tailed ? 1 : 0), h.signature);

function readHead(bytes: Uint8Array, r: { pos: number }): Head {
  const a = actor(bytes, r);
  const counter = held(bytes, r);
  const tailed = bytes[r.pos++];
  if (tailed !== 0 && tailed !== 1) throw new Error('bad "tailed" flag');
  return { actor: a, counter, tailed: tailed === 1, signature: fixed(bytes, r, SIGNATURE_BYTES) };
}

export function decodeBinarySyncRequest(bytes: Uint8Array): Omit<SyncRequest, 'type' | 'state'> {
  const r = { pos: 0 };
  header(bytes, r, REQUEST, 'sync request');
  const from = actor(bytes, r);
  const flags = bytes[r.pos++] ?? 0;
  if ((flags & ~(HAS_REPORT | FULL_HEADS | HAS_HEAD)) !== 0 || (flags & (HAS_REPORT | HAS_HEAD)) === HAS_HEAD) throw new Error('bad flags');
  const version = readDelta(bytes, r, new Map());
  let report: RetireReport | undefined;
  if ((flags & HAS_REPORT) !== 0) {
    const own = held(bytes, r);
    const retired = readDelta(bytes, r, version);
    const heard = readSet(bytes, r, version);
    report = { own, retired, heard, ...((flags & HAS_HEAD) !== 0 ? { head: readHead(bytes, r) } : {}) };
  }
  if (r.pos !== bytes.length) throw new Error(`${bytes.length - r.pos} trailing bytes`);
  return { from, version, ...(report === undefined ? {} : { report }), ...((flags & FULL_HEADS) !== 0 ? { fullHeads: true } : {}) };
}
/**
 * How a message's values are written (`codec`) and checked once read (`problem`: why a value is
 * not one of the list's, or null). The actors' lists hold genes; an embedder's (`SyncSession`)
 * hold what its codec writes.
 */
export interface WireValues<T> {
  readonly codec: ValueCodec<T>;
  readonly problem: (value: T) => string | null;
}

export const GENE_VALUES: WireValues<Gene> = { codec: byteCodec, problem: (v) => (isGene(v) ? null : `gene ${v} out of range`) };
/** The default where T is left as Gene, its default. */
const genes = <T>(): WireValues<T> => GENE_VALUES as unknown as WireValues<T>;

/** The largest chain state a base may carry (a SHA-256 midstate is far smaller). */
const MAX_CHAIN_STATE = 256;

export interface Push<T = Gene> {
  readonly from: ActorId;
  readonly ops: Op<T>[];
  readonly proof: Proof<T>;
  readonly to?: ActorId;
  readonly told?: VersionVector;
}

export function encodeBinaryPush<T = Gene>(from: ActorId, ops: readonly Op<T>[], proof: Proof<T>, to?: ActorId, told: VersionVector = new Map(), values: WireValues<T> = genes<T>()): Uint8Array {
  return concatBytes(Uint8Array.of(PUSH, V6), varintsOf(from), to === undefined ? Uint8Array.of(0) : concatBytes(Uint8Array.of(1), varintsOf(to)), versionBytes(told), proofBytes(proof, values), batchBytes(ops, values));
}

export function decodeBinaryPush<T = Gene>(bytes: Uint8Array, values: WireValues<T> = genes<T>()): Push<T> {
  const r = { pos: 0 };
  header(bytes, r, PUSH, 'push');
  const from = actor(bytes, r);
  const addressed = bytes[r.pos++];
  if (addressed !== 0 && addressed !== 1) throw new Error('bad "to" flag');
  const to = addressed === 1 ? actor(bytes, r) : undefined;
  const told = readVersion(bytes, r);
  const proof = readProof(bytes, r, values);
  const ops = ops_(bytes, r, values);
  return { from, ops, proof, ...(to === undefined ? {} : { to }), ...(told.size === 0 ? {} : { told }) };
}

export function encodeBinarySyncReply<T = Gene>(from: ActorId, page: SyncPage<T>, to: Asked = NOTHING_ASKED, values: WireValues<T> = genes<T>()): Uint8Array {
  const out = [page.state === undefined ? SYNC : STATE, V6];
  pushVarint(out, from);
  out.push(page.more ? 1 : 0);
  const bases = page.bases ?? [];
  return concatBytes(
    Uint8Array.from(out),
    vectorBytes((o) => writeDelta(o, page.version, to.version)),
    varintsOf(page.proofs.length),
    ...page.proofs.map((p) => proofBytes(p, values)),
    varintsOf(page.forks.length),
    ...page.forks.map((f) => forkBytes(f, values)),
    varintsOf(page.heads.length),
    ...page.heads.map(headBytes),
    page.headsDigest === undefined ? Uint8Array.of(0) : concatBytes(Uint8Array.of(1), vectorBytes((o) => writeSet(o, page.headsDigest?.actors ?? [], to.version)), page.headsDigest.digest),
    page.retired === undefined ? Uint8Array.of(0) : concatBytes(Uint8Array.of(1), vectorBytes((o) => writeDelta(o, page.retired ?? new Map(), to.retired))),
    ...(page.state === undefined ? [] : [varintsOf(bases.length), ...bases.map((b) => concatBytes(varintsOf(b.actor, b.count, b.state.length), b.state))]),
    page.state ?? batchBytes(page.ops, values),
  );
}

export function decodeBinarySyncReply<T = Gene>(bytes: Uint8Array, to: Asked = NOTHING_ASKED, values: WireValues<T> = genes<T>()): SyncPage<T> {
  const r = { pos: 0 };
  const kind = bytes[0] === STATE ? STATE : SYNC;
  header(bytes, r, kind, 'sync reply');
  const from = actor(bytes, r);
  const more = bytes[r.pos++];
  if (more !== 0 && more !== 1) throw new Error('bad "more" flag');
  const version = readDelta(bytes, r, to.version);
  const p = readVarint(bytes, r);
  if (p > MAX_BATCH_OPS) throw new Error(`${p} proofs for at most ${MAX_BATCH_OPS} ops`);
  const proofs = Array.from({ length: p }, () => readProof(bytes, r, values));
  const f = readVarint(bytes, r);
  if (f > MAX_VERSION_ENTRIES) throw new Error(`${f} forks`);
  const forks = Array.from({ length: f }, () => readFork(bytes, r, values));
  const h = readVarint(bytes, r);
  if (h > MAX_VERSION_ENTRIES) throw new Error(`${h} heads`);
  const heads = Array.from({ length: h }, () => readHead(bytes, r));
  const hasDigest = bytes[r.pos++];
  if (hasDigest !== 0 && hasDigest !== 1) throw new Error('bad "digest" flag');
  const digest = hasDigest === 1 ? { headsDigest: { actors: readSet(bytes, r, to.version), digest: fixed(bytes, r, DIGEST_BYTES) } } : {};
  const hasRetired = bytes[r.pos++];
  if (hasRetired !== 0 && hasRetired !== 1) throw new Error('bad "retired" flag');
  const answer = hasRetired === 1 ? { from, retired: readDelta(bytes, r, to.retired) } : {};
  if (kind === SYNC) return { version, ops: ops_(bytes, r, values), proofs, forks, heads, ...digest, more: more === 1, ...answer };
  const b = readVarint(bytes, r);
  if (b > MAX_VERSION_ENTRIES) throw new Error(`${b} bases`);
  const bases = Array.from({ length: b }, (): ChainState => {
    const a = actor(bytes, r);
    const count = held(bytes, r);
    const length = readVarint(bytes, r);
    if (length > MAX_CHAIN_STATE) throw new Error(`a chain state of ${length} bytes`);
    return { actor: a, count, state: fixed(bytes, r, length) };
  });
  if (r.pos >= bytes.length) throw new Error('a state reply without a state');
  return { version, ops: [], proofs, forks, heads, ...digest, more: more === 1, ...answer, ...(b === 0 ? {} : { bases }), state: bytes.slice(r.pos) };
}

function vectorBytes(write: (out: number[]) => void): Uint8Array {
  const out: number[] = [];
  write(out);
  return Uint8Array.from(out);
}

function versionBytes(version: VersionVector): Uint8Array {
  const out: number[] = [];
  pushVarint(out, version.size);
  for (const [a, n] of version) {
    pushVarint(out, a);
    pushVarint(out, n);
  }
  return Uint8Array.from(out);
}

function readVersion(bytes: Uint8Array, r: { pos: number }): VersionVector {
  const n = readVarint(bytes, r);
  if (n > MAX_VERSION_ENTRIES) throw new Error(`a version of ${n} authors`);
  const version = new Map<ActorId, number>();
  for (let i = 0; i < n; i++) version.set(actor(bytes, r), held(bytes, r));
  return version;
}

/** A fork as the binary wire (and the store) writes it. */
export function forkBytes<T = Gene>(fork: Fork<T>, values: WireValues<T> = genes<T>()): Uint8Array {
  return concatBytes(varintsOf(fork.actor, fork.at), ...fork.branches.flatMap((b) => [b.signature, batchBytes(b.ops, values)]));
}

export function readFork<T = Gene>(bytes: Uint8Array, r: { pos: number }, values: WireValues<T> = genes<T>()): Fork<T> {
  const a = actor(bytes, r);
  const at = held(bytes, r);
  const branch = (): Branch<T> => ({ signature: fixed(bytes, r, SIGNATURE_BYTES), ops: checked(readBatch(bytes, r, MAX_BATCH_OPS, values.codec), values) });
  return { actor: a, at, branches: [branch(), branch()] };
}

function varintsOf(...ns: number[]): Uint8Array {
  const out: number[] = [];
  for (const n of ns) pushVarint(out, n);
  return Uint8Array.from(out);
}

export function batchBytes<T = Gene>(ops: readonly Op<T>[], values: WireValues<T> = genes<T>()): Uint8Array {
  const out: number[] = [];
  writeBatch(out, ops, values.codec);
  return Uint8Array.from(out);
}

/** `n` bytes; a message that ends before them is malformed. */
function fixed(bytes: Uint8Array, r: { pos: number }, n: number): Uint8Array {
  if (r.pos + n > bytes.length) throw new Error('a signature, key or chain state ends early');
  const out = bytes.slice(r.pos, r.pos + n);
  r.pos += n;
  return out;
}

/** A proof as the binary wire writes it. */
export function proofBytes<T = Gene>(proof: Proof<T>, values: WireValues<T> = genes<T>()): Uint8Array {
  return concatBytes(varintsOf(proof.actor, proof.counter), proof.key, proof.signature, batchBytes(proof.tail ?? [], values));
}

/** A proof: its key and signature must be whole (a truncated one is a malformed message). */
function readProof<T>(bytes: Uint8Array, r: { pos: number }, values: WireValues<T>): Proof<T> {
  const a = actor(bytes, r);
  const counter = held(bytes, r);
  const key = fixed(bytes, r, KEY_BYTES);
  const signature = fixed(bytes, r, SIGNATURE_BYTES);
  const tail = checked(readBatch(bytes, r, MAX_BATCH_OPS, values.codec), values);
  return tail.length === 0 ? { actor: a, counter, key, signature } : { actor: a, counter, key, signature, tail };
}



function header(bytes: Uint8Array, r: { pos: number }, kind: number, what: string): void {
  if (bytes[r.pos++] !== kind) throw new Error(`not a binary ${what}`);
  const version = bytes[r.pos++];
  if (version !== V6) throw new Error(otherWireVersion(`a binary ${what} of wire version ${version}`));
}

/**
 * Why a message, which the caller has read as far as its version, is of a wire version this
 * build does not speak; peers must not be misread, so they are told plainly.
 */
function otherWireVersion(what: string): string {
  return `${what}: this actor speaks wire versions ${WIRE_VERSION} (JSON) and ${V6} (binary); run one version of crdt-genome on every actor`;
}

/** The problem with a request body of another wire version, or null (anything else is left to the parsers). */
export function wireVersionProblem(body: unknown): string | null {
  // A Buffer is a Uint8Array: the binary wire's body as a route has it.
  if (body instanceof Uint8Array) {
    const [kind, version] = body;
    return (kind === PUSH || kind === SYNC || kind === REQUEST) && version !== undefined && version !== V6 ? otherWireVersion(`a binary message of wire version ${version}`) : null;
  }
  const v = typeof body === 'object' && body !== null ? (body as { v?: unknown }).v : undefined;
  return Number.isInteger(v) && v !== WIRE_VERSION ? otherWireVersion(`a JSON message of wire version ${String(v)}`) : null;
}

function actor(bytes: Uint8Array, r: { pos: number }): ActorId {
  const a = readVarint(bytes, r);
  if (!isActorId(a)) throw new Error(`author ${a} out of range`);
  return a;
}

/** How many ops of an actor a replica holds: never more than any op's counter. */
function held(bytes: Uint8Array, r: { pos: number }): number {
  const n = readVarint(bytes, r);
  if (n > MAX_COUNTER) throw new Error(`a count of ${n} ops is beyond the highest counter`);
  return n;
}

/** The batch that ends a message: every value one of the list's, no more than a batch may hold, nothing after. */
function ops_<T>(bytes: Uint8Array, r: { pos: number }, values: WireValues<T>): Op<T>[] {
  const ops = readBatch(bytes, r, MAX_BATCH_OPS, values.codec);
  if (r.pos !== bytes.length) throw new Error(`${bytes.length - r.pos} trailing bytes`);
  return checked(ops, values);
}

/** `ops`, once every value is one of the list's. */
function checked<T>(ops: Op<T>[], values: WireValues<T>): Op<T>[] {
  for (const op of ops) {
    const problem = op.type === 'insert' ? values.problem(op.value) : null;
    if (problem !== null) throw new Error(problem);
  }
  return ops;
}
