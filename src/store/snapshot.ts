import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import { FastList } from '../crdt/fast/FastList.js';
import { decodeColumns, encodeState } from '../crdt/fast/state-codec.js';
import type { ActorId } from '../crdt/ids.js';
import type { ListOptions } from '../crdt/list.js';

/** Most bytes a snapshot may inflate to. */
const MAX_INFLATED = 1 << 30;

/**
 * A whole replica as bytes: its state (`encodeState`: pieces with their tree links, the op log,
 * every value), compressed with Brotli (about 15% smaller than deflate on text; slow to write at
 * its best quality, fast to read). Deleted values are kept: a loaded replica can serve every op it
 * holds to a peer (what it collected, every replica holds).
 * Loading rebuilds the structure without applying ops again. Pending ops are not saved.
 */
export function encodeSnapshot(list: FastList<number>): Uint8Array {
  const raw = encodeState(list.exportState());
  return brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_LGWIN]: 22, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } });
}

export function decodeSnapshot(bytes: Uint8Array, actor: ActorId, options?: ListOptions<number>): FastList<number> {
  return FastList.fromColumns(actor, decodeColumns(brotliDecompressSync(bytes, { maxOutputLength: MAX_INFLATED })), options);
}
