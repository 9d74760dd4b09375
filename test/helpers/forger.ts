import { randomBytes } from 'node:crypto';
import { encodeOpBody } from '../../src/crdt/codec.js';
import type { ActorId } from '../../src/crdt/ids.js';
import { signedStatement } from '../../src/sync/feed-crypto.js';
import { signRequest } from '../../src/transport/cluster-mac.js';
import { newSigner, nodeFeedCrypto } from '../../src/transport/signing.js';
import type { WireOp, WireProof, WireSyncReply } from '../../src/transport/wire.js';

/**
 * A stranger to a running cluster, for the multi-process forgery tests: it writes JSON pushes
 * (wire v2) by hand under someone else's author id, with keys and signatures of its choosing, and
 * sends them (with the cluster MAC when it has the cluster key, as a member would).
 */

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** Inserts of `author` at counters `from..to`, each at the start of the list, genes from `gene(counter)`. */
export function forgedInserts(author: number, from: number, to: number, gene: (counter: number) => number = (c) => (c * 37) % 256): WireOp[] {
  const ops: WireOp[] = [];
  for (let c = from; c <= to; c++) ops.push({ type: 'insert', id: [author, c], value: gene(c), left: null, right: null });
  return ops;
}

/**
 * A real Ed25519 signature, by a key the forger made itself, over `ops` as though they began
 * `author`'s feed: a valid signature by the wrong key.
 */
export function signedByOwnKey(author: number, ops: readonly WireOp[]): WireProof {
  const { signer } = newSigner();
  const chain = nodeFeedCrypto.startChain(author as ActorId);
  for (const op of ops) {
    const body = encodeOpBody(op.type === 'insert' ? { type: 'insert', id: idOf(op.id), value: op.value, left: op.left && idOf(op.left), right: op.right && idOf(op.right) } : { type: 'delete', id: idOf(op.id), target: idOf(op.target) });
    chain.update(Uint8Array.of(body.length >> 8, body.length & 0xff));
    chain.update(body);
  }
  const counter = (ops[ops.length - 1] as WireOp).id[1];
  return { actor: author, counter, key: hex(signer.key), signature: hex(signer.sign(signedStatement(author as ActorId, counter, chain.head()))) };
}

/** A proof with `key` (hex; default: a fresh valid public key) and 64 random bytes for a signature. */
export function randomSignature(author: number, counter: number, key: string = hex(newSigner().signer.key)): WireProof {
  return { actor: author, counter, key, signature: hex(randomBytes(64)) };
}

const idOf = ([actor, counter]: [number, number]) => ({ actor: actor as ActorId, counter });

export interface Sent {
  status: number;
  body: { error?: string; message?: string; applied?: number };
}

/** POST a body to `url` + `path`, signed with the cluster MAC when `clusterKey` is given (as `sender`). */
export async function post(url: string, path: '/genome' | '/sync', body: unknown, clusterKey?: string, sender = 0): Promise<Sent> {
  const text = JSON.stringify(body);
  const mac = clusterKey === undefined ? {} : signRequest(clusterKey, 'POST', path, sender, text, Date.now());
  const res = await fetch(`${url}${path}`, { method: 'POST', body: text, headers: { 'content-type': 'application/json', ...mac }, signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: (await res.json()) as Sent['body'] };
}

/** A JSON push (wire v2). */
export const push = (from: number, ops: readonly WireOp[], proof: WireProof) => ({ v: 2, from, ops, proof });

/** Ask `url` for everything it holds (a sync from nothing): its ops and the proofs that sign them. */
export async function syncFromNothing(url: string, from: number, clusterKey?: string, version: Record<string, number> = {}): Promise<WireSyncReply> {
  const res = await post(url, '/sync', { v: 2, from, version }, clusterKey, from);
  if (res.status !== 200) throw new Error(`sync from ${url}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as unknown as WireSyncReply;
}
