import { Ajv } from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { actorId } from '../src/crdt/ids.js';
import type { Op } from '../src/crdt/ops.js';
import { ReferenceList } from '../src/crdt/ReferenceList.js';
import { versionFromJSON } from '../src/crdt/version.js';
import { batchSchema, decodeOp, decodeProof, decodeSyncReply, encodeOp, encodePush, encodeProof, encodeSyncReply, encodeSyncRequest, syncRequestSchema, type WireBatch, type WireSyncRequest } from '../src/transport/wire.js';
import { newReplica, signedPush } from './helpers/feeds.js';

describe('wire format v2', () => {
  it('round-trips ops', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat({ max: 255 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }))), (edits) => {
        const list = new ReferenceList<number>(actorId(3));
        const ops = edits.flatMap(([ins, v, at]): Op<number>[] =>
          ins || list.length === 0 ? [list.insert(Math.floor(at * (list.length + 1)), v)] : [list.delete(Math.floor(at * list.length))],
        );
        for (const op of ops) expect(decodeOp(JSON.parse(JSON.stringify(encodeOp(op))))).toEqual(op);
      }),
      { numRuns: 200 },
    );
  });

  it('round-trips signed pushes, sync requests and sync replies of incarnations (author ids past 65535), through their schemas', () => {
    const ajv = new Ajv({ strict: false });
    const validPush = ajv.compile<WireBatch>(batchSchema);
    const validRequest = ajv.compile<WireSyncRequest>(syncRequestSchema);
    const one = newReplica(1);
    const two = newReplica(2, { config: { maxOps: 100 } });
    one.edit((l) => l.insert(0, 1), 3);
    const push = signedPush(one);
    expect(one.actor).toBeGreaterThan(0xffff);

    const body: unknown = JSON.parse(encodePush(push.from, push.ops, push.proof));
    expect(validPush(body)).toBe(true);
    const wire = body as WireBatch;
    expect(wire).toMatchObject({ v: 2, from: one.actor, proof: { actor: one.actor, counter: 3, key: expect.stringMatching(/^[0-9a-f]{64}$/), signature: expect.stringMatching(/^[0-9a-f]{128}$/) } });
    expect(wire.ops.map(decodeOp)).toEqual(push.ops);
    expect(decodeProof(wire.proof)).toEqual(push.proof);
    expect(decodeProof(encodeProof(push.proof))).toEqual(push.proof);

    expect(two.receivePush(push.from, wire.ops.map(decodeOp), decodeProof(wire.proof)).status).toBe('ok');
    two.edit((l) => l.delete(0));
    const request: unknown = JSON.parse(encodeSyncRequest(one.actor, one.list.version()));
    expect(validRequest(request)).toBe(true);
    expect(request).toEqual({ v: 2, from: one.actor, version: { [one.actor]: 3 } });
    const page = two.serveSync(one.actor, versionFromJSON((request as WireSyncRequest).version));
    expect(page.ops.map((op) => op.id.actor)).toEqual([two.actor]);
    const reply = decodeSyncReply(JSON.parse(JSON.stringify(encodeSyncReply(two.actor, page))));
    expect(reply).toEqual(page);
    expect('yours' in reply).toBe(false);
  });
});
