import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import { FastList } from '../crdt/fast/FastList.js';
import { decodeColumns, decodeSaved, encodeState } from '../crdt/fast/state-codec.js';
import { opsOfState, readStateOps, STRIDE } from '../crdt/fast/state-ops.js';
import { truncateState } from '../crdt/fast/truncate.js';
import { formatId, type ActorId } from '../crdt/ids.js';
import type { List, ListOptions } from '../crdt/list.js';
import type { SnapshotCodec } from '../sync/states.js';

/** Most bytes a snapshot may inflate to. */
const MAX_INFLATED = 1 << 30;
/** Bounds of the chunk a snapshot inflates into (`inflate`). */
const MIN_CHUNK = 1 << 14;
const INFLATE_CHUNK = 1 << 24;

/** Ops stored since the last snapshot that make an actor compact its store (`--compact-every`). */
export const DEFAULT_COMPACT_EVERY = 10_000;

/**
 * An actor compacts only once the ops stored since also reach this fraction of the elements its
 * list holds: a list that keeps every tombstone (`--no-collect`) grows with its history, and
 * rewriting it every `--compact-every` ops would cost time quadratic in that history; this way
 * compactions come geometrically further apart, and cost a bounded amount per op stored.
 */
export const COMPACT_GROWTH = 0.25;

/** Brotli's best quality: what a snapshot written once (to ship, to keep) is worth. */
export const BEST = 11;
/**
 * The quality a store's compaction writes with: it rewrites the whole state every time, on the
 * actor's thread, so speed matters more than the last bytes (see INTERNALS.md, "Store compaction").
 */
export const COMPACTION_QUALITY = 5;

/**
 * A whole replica as bytes: its state (`encodeState`: pieces with their tree links, the op log,
 * every value), compressed with Brotli (about 15% smaller than deflate on text; slow to write at
 * its best quality, fast to read). Deleted values are kept: a loaded replica can serve every op it
 * holds to a peer (what it collected, every replica holds).
 * Loading rebuilds the structure without applying ops again. Pending ops are not saved.
 */
export function encodeSnapshot(list: FastList<number>, quality = BEST): Uint8Array {
  const raw = encodeState(list.exportState());
  return brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: quality, [constants.BROTLI_PARAM_LGWIN]: 22, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } });
}

export function decodeSnapshot(bytes: Uint8Array, actor: ActorId, options?: ListOptions<number>): FastList<number> {
  return FastList.fromSaved(actor, decodeSaved(inflate(bytes)), options);
}

/**
 * Take a peer's snapshot into `list`: the ops it holds that `list` lacks, read from its columns
 * without building a list of it (`readStateOps`), each checked before any is applied. Throws,
 * changing nothing, on bytes that are not a snapshot, a state `readStateOps` refuses (one that
 * collected ops `list` lacks, say), or an op the list refuses (it holds one with that id and
 * other content, or an origin named is a delete). Returns how many ops it gave. A FastList with
 * nothing pending takes them as numbers (`mergeOps`), without an object per op.
 */
export function mergeSnapshot(list: List<number>, bytes: Uint8Array): number {
  const cols = decodeColumns(inflate(bytes));
  if (list instanceof FastList && list.pendingCount === 0) {
    const ops = readStateOps(cols, list.version());
    const refused = list.mergeOps(ops);
    if (refused !== null) throw new Error(`the state's op ${formatId({ actor: ops.nums[refused.at * STRIDE] as ActorId, counter: ops.nums[refused.at * STRIDE + 1] as number })} is refused: ${refused.verdict}`);
    return ops.nums.length / STRIDE;
  }
  const ops = opsOfState(cols, list.version());
  for (const op of ops) {
    const verdict = list.check(op);
    if (verdict !== 'new' && verdict !== 'duplicate') throw new Error(`the state's op ${formatId(op.id)} is refused: ${verdict}`);
  }
  for (const op of ops) list.apply(op);
  return ops.length;
}

/** A snapshot's plain state (list state v6, as `encodeState` writes it): what a reader without Brotli takes. */
export function inflate(bytes: Uint8Array): Uint8Array {
  // Output in one chunk where it fits (a state inflates to about four times its snapshot), rather
  // than 16 KB chunks joined at the end.
  return brotliDecompressSync(bytes, { maxOutputLength: MAX_INFLATED, chunkSize: Math.min(INFLATE_CHUNK, Math.max(MIN_CHUNK, bytes.length * 8)) });
}

/**
 * How a replica of FastLists (made with `options`) writes its list as a state: its store
 * compacts every `every` ops stored, and at least `growth` times the elements the list holds; a
 * peer far behind is sent a state of up to `maxBytes`.
 */
export function snapshotCodec(options: ListOptions<number>, every: number, maxBytes = Infinity, growth = 0): SnapshotCodec<number> {
  return {
    every,
    growth,
    maxBytes,
    encode(list) {
      if (!(list instanceof FastList)) throw new Error('only a FastList can be saved as a snapshot');
      return encodeSnapshot(list as FastList<number>, COMPACTION_QUALITY);
    },
    decode: (actor, bytes) => decodeSnapshot(bytes, actor, options),
    without(list, cut) {
      if (!(list instanceof FastList)) throw new Error('only a FastList can be cut');
      return FastList.fromState(list.actor, truncateState((list as FastList<number>).exportState(), (a) => cut(a as ActorId)), options);
    },
  };
}
