/**
 * SHA-256 (FIPS 180-4) whose running state can be saved and resumed: node:crypto's hashes cannot
 * export theirs, and a feed's chain must go on from a saved state once the ops before it are
 * gone (collected). The digests are node:crypto's, bit for bit (test/sha256.test.ts).
 */

const K = Uint32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const INITIAL = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/** Scratch for the message schedule: hashing is synchronous, so one serves every hash. */
const W = new Uint32Array(64);

/** Bytes of a saved state before the unprocessed input: the eight words, then the length in bytes. */
const STATE_HEAD = 40;

export class Sha256 {
  readonly #h: Uint32Array;
  readonly #block: Uint8Array;
  /** Bytes taken in so far; the block holds the last `#length % 64` of them. */
  #length: number;

  constructor(h: Uint32Array = Uint32Array.from(INITIAL), block: Uint8Array = new Uint8Array(64), length = 0) {
    this.#h = h;
    this.#block = block;
    this.#length = length;
  }

  update(bytes: Uint8Array): this {
    const n = bytes.length;
    const block = this.#block;
    let filled = this.#length % 64;
    this.#length += n;
    let i = 0;
    // Chains take a few bytes at a time: copy them one by one (no subarray to allocate).
    if (filled > 0) {
      const take = Math.min(64 - filled, n);
      for (; i < take; i++) block[filled++] = bytes[i] as number;
      if (filled < 64) return this;
      compress(this.#h, block, 0);
    }
    for (; i + 64 <= n; i += 64) compress(this.#h, bytes, i);
    for (let j = 0; i < n; ) block[j++] = bytes[i++] as number;
    return this;
  }

  /** The digest of what was taken in so far; the hash goes on as if it had not been asked. */
  digest(): Uint8Array {
    const h = Uint32Array.from(this.#h);
    const filled = this.#length % 64;
    const tail = new Uint8Array(filled < 56 ? 64 : 128);
    tail.set(this.#block.subarray(0, filled));
    tail[filled] = 0x80;
    const view = new DataView(tail.buffer);
    const bits = this.#length * 8;
    view.setUint32(tail.length - 8, Math.floor(bits / 0x1_0000_0000));
    view.setUint32(tail.length - 4, bits >>> 0);
    for (let i = 0; i < tail.length; i += 64) compress(h, tail, i);
    const out = new Uint8Array(32);
    const o = new DataView(out.buffer);
    for (let i = 0; i < 8; i++) o.setUint32(i * 4, h[i] as number);
    return out;
  }

  copy(): Sha256 {
    return new Sha256(Uint32Array.from(this.#h), Uint8Array.from(this.#block), this.#length);
  }

  /** The running state as bytes: the eight words, the length taken in, and the bytes not yet hashed. */
  save(): Uint8Array {
    const filled = this.#length % 64;
    const out = new Uint8Array(STATE_HEAD + filled);
    const view = new DataView(out.buffer);
    for (let i = 0; i < 8; i++) view.setUint32(i * 4, this.#h[i] as number);
    view.setFloat64(32, this.#length);
    out.set(this.#block.subarray(0, filled), STATE_HEAD);
    return out;
  }

  /** A hash that goes on from a saved state; throws a RangeError on bytes `save` cannot have made. */
  static resume(state: Uint8Array): Sha256 {
    if (state.length < STATE_HEAD) throw new RangeError(`a SHA-256 state has at least ${STATE_HEAD} bytes, not ${state.length}`);
    const view = new DataView(state.buffer, state.byteOffset, state.byteLength);
    const length = view.getFloat64(32);
    // Below 2^50 bytes, far past any feed, its length in bits is still an exact number.
    if (!Number.isSafeInteger(length) || length < 0 || length >= 2 ** 50) throw new RangeError('a SHA-256 state with an impossible length');
    if (state.length !== STATE_HEAD + (length % 64)) throw new RangeError(`a SHA-256 state of ${length} bytes has ${STATE_HEAD + (length % 64)} bytes, not ${state.length}`);
    const h = new Uint32Array(8);
    for (let i = 0; i < 8; i++) h[i] = view.getUint32(i * 4);
    const block = new Uint8Array(64);
    block.set(state.subarray(STATE_HEAD));
    return new Sha256(h, block, length);
  }
}

function compress(h: Uint32Array, data: Uint8Array, at: number): void {
  for (let i = 0; i < 16; i++) {
    const j = at + i * 4;
    W[i] = (((data[j] as number) << 24) | ((data[j + 1] as number) << 16) | ((data[j + 2] as number) << 8) | (data[j + 3] as number)) >>> 0;
  }
  for (let i = 16; i < 64; i++) {
    const w15 = W[i - 15] as number;
    const w2 = W[i - 2] as number;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[i] = ((W[i - 16] as number) + s0 + (W[i - 7] as number) + s1) >>> 0;
  }
  let a = h[0] as number, b = h[1] as number, c = h[2] as number, d = h[3] as number;
  let e = h[4] as number, f = h[5] as number, g = h[6] as number, k = h[7] as number;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (k + S1 + ch + (K[i] as number) + (W[i] as number)) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (S0 + maj) | 0;
    k = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  h[0] = (h[0] as number) + a;
  h[1] = (h[1] as number) + b;
  h[2] = (h[2] as number) + c;
  h[3] = (h[3] as number) + d;
  h[4] = (h[4] as number) + e;
  h[5] = (h[5] as number) + f;
  h[6] = (h[6] as number) + g;
  h[7] = (h[7] as number) + k;
}
