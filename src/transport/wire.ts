import type { ActorId, OpId } from '../crdt/ids.js';
import { MAX_ACTOR } from '../crdt/ids.js';
import type { Op } from '../crdt/ops.js';
import type { Gene } from '../genome/gene.js';

/**
 * Wire format v1 of a push batch (`POST /genome`): JSON, ids as `[actor, counter]`.
 *   {"v":1,"from":0,"ops":[{"type":"insert","id":[0,3],"value":17,"left":[1,2],"right":null},
 *                          {"type":"delete","id":[0,4],"target":[1,2]}]}
 */
export const WIRE_VERSION = 1;

/** Largest request body an actor accepts; senders split batches well below it. */
export const BODY_LIMIT = 1024 * 1024;
/** Senders keep each batch under this many bytes. */
export const BATCH_BYTES = 256 * 1024;
/** A batch holds at most this many ops (also enforced by the schema). */
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

const idSchema = {
  type: 'array',
  items: [
    { type: 'integer', minimum: 0, maximum: MAX_ACTOR },
    { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
  ],
  minItems: 2,
  maxItems: 2,
} as const;

/** JSON schema of a batch; the HTTP layer validates bodies against it before anything else. */
export const batchSchema = {
  type: 'object',
  required: ['v', 'from', 'ops'],
  additionalProperties: false,
  properties: {
    v: { const: WIRE_VERSION },
    from: { type: 'integer', minimum: 0, maximum: MAX_ACTOR },
    ops: {
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
    },
  },
} as const;

const toWireId = (id: OpId): WireId => [id.actor, id.counter];
const fromWireId = ([actor, counter]: WireId): OpId => ({ actor: actor as ActorId, counter });
const fromWireRef = (id: WireId | null): OpId | null => (id === null ? null : fromWireId(id));

export function encodeOp(op: Op<Gene>): WireOp {
  return op.type === 'insert'
    ? { type: 'insert', id: toWireId(op.id), value: op.value, left: op.left && toWireId(op.left), right: op.right && toWireId(op.right) }
    : { type: 'delete', id: toWireId(op.id), target: toWireId(op.target) };
}

/** Decode an op that has passed `batchSchema`. */
export function decodeOp(w: WireOp): Op<Gene> {
  return w.type === 'insert'
    ? { type: 'insert', id: fromWireId(w.id), value: w.value, left: fromWireRef(w.left), right: fromWireRef(w.right) }
    : { type: 'delete', id: fromWireId(w.id), target: fromWireId(w.target) };
}

/**
 * Encode ops as batch bodies, each under `maxBytes` and `MAX_BATCH_OPS`; returns the bodies and
 * how many ops each carries, in order.
 */
export function encodeBatches(from: ActorId, ops: readonly Op<Gene>[], maxBytes = BATCH_BYTES): Array<{ body: string; count: number }> {
  const head = `{"v":${WIRE_VERSION},"from":${from},"ops":[`;
  const out: Array<{ body: string; count: number }> = [];
  let parts: string[] = [];
  let size = head.length + 2;
  const flush = (): void => {
    if (parts.length > 0) out.push({ body: `${head}${parts.join(',')}]}`, count: parts.length });
    parts = [];
    size = head.length + 2;
  };
  for (const op of ops) {
    const json = JSON.stringify(encodeOp(op));
    if (parts.length > 0 && (size + json.length + 1 > maxBytes || parts.length >= MAX_BATCH_OPS)) flush();
    parts.push(json);
    size += json.length + 1;
  }
  flush();
  return out;
}
