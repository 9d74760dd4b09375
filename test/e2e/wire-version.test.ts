import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { freeBase, getJson, killAll, startCli, waitFor } from '../helpers/processes.js';

let peer: Server | undefined;
afterAll(() => {
  peer?.close();
  killAll();
});

describe('a peer of a newer wire version', () => {
  it('is reported at level error in the actor\'s log, with the versions each side speaks', async () => {
    // A stand-in for a newer actor: it answers syncs in JSON wire version 3 (this build speaks JSON
    // version 2 and binary version 6), and would refuse this build's binary version 6 pushes.
    peer = createServer((req, res) => {
      req.resume();
      res.setHeader('content-type', 'application/json');
      if (req.url === '/sync') return res.end(JSON.stringify({ v: 3, from: 1, version: {}, ops: [], proofs: [], more: false }));
      res.statusCode = 400;
      res.end(JSON.stringify({ error: 'invalid_body', message: 'refused a binary message of wire version 6: this actor speaks wire versions 3 (JSON) and 7 (binary)' }));
    });
    await new Promise<void>((resolve) => peer?.listen(0, '127.0.0.1', resolve));
    const base = await freeBase(1);
    const actor = startCli(['-a', '0', '-b', String(base), '--peers', `http://127.0.0.1:${(peer.address() as AddressInfo).port}`, '--memory', '--interval', '50-100', '--mutations', '3']);
    const errors = (): string[] => actor.stderr.join('').split('\n').filter((l) => l.includes('"level":50'));
    await waitFor('the sync failure at level error', () => errors().some((l) => /the peer answered with a JSON message of wire version 3: this actor speaks wire versions 2 \(JSON\) and 6 \(binary\)/.test(l)));
    // Said once, not on every retry.
    await waitFor('three failed syncs', async () => (await getJson<{ messages: { failed: number } }>(`http://127.0.0.1:${base}/status`)).messages.failed >= 3);
    expect(errors()).toHaveLength(1);
  });
});
