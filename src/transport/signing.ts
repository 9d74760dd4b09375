import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { MAX_TAG, replicaId, type ActorId } from '../crdt/ids.js';
import { Sha256 } from './sha256.js';
import { chainStart, KEY_BYTES, SIGNATURE_BYTES, type Chain, type FeedCrypto, type Signer } from '../sync/feed-crypto.js';

/** DER prefixes that wrap a raw Ed25519 public key (SPKI) and a private key seed (PKCS #8). */
const SPKI = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');

/** Feed cryptography: SHA-256 chains that can be saved and resumed, Ed25519 on node:crypto (verification keys cached by value). */
export const nodeFeedCrypto: FeedCrypto = {
  startChain: (actor: ActorId) => new HashChain(new Sha256().update(chainStart(actor))),
  resumeChain: (state: Uint8Array) => new HashChain(Sha256.resume(state)),
  verify(key, message, signature) {
    if (signature.length !== SIGNATURE_BYTES) return false;
    const k = publicKey(key);
    return k !== null && verify(null, message, k, signature);
  },
  isKey: (key) => publicKey(key) !== null,
  tagOf(key) {
    const h = createHash('sha256').update(key).digest();
    // The first 37 bits of the key's digest; 0 is kept for incarnations that began before tags.
    const tag = Math.floor(h.readUIntBE(0, 5) / 8);
    return tag === 0 ? 1 : Math.min(tag, MAX_TAG);
  },
};

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

/** The author id of `member`'s incarnation whose public key is `key`: its tag comes from the key. */
export const incarnationOf = (member: number, key: Uint8Array): ActorId => replicaId(member, nodeFeedCrypto.tagOf(key));

/** An Ed25519 signer from its 32-byte seed (the private key as a store keeps it). */
export function signerFromSeed(seed: Uint8Array): Signer {
  if (seed.length !== 32) throw new Error(`a private key seed has 32 bytes, not ${seed.length}`);
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8, seed]), format: 'der', type: 'pkcs8' });
  const key = new Uint8Array(createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(SPKI.length));
  return { key, sign: (message) => new Uint8Array(sign(null, message, privateKey)) };
}

/** A new key pair: its seed (to keep) and its signer. */
export function newSigner(): { seed: Uint8Array; signer: Signer } {
  const der = generateKeyPairSync('ed25519').privateKey.export({ format: 'der', type: 'pkcs8' });
  const seed = new Uint8Array(der.subarray(PKCS8.length));
  return { seed, signer: signerFromSeed(seed) };
}

const keys = new Map<string, KeyObject | null>();

/** The key object of a raw public key, or null when it is no Ed25519 point. */
function publicKey(raw: Uint8Array): KeyObject | null {
  if (raw.length !== KEY_BYTES) return null;
  const hex = Buffer.from(raw).toString('hex');
  let k = keys.get(hex);
  if (k === undefined) {
    k = isPoint(raw) ? createPublicKey({ key: Buffer.concat([SPKI, raw]), format: 'der', type: 'spki' }) : null;
    if (keys.size >= 4096) keys.clear(); // a bound, not a policy: keys are few in honest clusters
    keys.set(hex, k);
  }
  return k;
}

const P = 2n ** 255n - 19n;
const D = (-121665n * pow(121666n, P - 2n)) % P;

/**
 * Whether 32 bytes decode to a point of Ed25519 (RFC 8032, 5.1.3): y below p, and
 * (y² - 1) / (d y² + 1) a square, not zero when the sign bit asks for a negative x.
 * OpenSSL takes any 32 bytes as a key; a key that is no point deserves its own answer.
 */
function isPoint(raw: Uint8Array): boolean {
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
