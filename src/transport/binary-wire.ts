import { readBatch, writeBatch } from '../crdt/batch-codec.js';
import { concatBytes, pushVarint, readVarint } from '../crdt/codec.js';
import { isActorId, type ActorId } from '../crdt/ids.js';
import type { Op } from '../crdt/ops.js';
import { MAX_COUNTER } from '../crdt/validate.js';
import type { VersionVector } from '../crdt/version.js';
import { isGene, type Gene } from '../genome/gene.js';
import { KEY_BYTES, SIGNATURE_BYTES } from '../sync/feed-crypto.js';
import type { Branch, Fork, Head, Proof } from '../sync/Feeds.js';
import type { SyncPage } from '../sync/messages.js';
import { decodeSyncReply, MAX_BATCH_OPS, MAX_VERSION_ENTRIES, WIRE_VERSION } from './wire.js';

/**
 * Wire format v3, binary, for actors talking to each other (JSON v2 stays for people and tools):
 * ops travel as run-length batches (`src/crdt/batch-codec.ts`), each feed with its signed point.
 *   push  (POST /genome, Content-Type BINARY_TYPE): 'P' 0x03 from:varint proof batch
 *   reply to POST /sync sent with Accept: BINARY_TYPE:
 *         'S' 0x03 from:varint more:byte n:varint (actor:varint counter:varint){n} p:varint proof{p}
 *             f:varint fork{f} h:varint (actor:varint counter:varint tailed:byte signature:64 bytes){h} batch
 *   reply to POST /sync sent with Accept: STATE_TYPE too, to an asker far behind, in place of ops:
 *         'T' 0x03, then as 'S' up to the heads, then the state (list state v5, Brotli) to the end
 *   proof := actor:varint counter:varint key:32 bytes signature:64 bytes tail:batch (often empty)
 *   fork  := actor:varint at:varint (signature:64 bytes batch){2}
 */
export const BINARY_TYPE = 'application/x-crdt-genome';
/** An asker that lists it in Accept takes a state in place of ops (see INTERNALS.md, "Catch-up from state"). */
export const STATE_TYPE = 'application/x-crdt-genome-state';

const PUSH = 0x50;
const SYNC = 0x53;
const STATE = 0x54;
/** The binary wire's version, the second byte of every message. */
const V3 = 3;

export interface Push {
  readonly from: ActorId;
  readonly ops: Op<Gene>[];
  readonly proof: Proof;
}

export function encodeBinaryPush(from: ActorId, ops: readonly Op<Gene>[], proof: Proof): Uint8Array {
  return concatBytes(Uint8Array.of(PUSH, V3), varintsOf(from), proofBytes(proof), batchBytes(ops));
}

export function decodeBinaryPush(bytes: Uint8Array): Push {
  const r = { pos: 0 };
  header(bytes, r, PUSH, 'push');
  const from = actor(bytes, r);
  const proof = readProof(bytes, r);
  const ops = ops_(bytes, r);
  return { from, ops, proof };
}

export function encodeBinarySyncReply(from: ActorId, page: SyncPage<Gene>): Uint8Array {
  const out = [page.state === undefined ? SYNC : STATE, V3];
  pushVarint(out, from);
  out.push(page.more ? 1 : 0);
  pushVarint(out, page.version.size);
  for (const [a, n] of page.version) {
    pushVarint(out, a);
    pushVarint(out, n);
  }
  const head = (h: Head): Uint8Array => concatBytes(varintsOf(h.actor, h.counter), Uint8Array.of(h.tailed ? 1 : 0), h.signature);
  return concatBytes(
    Uint8Array.from(out),
    varintsOf(page.proofs.length),
    ...page.proofs.map(proofBytes),
    varintsOf(page.forks.length),
    ...page.forks.map(forkBytes),
    varintsOf(page.heads.length),
    ...page.heads.map(head),
    page.state ?? batchBytes(page.ops),
  );
}

export function decodeBinarySyncReply(bytes: Uint8Array): SyncPage<Gene> {
  const r = { pos: 0 };
  const kind = bytes[0] === STATE ? STATE : SYNC;
  header(bytes, r, kind, 'sync reply');
  actor(bytes, r);
  const more = bytes[r.pos++];
  if (more !== 0 && more !== 1) throw new Error('bad "more" flag');
  const n = readVarint(bytes, r);
  if (n > MAX_VERSION_ENTRIES) throw new Error(`a version of ${n} authors`);
  const version = new Map<ActorId, number>();
  for (let i = 0; i < n; i++) version.set(actor(bytes, r), held(bytes, r));
  const p = readVarint(bytes, r);
  if (p > MAX_BATCH_OPS) throw new Error(`${p} proofs for at most ${MAX_BATCH_OPS} ops`);
  const proofs = Array.from({ length: p }, () => readProof(bytes, r));
  const f = readVarint(bytes, r);
  if (f > MAX_VERSION_ENTRIES) throw new Error(`${f} forks`);
  const forks = Array.from({ length: f }, () => readFork(bytes, r));
  const h = readVarint(bytes, r);
  if (h > MAX_VERSION_ENTRIES) throw new Error(`${h} heads`);
  const heads = Array.from({ length: h }, (): Head => {
    const a = actor(bytes, r);
    const counter = held(bytes, r);
    const tailed = bytes[r.pos++];
    if (tailed !== 0 && tailed !== 1) throw new Error('bad "tailed" flag');
    return { actor: a, counter, tailed: tailed === 1, signature: fixed(bytes, r, SIGNATURE_BYTES) };
  });
  if (kind === SYNC) return { version: version as VersionVector, ops: ops_(bytes, r), proofs, forks, heads, more: more === 1 };
  if (r.pos >= bytes.length) throw new Error('a state reply without a state');
  return { version: version as VersionVector, ops: [], proofs, forks, heads, more: more === 1, state: bytes.slice(r.pos) };
}

/** A fork as the binary wire (and the store) writes it. */
export function forkBytes(fork: Fork<Gene>): Uint8Array {
  return concatBytes(varintsOf(fork.actor, fork.at), ...fork.branches.flatMap((b) => [b.signature, batchBytes(b.ops)]));
}

export function readFork(bytes: Uint8Array, r: { pos: number }): Fork<Gene> {
  const a = actor(bytes, r);
  const at = held(bytes, r);
  const branch = (): Branch<Gene> => ({ signature: fixed(bytes, r, SIGNATURE_BYTES), ops: genes(readBatch(bytes, r, MAX_BATCH_OPS)) });
  return { actor: a, at, branches: [branch(), branch()] };
}

function varintsOf(...ns: number[]): Uint8Array {
  const out: number[] = [];
  for (const n of ns) pushVarint(out, n);
  return Uint8Array.from(out);
}

export function batchBytes(ops: readonly Op<Gene>[]): Uint8Array {
  const out: number[] = [];
  writeBatch(out, ops);
  return Uint8Array.from(out);
}

/** `n` bytes; a message that ends before them is malformed. */
function fixed(bytes: Uint8Array, r: { pos: number }, n: number): Uint8Array {
  if (r.pos + n > bytes.length) throw new Error('a signature or key ends early');
  const out = bytes.slice(r.pos, r.pos + n);
  r.pos += n;
  return out;
}

/** A proof as the binary wire writes it. */
export function proofBytes(proof: Proof): Uint8Array {
  return concatBytes(varintsOf(proof.actor, proof.counter), proof.key, proof.signature, batchBytes(proof.tail ?? []));
}

/** A proof: its key and signature must be whole (a truncated one is a malformed message). */
function readProof(bytes: Uint8Array, r: { pos: number }): Proof {
  const a = actor(bytes, r);
  const counter = held(bytes, r);
  const key = fixed(bytes, r, KEY_BYTES);
  const signature = fixed(bytes, r, SIGNATURE_BYTES);
  const tail = genes(readBatch(bytes, r, MAX_BATCH_OPS));
  return tail.length === 0 ? { actor: a, counter, key, signature } : { actor: a, counter, key, signature, tail };
}


/** A peer's answer to a sync: binary, or (an older or a foreign peer) JSON. Throws on anything malformed. */
export function decodeSyncAnswer(contentType: string, bytes: Uint8Array): SyncPage<Gene> {
  if (contentType.startsWith(BINARY_TYPE)) return decodeBinarySyncReply(bytes);
  const json: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
  const other = wireVersionProblem(json);
  if (other !== null) throw new Error(`the peer answered with ${other}`);
  return decodeSyncReply(json);
}

function header(bytes: Uint8Array, r: { pos: number }, kind: number, what: string): void {
  if (bytes[r.pos++] !== kind) throw new Error(`not a binary ${what}`);
  const version = bytes[r.pos++];
  if (version !== V3) throw new Error(otherWireVersion(`a binary ${what} of wire version ${version}`));
}

/**
 * Why a message, which the caller has read as far as its version, is of a wire version this
 * build does not speak; peers must not be misread, so they are told plainly.
 */
function otherWireVersion(what: string): string {
  return `${what}: this actor speaks wire versions ${WIRE_VERSION} (JSON) and ${V3} (binary); run one version of crdt-genome on every actor`;
}

/** The problem with a request body of another wire version, or null (anything else is left to the parsers). */
export function wireVersionProblem(body: unknown): string | null {
  if (Buffer.isBuffer(body)) {
    const [kind, version] = body;
    return (kind === PUSH || kind === SYNC) && version !== undefined && version !== V3 ? otherWireVersion(`a binary message of wire version ${version}`) : null;
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

/** The batch that ends a message: every value a gene, no more than a batch may hold, nothing after. */
function ops_(bytes: Uint8Array, r: { pos: number }): Op<Gene>[] {
  const ops = readBatch(bytes, r, MAX_BATCH_OPS);
  if (r.pos !== bytes.length) throw new Error(`${bytes.length - r.pos} trailing bytes`);
  return genes(ops);
}

/** `ops`, once every value is a gene. */
function genes(ops: Op<Gene>[]): Op<Gene>[] {
  for (const op of ops) if (op.type === 'insert' && !isGene(op.value)) throw new Error(`gene ${op.value} out of range`);
  return ops;
}
