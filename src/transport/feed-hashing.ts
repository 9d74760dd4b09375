import { MAX_TAG, replicaId, type ActorId } from '../crdt/ids.js';
import { chainStart, type Chain, type FeedCrypto } from '../sync/feed-crypto.js';
import { Sha256 } from './sha256.js';

/**
 * What every `FeedCrypto` shares, in plain TypeScript (no node:crypto, so a browser runs it too):
 * chains on a SHA-256 of our own, which can save and resume its running state, the incarnation
 * tag of a key, and whether 32 bytes are an Ed25519 point.
 */
export const ownHashing: Pick<FeedCrypto, 'startChain' | 'resumeChain' | 'tagOf'> = {
  startChain: (actor: ActorId) => new HashChain(new Sha256().update(chainStart(actor))),
  resumeChain: (state: Uint8Array) => new HashChain(Sha256.resume(state)),
  tagOf(key) {
    const h = new Sha256().update(key).digest();
    // The first 37 bits of the key's digest; 0 is kept for incarnations that began before tags.
    let first = 0;
    for (let i = 0; i < 5; i++) first = first * 256 + (h[i] as number);
    const tag = Math.floor(first / 8);
    return tag === 0 ? 1 : Math.min(tag, MAX_TAG);
  },
};

/** The author id of `member`'s incarnation whose public key is `key`: its tag comes from the key. */
export const incarnationOf = (member: number, key: Uint8Array): ActorId => replicaId(member, ownHashing.tagOf(key));

/** A feed's chain on a SHA-256 of our own: node:crypto's cannot save its running state. */
class HashChain implements Chain {
  readonly #hash: Sha256;
  constructor(hash: Sha256) {
    this.#hash = hash;
  }
  update(bytes: Uint8Array): void {
    this.#hash.update(bytes);
  }
  head(): Uint8Array {
    return this.#hash.digest();
  }
  copy(): Chain {
    return new HashChain(this.#hash.copy());
  }
  save(): Uint8Array {
    return this.#hash.save();
  }
}

const P = 2n ** 255n - 19n;
const D = (-121665n * pow(121666n, P - 2n)) % P;

/**
 * Whether 32 bytes decode to a point of Ed25519 (RFC 8032, 5.1.3): y below p, and
 * (y² - 1) / (d y² + 1) a square, not zero when the sign bit asks for a negative x.
 * OpenSSL takes any 32 bytes as a key; a key that is no point deserves its own answer.
 */
export function isPoint(raw: Uint8Array): boolean {
  let y = 0n;
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(i === 31 ? (raw[i] as number) & 0x7f : (raw[i] as number));
  const sign = ((raw[31] as number) & 0x80) !== 0;
  if (y >= P) return false;
  const y2 = (y * y) % P;
  const x2 = (((y2 - 1n + P) % P) * pow((D * y2 + 1n) % P, P - 2n)) % P;
  if (x2 === 0n) return !sign;
  return pow(x2, (P - 1n) / 2n) === 1n;
}

function pow(base: bigint, exp: bigint): bigint {
  let result = 1n;
  let b = ((base % P) + P) % P;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
  }
  return result;
}
