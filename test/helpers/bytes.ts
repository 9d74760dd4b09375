import { pushVarint } from '../../src/crdt/codec.js';

/** Hand-made wire bytes: `head` as bytes, then each number as a LEB128 varint. */
export function varints(head: readonly number[], ...xs: number[]): Uint8Array {
  const out = [...head];
  for (const x of xs) pushVarint(out, x);
  return Uint8Array.from(out);
}
