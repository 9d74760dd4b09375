import { Ajv } from 'ajv';
import type { ActorId, OpId } from '../crdt/ids.js';
import { MAX_ACTOR } from '../crdt/ids.js';
import type { Op } from '../crdt/ops.js';
import { MAX_COUNTER } from '../crdt/validate.js';
import { versionFromJSON, versionToJSON, type VersionVector } from '../crdt/version.js';
import type { Gene } from '../genome/gene.js';
import type { Branch, Fork, Head, Proof } from '../sync/Feeds.js';
import type { RetireReport, SyncPage } from '../sync/messages.js';
import { BINARY_TYPE, decodeBinarySyncReply, NOTHING_ASKED, wireVersionProblem, type Asked } from './binary-wire.js';
import { MAX_BATCH_OPS, MAX_VERSION_ENTRIES, WIRE_VERSION } from './wire-limits.js';

/**
 * Wire format v2: JSON, ids as `[author, counter]` (an author is an incarnation of a member).
 *   push  (POST /genome): {"v":2,"from":a,"ops":[op, ...],"proof":proof}
 *   sync  (POST /sync):   {"v":2,"from":a,"version":{"<author>":12, ...}}
 *                         (and, optional, a retire report: "retired":{...},"own":n,"heard":[a, ...],
 *                         "head":head; `head`, the asker's signed head of the responder's own
 *                         feed, added later, still v2)
 *   a push may name the incarnation it is for, "to":b, and say what its sender retired or was
 *   told was, "told":{...} (both optional, added later, still v2)
 *   reply to a sync:      {"v":2,"from":b,"version":{...},"ops":[op, ...],"proofs":[proof, ...],"more":false}
 *                         (and "retired":{...}: what b had retired, having heard the asker, where
 *                         replicas wait for members; an optional field added later, still v2)
 *   op: {"type":"insert","id":[a,3],"value":17,"left":[b,2],"right":null}
 *     | {"type":"delete","id":[a,4],"target":[b,2]}
 *   proof: {"actor":a,"counter":4,"key":"<64 hex digits>","signature":"<128 hex digits>"}: the
 *     author's signature over its feed's first `counter` ops (see INTERNALS.md, "Feeds").
 */
export { BATCH_BYTES, BODY_LIMIT, MAX_BATCH_OPS, MAX_VERSION_ENTRIES, WIRE_VERSION } from './wire-limits.js';

type WireId = [number, number];
export type WireOp =
  | { type: 'insert'; id: WireId; value: number; left: WireId | null; right: WireId | null }
  | { type: 'delete'; id: WireId; target: WireId };
export interface WireProof {
  actor: number;
  counter: number;
  key: string;
  signature: string;
  tail?: WireOp[];
}
export interface WireFork {
  actor: number;
  at: number;
  branches: Array<{ ops: WireOp[]; signature: string }>;
}
export interface WireBatch {
  v: typeof WIRE_VERSION;
  from: number;
  ops: WireOp[];
  proof: WireProof;
  /** The incarnation the push is for (optional; another refuses it, `other_incarnation`). */
  to?: number;
  /** What the sender retired or was told was (optional). */
  told?: Record<string, number>;
}
export interface WireSyncRequest {
  v: typeof WIRE_VERSION;
  from: number;
  version: Record<string, number>;
  /** The asker's retire report (both or neither): what it retired, and its own ops then. */
  retired?: Record<string, number>;
  own?: number;
  /** With a report, optional: the incarnations the asker had heard from. */
  heard?: number[];
  /** With a report, optional: the asker's signed head of the responder's own feed. */
  head?: WireHead;
}
export interface WireHead {
  actor: number;
  counter: number;
  signature: string;
  tailed: boolean;
}
export interface WireSyncReply {
  v: typeof WIRE_VERSION;
  from: number;
  version: Record<string, number>;
  ops: WireOp[];
  proofs: WireProof[];
  forks: WireFork[];
  heads: WireHead[];
  more: boolean;
  retired?: Record<string, number>;
}

// Any safe integer: a counter beyond MAX_COUNTER is a well-formed op that no replica takes, which
// the replicator's check answers with 400 `invalid_op`.
const counter = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } as const;
/** How many ops of an actor a replica holds: never more than any op's counter. */
const held = { type: 'integer', minimum: 0, maximum: MAX_COUNTER } as const;
const actorSchema = { type: 'integer', minimum: 0, maximum: MAX_ACTOR } as const;
const idSchema = {
  type: 'array',
  items: [actorSchema, counter],
  minItems: 2,
  maxItems: 2,
} as const;
const opsSchema = {
  type: 'array',
  maxItems: MAX_BATCH_OPS,
  items: {
    oneOf: [
      {
        type: 'object',
        required: ['type', 'id', 'value', 'left', 'right'],
        additionalProperties: false,
        properties: {
          type: { const: 'insert' },
          id: idSchema,
          value: { type: 'integer', minimum: 0, maximum: 255 },
          left: { oneOf: [{ type: 'null' }, idSchema] },
          right: { oneOf: [{ type: 'null' }, idSchema] },
        },
      },
      {
        type: 'object',
        required: ['type', 'id', 'target'],
        additionalProperties: false,
        properties: { type: { const: 'delete' }, id: idSchema, target: idSchema },
      },
    ],
  },
} as const;
const signatureSchema = { type: 'string', pattern: '^[0-9a-f]{128}$' } as const;
const proofSchema = {
  type: 'object',
  required: ['actor', 'counter', 'key', 'signature'],
  additionalProperties: false,
  properties: { actor: actorSchema, counter: held, key: { type: 'string', pattern: '^[0-9a-f]{64}$' }, signature: signatureSchema, tail: opsSchema },
} as const;
const branchSchema = { type: 'object', required: ['ops', 'signature'], additionalProperties: false, properties: { ops: opsSchema, signature: signatureSchema } } as const;
const forkSchema = {
  type: 'object',
  required: ['actor', 'at', 'branches'],
  additionalProperties: false,
  properties: { actor: actorSchema, at: counter, branches: { type: 'array', minItems: 2, maxItems: 2, items: branchSchema } },
} as const;
const versionSchema = {
  type: 'object',
  maxProperties: MAX_VERSION_ENTRIES,
  // An author id as JSON writes an integer (at most 16 digits; the decoder checks its range).
  propertyNames: { pattern: '^(0|[1-9][0-9]{0,15})$' },
  additionalProperties: held,
} as const;
const header = { v: { const: WIRE_VERSION }, from: actorSchema } as const;

/** JSON schemas; the HTTP layer validates bodies against them before anything else. */
export const batchSchema = {
  type: 'object',
  required: ['v', 'from', 'ops', 'proof'],
  additionalProperties: false,
  properties: { ...header, ops: opsSchema, proof: proofSchema, to: actorSchema, told: versionSchema },
} as const;
const headSchema = {
  type: 'object',
  required: ['actor', 'counter', 'signature', 'tailed'],
  additionalProperties: false,
  properties: { actor: actorSchema, counter: held, signature: signatureSchema, tailed: { type: 'boolean' } },
} as const;
export const syncRequestSchema = {
  type: 'object',
  required: ['v', 'from', 'version'],
  additionalProperties: false,
  properties: { ...header, version: versionSchema, retired: versionSchema, own: held, heard: { type: 'array', maxItems: MAX_VERSION_ENTRIES, items: actorSchema }, head: headSchema },
  dependencies: { retired: ['own'], own: ['retired'], heard: ['retired'], head: ['retired'] },
} as const;
export const syncReplySchema = {
  type: 'object',
  required: ['v', 'from', 'version', 'ops', 'proofs', 'forks', 'heads', 'more'],
  additionalProperties: false,
  properties: {
    ...header,
    version: versionSchema,
    ops: opsSchema,
    proofs: { type: 'array', maxItems: MAX_BATCH_OPS, items: proofSchema },
    forks: { type: 'array', maxItems: MAX_VERSION_ENTRIES, items: forkSchema },
    heads: { type: 'array', maxItems: MAX_VERSION_ENTRIES, items: headSchema },
    more: { type: 'boolean' },
    retired: versionSchema,
  },
} as const;

const toWireId = (id: OpId): WireId => [id.actor, id.counter];
const fromWireId = ([actor, c]: WireId): OpId => ({ actor: actor as ActorId, counter: c });
const fromWireRef = (id: WireId | null): OpId | null => (id === null ? null : fromWireId(id));

export function encodeOp(op: Op<Gene>): WireOp {
  return op.type === 'insert'
    ? { type: 'insert', id: toWireId(op.id), value: op.value, left: op.left && toWireId(op.left), right: op.right && toWireId(op.right) }
    : { type: 'delete', id: toWireId(op.id), target: toWireId(op.target) };
}

/** Decode an op that has passed the schema. */
export function decodeOp(w: WireOp): Op<Gene> {
  return w.type === 'insert'
    ? { type: 'insert', id: fromWireId(w.id), value: w.value, left: fromWireRef(w.left), right: fromWireRef(w.right) }
    : { type: 'delete', id: fromWireId(w.id), target: fromWireId(w.target) };
}

/** Bytes an op takes in a batch (its JSON plus a comma). */
export const wireSize = (op: Op<Gene>): number => JSON.stringify(encodeOp(op)).length + 1;

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const bytesOf = (hexString: string): Uint8Array => new Uint8Array(Buffer.from(hexString, 'hex'));

export const encodeProof = (p: Proof): WireProof => ({ actor: p.actor, counter: p.counter, key: hex(p.key), signature: hex(p.signature), ...(p.tail === undefined ? {} : { tail: p.tail.map(encodeOp) }) });
/** Decode a proof that has passed the schema. */
export const decodeProof = (w: WireProof): Proof => ({ actor: w.actor as ActorId, counter: w.counter, key: bytesOf(w.key), signature: bytesOf(w.signature), ...(w.tail === undefined ? {} : { tail: w.tail.map(decodeOp) }) });

const encodeFork = (f: Fork<Gene>): WireFork => ({ actor: f.actor, at: f.at, branches: f.branches.map((b) => ({ ops: b.ops.map(encodeOp), signature: hex(b.signature) })) });
/** Decode a fork that has passed the schema (two branches). */
const decodeFork = (w: WireFork): Fork<Gene> => {
  const branch = (x: WireFork['branches'][number] | undefined): Branch<Gene> => ({ ops: (x?.ops ?? []).map(decodeOp), signature: bytesOf(x?.signature ?? '') });
  return { actor: w.actor as ActorId, at: w.at, branches: [branch(w.branches[0]), branch(w.branches[1])] };
};

export function encodePush(from: ActorId, ops: readonly Op<Gene>[], proof: Proof): string {
  return JSON.stringify({ v: WIRE_VERSION, from, ops: ops.map(encodeOp), proof: encodeProof(proof) } satisfies WireBatch);
}

export function encodeSyncRequest(from: ActorId, version: VersionVector, report?: RetireReport): string {
  const heard = report?.heard === undefined ? {} : { heard: [...report.heard] };
  const head = report?.head === undefined ? {} : { head: encodeHead(report.head) };
  const body: WireSyncRequest = { v: WIRE_VERSION, from, version: versionToJSON(version), ...(report === undefined ? {} : { retired: versionToJSON(report.retired), own: report.own, ...heard, ...head }) };
  return JSON.stringify(body);
}

const encodeHead = (h: Head): WireHead => ({ actor: h.actor, counter: h.counter, signature: hex(h.signature), tailed: h.tailed });
/** Decode a head that has passed the schema. */
export const decodeHead = (w: WireHead): Head => ({ actor: w.actor as ActorId, counter: w.counter, signature: bytesOf(w.signature), tailed: w.tailed });

export function encodeSyncReply(from: ActorId, page: SyncPage<Gene>): WireSyncReply {
  return { v: WIRE_VERSION, from, version: versionToJSON(page.version), ops: page.ops.map(encodeOp), proofs: page.proofs.map(encodeProof), forks: page.forks.map(encodeFork), heads: page.heads.map(encodeHead), more: page.more, ...(page.retired === undefined ? {} : { retired: versionToJSON(page.retired) }) };
}

const validateReply = new Ajv({ strict: false }).compile<WireSyncReply>(syncReplySchema);

/** Check and decode a peer's answer to a sync request; throws on anything malformed. */
export function decodeSyncReply(json: unknown): SyncPage<Gene> {
  if (!validateReply(json)) throw new Error(`malformed sync reply: ${validateReply.errors?.[0]?.message ?? 'invalid'}`);
  return { version: versionFromJSON(json.version), ops: json.ops.map(decodeOp), proofs: json.proofs.map(decodeProof), forks: json.forks.map(decodeFork), heads: json.heads.map(decodeHead), more: json.more, ...(json.retired === undefined ? {} : { from: json.from as ActorId, retired: versionFromJSON(json.retired) }) };
}

/** A peer's answer to a sync: binary, or (an older or a foreign peer) JSON. Throws on anything malformed. */
export function decodeSyncAnswer(contentType: string, bytes: Uint8Array, to: Asked = NOTHING_ASKED): SyncPage<Gene> {
  if (contentType.startsWith(BINARY_TYPE)) return decodeBinarySyncReply(bytes, to);
  const json: unknown = JSON.parse(new TextDecoder().decode(bytes));
  const other = wireVersionProblem(json);
  if (other !== null) throw new Error(`the peer answered with ${other}`);
  return decodeSyncReply(json);
}
