import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { decodeColumns, encodeColumns } from '../crdt/batch-codec.js';
import type { List } from '../crdt/list.js';
import type { Op } from '../crdt/ops.js';

/**
 * A whole replica as bytes: every op it applied, in the order applied (so loading applies each at
 * once), as run-length columns (`encodeColumns`), deflated. Deleted values are kept: a loaded
 * replica can serve every op to a peer, not only the visible text.
 */
export function encodeSnapshot(list: List<number>): Uint8Array {
  return deflateRawSync(encodeColumns([...list.appliedOps()]), { level: 9 });
}

export function decodeSnapshot(bytes: Uint8Array): Op<number>[] {
  return decodeColumns(inflateRawSync(bytes, { maxOutputLength: 1 << 30 }));
}
