import { Ajv } from 'ajv';
import type { ActorId, OpId } from '../crdt/ids.js';
import { MAX_ACTOR } from '../crdt/ids.js';
import type { Op } from '../crdt/ops.js';
import { MAX_COUNTER } from '../crdt/validate.js';
import { versionFromJSON, versionToJSON, type VersionVector } from '../crdt/version.js';
import type { Gene } from '../genome/gene.js';
import type { SyncPage } from '../sync/messages.js';

/**
 * Wire format v1: JSON, ids as `[actor, counter]`.
 *   push  (POST /genome): {"v":1,"from":0,"ops":[op, ...]}
 *   sync  (POST /sync):   {"v":1,"from":0,"version":{"0":12,"1":7}}
 *   reply to a sync:      {"v":1,"from":1,"version":{...},"ops":[op, ...],"more":false,"yours":12}
 *   op: {"type":"insert","id":[0,3],"value":17,"left":[1,2],"right":null}
 *     | {"type":"delete","id":[0,4],"target":[1,2]}
 */
export const WIRE_VERSION = 1;

/** Largest request body an actor accepts; senders keep batches and pages well below it. */
export const BODY_LIMIT = 1024 * 1024;
/** Push batches and sync pages stay under this many bytes of ops... */
export const BATCH_BYTES = 256 * 1024;
/** ...and this many ops (also enforced by the schema). */
export const MAX_BATCH_OPS = 4096;

type WireId = [number, number];
export type WireOp =
  | { type: 'insert'; id: WireId; value: number; left: WireId | null; right: WireId | null }
  | { type: 'delete'; id: WireId; target: WireId };
export interface WireBatch {
  v: typeof WIRE_VERSION;
  from: number;
  ops: WireOp[];
}
export interface WireSyncRequest {
  v: typeof WIRE_VERSION;
  from: number;
  version: Record<string, number>;
}
export interface WireSyncReply extends WireBatch {
  version: Record<string, number>;
  more: boolean;
  yours: number;
}

// Any safe integer: a counter beyond MAX_COUNTER is a well-formed op that no replica takes, which
// the replicator's check answers with 400 `invalid_op`.
const counter = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } as const;
/** How many ops of an actor a replica holds: never more than any op's counter. */
const held = { type: 'integer', minimum: 0, maximum: MAX_COUNTER } as const;
const idSchema = {
  type: 'array',
  items: [{ type: 'integer', minimum: 0, maximum: MAX_ACTOR }, counter],
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
const versionSchema = {
  type: 'object',
  maxProperties: MAX_ACTOR + 1,
  // An actor id, 0..65535, written as JSON writes integers.
  propertyNames: { pattern: '^(0|[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$' },
  additionalProperties: held,
} as const;
const header = { v: { const: WIRE_VERSION }, from: { type: 'integer', minimum: 0, maximum: MAX_ACTOR } } as const;

/** JSON schemas; the HTTP layer validates bodies against them before anything else. */
export const batchSchema = {
  type: 'object',
  required: ['v', 'from', 'ops'],
  additionalProperties: false,
  properties: { ...header, ops: opsSchema },
} as const;
export const syncRequestSchema = {
  type: 'object',
  required: ['v', 'from', 'version'],
  additionalProperties: false,
  properties: { ...header, version: versionSchema },
} as const;
export const syncReplySchema = {
  type: 'object',
  required: ['v', 'from', 'version', 'ops', 'more', 'yours'],
  additionalProperties: false,
  properties: { ...header, version: versionSchema, ops: opsSchema, more: { type: 'boolean' }, yours: held },
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

export function encodePush(from: ActorId, ops: readonly Op<Gene>[]): string {
  return JSON.stringify({ v: WIRE_VERSION, from, ops: ops.map(encodeOp) } satisfies WireBatch);
}

export function encodeSyncRequest(from: ActorId, version: VersionVector): string {
  return JSON.stringify({ v: WIRE_VERSION, from, version: versionToJSON(version) } satisfies WireSyncRequest);
}

export function encodeSyncReply(from: ActorId, page: SyncPage<Gene>): WireSyncReply {
  return { v: WIRE_VERSION, from, version: versionToJSON(page.version), ops: page.ops.map(encodeOp), more: page.more, yours: page.yours };
}

const validateReply = new Ajv({ strict: false }).compile<WireSyncReply>(syncReplySchema);

/** Check and decode a peer's answer to a sync request; throws on anything malformed. */
export function decodeSyncReply(json: unknown): SyncPage<Gene> {
  if (!validateReply(json)) throw new Error(`malformed sync reply: ${validateReply.errors?.[0]?.message ?? 'invalid'}`);
  return { version: versionFromJSON(json.version), ops: json.ops.map(decodeOp), more: json.more, yours: json.yours };
}
