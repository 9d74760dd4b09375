import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { KEY_BYTES, SIGNATURE_BYTES, type FeedCrypto, type Signer } from '../sync/feed-crypto.js';
import { isPoint, ownHashing } from './feed-hashing.js';

export { incarnationOf } from './feed-hashing.js';

/** DER prefixes that wrap a raw Ed25519 public key (SPKI) and a private key seed (PKCS #8). */
const SPKI = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');

/** Feed cryptography: SHA-256 chains that can be saved and resumed (`feed-hashing.ts`), Ed25519 on node:crypto (verification keys cached by value). */
export const nodeFeedCrypto: FeedCrypto = {
  ...ownHashing,
  verify(key, message, signature) {
    if (signature.length !== SIGNATURE_BYTES) return false;
    const k = publicKey(key);
    return k !== null && verify(null, message, k, signature);
  },
  isKey: (key) => publicKey(key) !== null,
};

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

