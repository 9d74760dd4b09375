import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ActorId } from '../src/crdt/ids.js';
import { sameOp, type Op } from '../src/crdt/ops.js';
import { ReferenceList } from '../src/crdt/ReferenceList.js';
import type { VersionVector } from '../src/crdt/version.js';
import { encodeOpBody } from '../src/crdt/codec.js';
import { memoryBacking, MemoryStore, type MemoryBacking } from '../src/store/MemoryStore.js';
import { signedStatement, type Signer } from '../src/sync/feed-crypto.js';
import { Feeds, POINT_SPACING, type ChainState, type Proof } from '../src/sync/Feeds.js';
import type { SyncPage } from '../src/sync/messages.js';
import type { Replica } from '../src/sync/Replica.js';
import { decodeBinaryPush, decodeBinarySyncReply, encodeBinaryPush, encodeBinarySyncReply } from '../src/transport/binary-wire.js';
import { newSigner, nodeFeedCrypto, signerFromSeed } from '../src/transport/signing.js';
import { deliver, newReplica, pull, signedPush, type SignedPush } from './helpers/feeds.js';
import { chainHead } from './helpers/hostile.js';

// ---------------------------------------------------------------------------------------------
// Helpers

/** One call of `edit`: `count` ops, each an insert of `value` or (when there is something) a delete. */
interface EditStep {
  readonly del: boolean;
  readonly pos: number;
  readonly value: number;
  readonly count: number;
}

const editArb: fc.Arbitrary<EditStep> = fc.record({
  del: fc.boolean(),
  pos: fc.nat({ max: 1000 }),
  value: fc.integer({ min: 0, max: 255 }),
  count: fc.integer({ min: 1, max: 5 }),
});

function play(author: Replica<number>, steps: readonly EditStep[]): void {
  for (const s of steps) {
    let i = 0;
    author.edit((l) => {
      const k = s.pos + i++;
      return s.del && l.length > 0 ? l.delete(k % l.length) : l.insert(k % (l.length + 1), s.value);
    }, s.count);
  }
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

const sameProof = (a: Proof, b: Proof): boolean => a.actor === b.actor && a.counter === b.counter && sameBytes(a.key, b.key) && sameBytes(a.signature, b.signature);

const sameOps = (a: readonly Op<number>[], b: readonly Op<number>[]): boolean => a.length === b.length && a.every((op, i) => sameOp(op, b[i] as Op<number>));

const samePush = (a: SignedPush, b: SignedPush): boolean => a.from === b.from && sameOps(a.ops, b.ops) && sameProof(a.proof, b.proof);

/** What a page carries that its authors signed: its ops and its proofs (version and `more` are the responder's word). */
const sameSignedContent = (a: SyncPage<number>, b: SyncPage<number>): boolean =>
  sameOps(a.ops, b.ops) && a.proofs.length === b.proofs.length && a.proofs.every((p, i) => sameProof(p, b.proofs[i] as Proof));

/** Flip bit `bit` (mod the length) of a copy of `bytes`. */
function flip(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  const at = bit % (out.length * 8);
  out[at >> 3] = (out[at >> 3] as number) ^ (1 << (at & 7));
  return out;
}

/** Everything a receiver holds that a refused batch must not change: its list, its feeds, its store. */
function snapshot(r: Replica<number>, backing: MemoryBacking<number>, authors: readonly ActorId[]) {
  const feeds = r.replicator.feeds;
  return {
    values: r.list.toArray(),
    length: r.list.length,
    version: [...r.list.version()],
    pending: r.list.pendingCount,
    feeds: authors.map((a) => ({ count: feeds.count(a), key: feeds.key(a) === null ? null : [...(feeds.key(a) as Uint8Array)] })),
    equivocations: feeds.equivocations(),
    stored: { ops: backing.ops.length, keys: backing.keys.size, points: [...backing.points.keys()].sort() },
  };
}

function expectEmpty(r: Replica<number>, backing: MemoryBacking<number>, authors: readonly ActorId[]): void {
  expect(r.list.length).toBe(0);
  expect(r.list.version().size).toBe(0);
  expect(r.list.pendingCount).toBe(0);
  for (const a of authors) {
    expect(r.replicator.feeds.count(a)).toBe(0);
    expect(r.replicator.feeds.key(a)).toBeNull();
  }
  expect(backing.ops).toEqual([]);
  expect(backing.keys.size).toBe(0);
  expect(backing.points.size).toBe(0);
}


/** A proof by `signer` over the first ops of `actor`'s feed, `ops` being all of them from counter 1. */
function signFeed(signer: Signer, actor: ActorId, ops: readonly Op<number>[]): Proof {
  const counter = ops.length;
  return { actor, counter, key: signer.key, signature: signer.sign(signedStatement(actor, counter, chainHead(actor, ops))) };
}

/** A 32-byte string that is no Ed25519 point. */
function notAKey(): Uint8Array {
  for (;;) {
    const candidate = new Uint8Array(randomBytes(32));
    if (!nodeFeedCrypto.isKey(candidate)) return candidate;
  }
}

const withValue = (op: Op<number>, value: number): Op<number> => {
  if (op.type !== 'insert') throw new Error('expected an insert');
  return { ...op, value };
};

const syncRequest = (r: Replica<number>, version: VersionVector = r.replicator.feeds.advertise(r.list.version())) => ({ type: 'sync' as const, from: r.actor, version });

// ---------------------------------------------------------------------------------------------

describe('feeds on the wire: one flipped bit', () => {
  it('a push with one bit flipped is refused whole (or decodes to the very push that was signed)', () => {
    fc.assert(
      fc.property(fc.array(editArb, { minLength: 1, maxLength: 6 }), fc.nat(), (steps, bit) => {
        const author = newReplica(1);
        play(author, steps);
        const push = signedPush(author);
        expect(push.ops.length).toBe(author.list.nextCounter - 1);
        const bytes = encodeBinaryPush(push.from, push.ops, push.proof);
        // Control: the push as sent decodes to itself.
        expect(samePush(decodeBinaryPush(bytes), push)).toBe(true);

        const tampered = flip(bytes, bit);
        let decoded: SignedPush;
        try {
          decoded = decodeBinaryPush(tampered);
        } catch {
          return; // a malformed message: refused at the door
        }
        const backing = memoryBacking<number>();
        const receiver = newReplica(0, { backing });
        const result = deliver(receiver, decoded);
        if (samePush(decoded, push)) {
          expect(result.status).toBe('ok');
          expect(receiver.list.toArray()).toEqual(author.list.toArray());
          return;
        }
        expect(result.status).not.toBe('ok');
        expect(result.accepted).toEqual([]);
        expectEmpty(receiver, backing, [push.from, decoded.from]);
      }),
      { numRuns: 200 },
    );
  });

  it('a sync page with one bit flipped is refused whole (or carries exactly the signed ops and proofs)', () => {
    fc.assert(
      fc.property(fc.array(editArb, { minLength: 1, maxLength: 6 }), fc.nat(), (steps, bit) => {
        const author = newReplica(1);
        play(author, steps);
        const backing = memoryBacking<number>();
        const receiver = newReplica(0, { peers: ['peer'], backing });
        const page = author.serveSync(receiver.actor, new Map());
        expect(page.ops.length).toBeGreaterThan(0);
        const bytes = encodeBinarySyncReply(author.actor, page);
        const control = decodeBinarySyncReply(bytes);
        expect(sameSignedContent(control, page)).toBe(true);
        expect(control.more).toBe(page.more);
        expect([...control.version]).toEqual([...page.version]);

        const tampered = flip(bytes, bit);
        let decoded: SyncPage<number>;
        try {
          decoded = decodeBinarySyncReply(tampered);
        } catch {
          return;
        }
        const outcome = receiver.onReply('peer', syncRequest(receiver, new Map()), { type: 'sync', ...decoded }, 0);
        if (sameSignedContent(decoded, page)) {
          // Only the responder's own word (its version, "more", its id) changed: the ops are the author's.
          expect(outcome.refusals).toEqual([]);
          expect(outcome.accepted.length).toBe(page.ops.length);
          expect(receiver.list.version().get(author.actor)).toBe(page.ops.length);
          return;
        }
        expect(outcome.refusals.length).toBeGreaterThan(0);
        expect(outcome.accepted).toEqual([]);
        expect(outcome.refused).toEqual([]);
        expectEmpty(receiver, backing, [author.actor, ...decoded.ops.map((op) => op.id.actor)]);
      }),
      { numRuns: 200 },
    );
  });
});

describe('feed refusals, one code at a time', () => {
  /** An author with inserts only (so that any op can be altered), and a fresh receiver. */
  function setup(edits = 3) {
    const seed = newSigner().seed;
    const author = newReplica(1, { backing: memoryBacking(seed) });
    for (let i = 0; i < edits; i++) author.edit((l) => l.insert(l.length, 10 + i));
    const backing = memoryBacking<number>();
    const receiver = newReplica(0, { backing });
    return { seed, author, backing, receiver };
  }

  it('control: a push signed here, independently of Feeds, with the author key, is taken', () => {
    const { seed, author, receiver } = setup(4);
    const ops = author.list.opsOf(author.actor, 0, 2);
    expect(deliver(receiver, { from: author.actor, ops, proof: signFeed(signerFromSeed(seed), author.actor, ops) }).status).toBe('ok');
    expect(deliver(receiver, signedPush(author, 2)).status).toBe('ok');
    expect(receiver.list.toArray()).toEqual([10, 11, 12, 13]);
    expect(receiver.replicator.feeds.count(author.actor)).toBe(4);
  });

  it('bad_signature: a relayed push with one op altered', () => {
    const { author, backing, receiver } = setup();
    const push = signedPush(author);
    const before = snapshot(receiver, backing, [author.actor]);
    const ops = push.ops.map((op, i) => (i === 1 ? withValue(op, 99) : op));
    const result = deliver(receiver, { ...push, ops });
    expect(result).toMatchObject({ status: 'refused', code: 'bad_signature', actor: author.actor });
    expect(snapshot(receiver, backing, [author.actor])).toEqual(before);
    expectEmpty(receiver, backing, [author.actor]);
    // The genuine push is still taken afterwards: nothing of the forgery stuck.
    expect(deliver(receiver, push).status).toBe('ok');
  });

  it('bad_signature: a flipped signature bit, a proof at another counter, an op dropped from the end', () => {
    const { author, backing, receiver } = setup();
    const push = signedPush(author);
    const signature = push.proof.signature.slice();
    signature[5] = (signature[5] as number) ^ 1;
    for (const forged of [
      { ...push, proof: { ...push.proof, signature } },
      { ...push, proof: { ...push.proof, counter: 2 } },
      { ...push, ops: push.ops.slice(0, 2) },
      { ...push, proof: { ...push.proof, signature: push.proof.signature.subarray(0, 63) } },
    ]) {
      expect(deliver(receiver, forged)).toMatchObject({ status: 'refused', code: 'bad_signature' });
      expectEmpty(receiver, backing, [author.actor]);
    }
  });

  it('own_ops: ops under the receiver own author id are never taken (a push is refused; a page names own_ops)', () => {
    const seed = newSigner().seed;
    const backing = memoryBacking<number>(seed);
    const receiver = newReplica(0, { backing, peers: ['peer'] });
    const twin = newReplica(0, { backing: memoryBacking(seed) }); // same key, same author id
    expect(twin.actor).toBe(receiver.actor);
    twin.edit((l) => l.insert(0, 1), 2);
    const before = snapshot(receiver, backing, [receiver.actor]);

    // By push. servePush stops a push that claims to come from the receiver before the feed check.
    const pushed = deliver(receiver, signedPush(twin));
    expect(pushed.status).not.toBe('ok');
    expect(pushed.status).toBe('refused');
    if (pushed.status === 'refused') expect(pushed.code).toBe('own_ops');
    expect(pushed.accepted).toEqual([]);
    expect(snapshot(receiver, backing, [receiver.actor])).toEqual(before);

    // Relayed by another replica, in a page, under another key: the feed check names it.
    const relay = newReplica(5);
    expect(deliver(relay, signedPush(twin)).status).toBe('ok');
    const page = relay.serveSync(receiver.actor, new Map());
    expect(page.ops.map((op) => op.id.actor)).toEqual([receiver.actor, receiver.actor]);
    const otherKey = { ...page, proofs: page.proofs.map((p) => ({ ...p, key: newSigner().signer.key })) };
    const outcome = receiver.onReply('peer', syncRequest(receiver, new Map()), { type: 'sync', ...otherKey }, 0);
    expect(outcome.refusals[0]).toMatchObject({ code: 'own_ops', actor: receiver.actor });
    expect(outcome.accepted).toEqual([]);
    expect(snapshot(receiver, backing, [receiver.actor])).toEqual(before);
    expect(receiver.list.nextCounter).toBe(1);
    // Signed with the receiver's own key, which someone copied: checked like any author's ops, and
    // taken, since they fork nothing; the receiver's next op runs on after them.
    const taken = receiver.onReply('peer', syncRequest(receiver, new Map()), { type: 'sync', ...page }, 0);
    expect(taken).toMatchObject({ refusals: [], accepted: page.ops });
    expect(receiver.list.nextCounter).toBe(3);
  });

  it('key_mismatch: another valid key on a genuine push, on first sight', () => {
    const { author, backing, receiver } = setup();
    const push = signedPush(author);
    const other = newSigner().signer.key;
    expect(nodeFeedCrypto.isKey(other)).toBe(true);
    expect(deliver(receiver, { ...push, proof: { ...push.proof, key: other } })).toMatchObject({ status: 'refused', code: 'key_mismatch', actor: author.actor });
    expectEmpty(receiver, backing, [author.actor]);
  });

  it('key_mismatch: an impostor that signs the author feed with its own key, validly', () => {
    const { author, backing, receiver } = setup();
    const push = signedPush(author);
    const impostor = newSigner().signer;
    const proof = signFeed(impostor, author.actor, push.ops);
    expect(nodeFeedCrypto.verify(proof.key, signedStatement(author.actor, 3, chainHead(author.actor, push.ops)), proof.signature)).toBe(true);
    expect(deliver(receiver, { ...push, proof })).toMatchObject({ status: 'refused', code: 'key_mismatch' });
    // Altered ops, signed by the impostor: the same.
    const ops = push.ops.map((op, i) => (i === 0 ? withValue(op, 200) : op));
    expect(deliver(receiver, { ...push, ops, proof: signFeed(impostor, author.actor, ops) })).toMatchObject({ status: 'refused', code: 'key_mismatch' });
    expectEmpty(receiver, backing, [author.actor]);
  });

  it('key_mismatch: a key other than the one the receiver already knows for the feed', () => {
    const { author, backing, receiver } = setup(2);
    expect(deliver(receiver, signedPush(author)).status).toBe('ok');
    author.edit((l) => l.insert(0, 50));
    const push = signedPush(author, 2);
    const before = snapshot(receiver, backing, [author.actor]);
    const impostor = newSigner().signer;
    const all = author.list.opsOf(author.actor, 0, 3);
    expect(deliver(receiver, { ...push, proof: signFeed(impostor, author.actor, all) })).toMatchObject({ status: 'refused', code: 'key_mismatch' });
    expect(deliver(receiver, { ...push, proof: { ...push.proof, key: impostor.key } })).toMatchObject({ status: 'refused', code: 'key_mismatch' });
    expect(snapshot(receiver, backing, [author.actor])).toEqual(before);
    expect(deliver(receiver, push).status).toBe('ok');
  });

  it('bad_key: 32 bytes that are no Ed25519 point', () => {
    const { author, backing, receiver } = setup();
    const push = signedPush(author);
    const key = notAKey();
    expect(nodeFeedCrypto.isKey(key)).toBe(false);
    expect(deliver(receiver, { ...push, proof: { ...push.proof, key } })).toMatchObject({ status: 'refused', code: 'bad_key', actor: author.actor });
    expectEmpty(receiver, backing, [author.actor]);
    // A key of the wrong length is no key either.
    expect(deliver(receiver, { ...push, proof: { ...push.proof, key: push.proof.key.subarray(0, 31) } })).toMatchObject({ status: 'refused', code: 'bad_key' });
    expectEmpty(receiver, backing, [author.actor]);
  });

  it('unknown_feed: ops from counter 3 of a feed the receiver never saw', () => {
    const { author, backing, receiver } = setup(5);
    const push = signedPush(author, 2);
    expect(push.ops[0]!.id.counter).toBe(3);
    expect(push.proof.counter).toBe(5);
    expect(deliver(receiver, push)).toMatchObject({ status: 'refused', code: 'unknown_feed', actor: author.actor });
    expectEmpty(receiver, backing, [author.actor]);
  });

  it('gap: ops 1..2 held, then a push of ops 4.. (skipping 3)', () => {
    const { author, backing, receiver } = setup(2);
    const first = signedPush(author);
    author.edit((l) => l.insert(0, 3));
    author.edit((l) => l.insert(0, 4));
    author.edit((l) => l.insert(0, 5));
    expect(deliver(receiver, first).status).toBe('ok');
    const before = snapshot(receiver, backing, [author.actor]);
    const skipping = signedPush(author, 3);
    expect(skipping.ops.map((op) => op.id.counter)).toEqual([4, 5]);
    expect(deliver(receiver, skipping)).toMatchObject({ status: 'refused', code: 'gap', actor: author.actor });
    expect(snapshot(receiver, backing, [author.actor])).toEqual(before);
    // Within one push: ops 1..5 without 3.
    const all = signedPush(author);
    expect(deliver(receiver, { ...all, ops: all.ops.filter((op) => op.id.counter !== 3) })).toMatchObject({ status: 'refused', code: 'gap' });
    expect(snapshot(receiver, backing, [author.actor])).toEqual(before);
    // The honest way on: 3..5.
    expect(deliver(receiver, signedPush(author, 2)).status).toBe('ok');
    expect(receiver.list.toArray()).toEqual(author.list.toArray());
  });

  it('equivocation: two replicas on one key sign different first ops; the second is refused and reported at 1', () => {
    const seed = newSigner().seed;
    const a = newReplica(1, { backing: memoryBacking(seed) });
    const b = newReplica(1, { backing: memoryBacking(seed) });
    expect(a.actor).toBe(b.actor);
    a.edit((l) => l.insert(0, 1));
    b.edit((l) => l.insert(0, 2));
    const backing = memoryBacking<number>();
    const receiver = newReplica(0, { backing });
    expect(deliver(receiver, signedPush(a)).status).toBe('ok');
    const before = snapshot(receiver, backing, [a.actor]);
    expect(before.values).toEqual([1]);
    expect(deliver(receiver, signedPush(b))).toMatchObject({ status: 'refused', code: 'equivocation', actor: a.actor });
    expect(receiver.replicator.feeds.equivocations()).toEqual([{ actor: a.actor, at: 1 }]);
    // The feed is frozen where it forks: both branches go, the one held included.
    expect(receiver.list.toArray()).toEqual([]);
    expect(receiver.replicator.feeds.count(a.actor)).toBe(0);
    expect(deliver(receiver, signedPush(a))).toMatchObject({ status: 'refused', code: 'equivocation' });
    expect(receiver.list.toArray()).toEqual([]);
  });

  it('equivocation: branches that share op 1 and differ at 2, the second sent from its fork point', () => {
    const seed = newSigner().seed;
    const a = newReplica(1, { backing: memoryBacking(seed) });
    const b = newReplica(1, { backing: memoryBacking(seed) });
    a.edit((l) => l.insert(0, 1));
    b.edit((l) => l.insert(0, 1));
    a.edit((l) => l.insert(1, 5));
    b.edit((l) => l.insert(1, 6));
    const backing = memoryBacking<number>();
    const receiver = newReplica(0, { backing });
    expect(deliver(receiver, signedPush(a)).status).toBe('ok');
    const before = snapshot(receiver, backing, [a.actor]);
    expect(before.values).toEqual([1, 5]);
    expect(deliver(receiver, signedPush(b, 1))).toMatchObject({ status: 'refused', code: 'equivocation' });
    expect(deliver(receiver, signedPush(b))).toMatchObject({ status: 'refused', code: 'equivocation' });
    expect(receiver.replicator.feeds.equivocations()).toEqual([{ actor: a.actor, at: 2 }]);
    // Frozen at 1, the op both branches share.
    expect(receiver.list.toArray()).toEqual([1]);
    expect(receiver.replicator.feeds.count(a.actor)).toBe(1);
  });

  it('a forged conflicting op (another op at a held position, not signed) is bad_signature, not equivocation', () => {
    const { author, backing, receiver } = setup(2);
    const push = signedPush(author);
    expect(deliver(receiver, push).status).toBe('ok');
    const before = snapshot(receiver, backing, [author.actor]);
    const forged = { ...push, ops: push.ops.map((op, i) => (i === 0 ? withValue(op, 77) : op)) };
    expect(deliver(receiver, forged)).toMatchObject({ status: 'refused', code: 'bad_signature', actor: author.actor });
    // A forged next op past what is held: bad_signature too.
    author.edit((l) => l.insert(0, 9));
    const next = signedPush(author, 2);
    expect(deliver(receiver, { ...next, ops: [withValue(next.ops[0]!, 8)] })).toMatchObject({ status: 'refused', code: 'bad_signature' });
    expect(receiver.replicator.feeds.equivocations()).toEqual([]);
    expect(snapshot(receiver, backing, [author.actor])).toEqual(before);
    expect(deliver(receiver, next).status).toBe('ok');
  });
});

describe('a feed across restarts', () => {
  it('a replica restarted on its backing continues its feed: its new ops are taken by a receiver of its earlier ones', () => {
    const backing = memoryBacking<number>();
    const r1 = newReplica(2, { backing });
    r1.edit((l) => l.insert(0, 1), 2);
    r1.edit((l) => l.insert(1, 2));
    const receiver = newReplica(0);
    expect(deliver(receiver, signedPush(r1)).status).toBe('ok');
    const after = r1.list.nextCounter - 1;

    const r2 = newReplica(2, { backing });
    expect(r2.actor).toBe(r1.actor);
    expect(r2.replicator.feeds.count(r2.actor)).toBe(after);
    r2.edit((l) => l.insert(0, 3));
    r2.edit((l) => l.delete(1), 1);
    const push = signedPush(r2, after);
    expect(push.ops[0]!.id.counter).toBe(after + 1);
    expect(deliver(receiver, push).status).toBe('ok');
    expect(receiver.list.toArray()).toEqual(r2.list.toArray());

    // Once more, and a fresh receiver takes the whole feed from the second restart at once.
    const r3 = newReplica(2, { backing });
    r3.edit((l) => l.insert(0, 4), 3);
    expect(deliver(receiver, signedPush(r3, r2.list.nextCounter - 1)).status).toBe('ok');
    const fresh = newReplica(7);
    expect(deliver(fresh, signedPush(r3)).status).toBe('ok');
    expect(fresh.list.toArray()).toEqual(r3.list.toArray());
    expect(receiver.list.toArray()).toEqual(r3.list.toArray());
  });

  it('a receiver restarted on its backing still checks the feeds it holds', () => {
    const author = newReplica(1);
    author.edit((l) => l.insert(0, 1), 2);
    const backing = memoryBacking<number>();
    const r1 = newReplica(0, { backing });
    expect(deliver(r1, signedPush(author)).status).toBe('ok');
    author.edit((l) => l.insert(0, 2));
    const r2 = newReplica(0, { backing });
    expect(r2.replicator.feeds.count(author.actor)).toBe(2);
    // Another key for the known feed, an altered next op, and a gap: all still refused after the restart.
    const next = signedPush(author, 2);
    expect(deliver(r2, { ...next, proof: { ...next.proof, key: newSigner().signer.key } })).toMatchObject({ code: 'key_mismatch' });
    expect(deliver(r2, { ...next, ops: [withValue(next.ops[0]!, 9)] })).toMatchObject({ code: 'bad_signature' });
    author.edit((l) => l.insert(0, 3));
    expect(deliver(r2, signedPush(author, 3))).toMatchObject({ code: 'gap' });
    expect(deliver(r2, signedPush(author, 2)).status).toBe('ok');
    expect(r2.list.toArray()).toEqual(author.list.toArray());
  });
});

describe('chain states', () => {
  /** An author's three ops, held by a replica on `backing`. */
  function held() {
    const author = newReplica(1);
    author.edit((l) => l.insert(0, 1), 3);
    const backing = memoryBacking<number>();
    const holder = newReplica(0, { backing });
    expect(deliver(holder, signedPush(author)).status).toBe('ok');
    return { author, backing, holder };
  }
  /** Feeds of `replica`'s store taken back with `chains` and `ops` (by default none at all, as after collection). */
  function resumed(replica: Replica<number>, backing: MemoryBacking<number>, chains: readonly ChainState[], ops: Op<number>[] = []): Feeds<number> {
    const store = new MemoryStore<number>(replica.member, backing);
    const feeds = new Feeds<number>(store.actor, store.signer, nodeFeedCrypto, encodeOpBody);
    feeds.restore({ ...store.records(), chains }, ops);
    return feeds;
  }
  const check = (feeds: Feeds<number>, push: SignedPush) => feeds.check(push.ops, [push.proof], { check: () => 'new', ops: () => null, namesRetired: () => false });

  it('a feed goes on from the chain saved where it was signed, without the ops before it', () => {
    const { author, backing, holder } = held();
    holder.edit((l) => l.insert(0, 5), 2);
    const chains = holder.replicator.feeds.chainStates();
    expect(chains.map((c) => [c.actor, c.count]).sort()).toEqual([[author.actor, 3], [holder.actor, 2]].sort());

    const feeds = resumed(holder, backing, chains);
    expect(feeds.count(author.actor)).toBe(3);
    expect(feeds.count(holder.actor)).toBe(2);
    // The author's next ops check against its signature from the resumed chain: one altered does not.
    author.edit((l) => l.insert(1, 2), 2);
    const next = signedPush(author, 3);
    expect(check(feeds, next).refusals).toEqual([]);
    expect(check(feeds, { ...next, ops: [withValue(next.ops[0]!, 9), ...next.ops.slice(1)] }).refusals).toMatchObject([{ code: 'bad_signature' }]);
    // Own new ops are signed on from the resumed chain: a receiver of the first two takes them.
    const ownNext = holder.edit((l) => l.insert(0, 6), 1);
    const receiver = newReplica(2);
    expect(deliver(receiver, signedPush(holder)).status).toBe('ok');
    const point = feeds.signOwn(ownNext)[0]!;
    expect(point.signature).toEqual(holder.replicator.feeds.proof(holder.actor, 3).signature);
  });

  it('a chain state that does not match its signed point, or cannot be read, is left out: the feed is hashed from its ops', () => {
    const { author, backing, holder } = held();
    const [good] = holder.replicator.feeds.chainStates().filter((c) => c.actor === author.actor);
    const wrong = { ...good!, state: flip(good!.state, 3) };
    const unreadable = { ...good!, state: good!.state.subarray(0, 10) };
    const elsewhere = { ...good!, count: 2 };
    for (const bad of [wrong, unreadable, elsewhere]) expect(resumed(holder, backing, [bad]).count(author.actor)).toBe(0);
    // With its ops, as a store holds them, the feed is counted as before.
    expect(resumed(holder, backing, [wrong], new MemoryStore<number>(0, backing).load()).count(author.actor)).toBe(3);
  });
});

describe('a feed taken in part', () => {
  it('is held as far as it was taken, with the signature at the end and the rest as its tail: a fresh replica gets those ops from it', () => {
    const missing = newReplica(2);
    missing.edit((l) => l.insert(0, 200));
    const origin = signedPush(missing);
    const one = newReplica(1);
    expect(deliver(one, origin).status).toBe('ok');
    one.edit((l) => l.insert(1, 1), 3);
    // The receiver lacks `missing`'s op: `one`'s ops wait, and only two fit in its pending set.
    const receiver = newReplica(0, { peers: ['fresh'], makeList: (a) => new ReferenceList<number>(a, { maxPending: 2 }) });
    const push = signedPush(one);
    expect(deliver(receiver, push).status).toBe('full');
    expect(receiver.replicator.feeds.count(one.actor)).toBe(2);
    const point = receiver.replicator.feeds.latestPoint(one.actor);
    expect(point).toMatchObject({ counter: 2, signature: push.proof.signature });
    expect(point?.tail?.map((op) => op.id.counter)).toEqual([3]);
    expect(deliver(receiver, origin).status).toBe('ok');
    expect(receiver.list.pendingCount).toBe(0);
    // Relayed: a fresh replica takes the two ops, checked against the author's signature over three.
    const fresh = newReplica(3, { peers: ['r0'] });
    pull(fresh, receiver, 'r0');
    expect(fresh.list.version().get(one.actor)).toBe(2);
    expect(fresh.replicator.feeds.count(one.actor)).toBe(2);
    // The third comes from its author, and runs on from there.
    expect(deliver(fresh, signedPush(one, 2)).status).toBe('ok');
    expect(fresh.list.toArray()).toEqual(one.list.toArray());
  });
});

describe('pages cut at signed points', () => {
  /** Sync `receiver` from `source` page by page until it says no more; the pages as served. */
  function syncAll(receiver: Replica<number>, source: Replica<number>): SyncPage<number>[] {
    const pages: SyncPage<number>[] = [];
    for (let more = true; more; ) {
      expect(pages.length).toBeLessThan(100);
      const request = syncRequest(receiver);
      const page = source.serveSync(receiver.actor, request.version);
      pages.push(page);
      const outcome = receiver.onReply('peer', request, { type: 'sync', ...page }, 0);
      expect(outcome.refusals).toEqual([]);
      expect(outcome.accepted.length).toBe(page.ops.length);
      // Every proof ends exactly at its feed's last op in the page; one proof per feed.
      const last = new Map<ActorId, number>();
      for (const op of page.ops) last.set(op.id.actor, op.id.counter);
      expect(new Map(page.proofs.map((p) => [p.actor, p.counter]))).toEqual(last);
      more = page.more;
    }
    return pages;
  }

  it('an edit of 600 ops reaches a fresh replica in pages of at most 100 ops asked for, cut at 256 and 600', () => {
    const authorBacking = memoryBacking<number>();
    const author = newReplica(1, { backing: authorBacking, config: { maxOps: 100 } });
    let v = 0;
    author.edit((l) => l.insert(l.length, v++ % 256), 600);
    expect(POINT_SPACING).toBe(256);
    expect([...authorBacking.points.values()].map((p) => p.counter).sort((a, b) => a - b)).toEqual([256, 512, 600]);

    const receiver = newReplica(0, { peers: ['peer'] });
    const pages = syncAll(receiver, author);
    expect(pages.length).toBe(2);
    expect(pages.map((p) => p.proofs.map((q) => q.counter))).toEqual([[256], [600]]);
    expect(pages.map((p) => p.ops.length)).toEqual([256, 344]);
    expect(receiver.list.toArray()).toEqual(author.list.toArray());
    expect(receiver.replicator.feeds.count(author.actor)).toBe(600);

    // The same after the author restarts: its points come back from its store.
    const again = newReplica(1, { backing: authorBacking, config: { maxOps: 100 } });
    const other = newReplica(3, { peers: ['peer'] });
    const pages2 = syncAll(other, again);
    expect(pages2.map((p) => p.proofs.map((q) => q.counter))).toEqual([[256], [600]]);
    expect(other.list.toArray()).toEqual(author.list.toArray());
  });

  it('a relay passes on a long feed it took, with two authors interleaved, to a fresh replica in small pages', () => {
    const a = newReplica(1, { config: { maxOps: 100 } });
    const b = newReplica(2, { config: { maxOps: 100 } });
    let v = 0;
    a.edit((l) => l.insert(l.length, v++ % 256), 600);
    const relay = newReplica(5, { peers: ['peer'], config: { maxOps: 100 } });
    syncAll(relay, a);
    expect(deliver(b, signedPush(a)).status).toBe('ok');
    b.edit((l) => l.insert(0, 1), 300);
    b.edit((l) => l.delete(0), 5);
    syncAll(relay, b);
    expect(relay.list.toArray()).toEqual(b.list.toArray());
    const fresh = newReplica(6, { peers: ['peer'] });
    const pages = syncAll(fresh, relay);
    expect(pages.every((p) => p.ops.length > 0)).toBe(true);
    expect(fresh.list.toArray()).toEqual(relay.list.toArray());
    expect(fresh.list.version()).toEqual(relay.list.version());
  });
});
