import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { runVerifier, VERIFY_SAMPLE } from '../src/actor/Verifier.js';
import { Rng } from '../src/genome/Rng.js';
import { mapBounded } from '../src/util/bounded.js';
import { sample } from '../src/util/sample.js';
import { actorApp } from './helpers/actor-app.js';

const servers: Server[] = [];
afterAll(() => Promise.all(servers.map((s) => new Promise((done) => s.close(done)))));

/** A peer that answers `/status` with `digest`, counting how often it was asked. */
async function peer(digest: string): Promise<{ url: string; asked: () => number }> {
  let asked = 0;
  const server = createServer((_req, res) => {
    asked++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ digest }));
  });
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asked: () => asked };
}

describe('the verifier', () => {
  it(`compares with every peer of a small cluster, and with ${VERIFY_SAMPLE} drawn afresh each round in a large one; match count is over those compared`, async () => {
    const { state, logs } = actorApp();
    const ours = state.digest;
    // 20 peers: the first 10 hold our genome, the rest another.
    const peers = await Promise.all(Array.from({ length: 20 }, (_, i) => peer(i < 10 ? ours : 'other')));
    const log = pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) });
    const stop = new AbortController();
    const rounds = 6;
    const running = runVerifier(state, peers.map((p) => p.url), { intervalMs: 20, timeoutMs: 2000, rng: new Rng(1) }, log, stop.signal);
    await new Promise<void>((done) => {
      const t = setInterval(() => {
        if (logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('match count')).length >= rounds) {
          clearInterval(t);
          done();
        }
      }, 5);
    });
    stop.abort();
    await running;
    const lines = logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('match count')).slice(0, rounds);
    for (const l of lines) {
      expect(l.compared).toBe(VERIFY_SAMPLE);
      expect(l.peers).toBe(20);
      expect(l.matchCount as number).toBeLessThanOrEqual(VERIFY_SAMPLE);
      expect(l.msg).toBe(`match count = ${l.matchCount as number}`);
    }
    const asked = peers.map((p) => p.asked());
    expect(asked.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(rounds * VERIFY_SAMPLE);
    // Drawn afresh each round: more than one round's worth of peers were asked.
    expect(asked.filter((n) => n > 0).length).toBeGreaterThan(VERIFY_SAMPLE);
  });
});

describe('sampling and bounded polling', () => {
  it('sample draws distinct items, all of them when asked for as many, each about equally often', () => {
    const rng = new Rng(3);
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 5000; i++) {
      const s = sample([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 3, () => rng.next());
      expect(new Set(s).size).toBe(3);
      for (const x of s) counts[x] = (counts[x] as number) + 1;
    }
    // 1,500 expected each; a fair draw stays well within 20%.
    for (const c of counts) expect(Math.abs(c - 1500)).toBeLessThan(300);
    expect(sample([1, 2], 5, () => rng.next()).sort()).toEqual([1, 2]);
  });

  it('mapBounded keeps the order of the results and never has more than its limit in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const out = await mapBounded(Array.from({ length: 30 }, (_, i) => i), 4, async (x) => {
      most = Math.max(most, ++inFlight);
      await new Promise((done) => setTimeout(done, (x * 7) % 5));
      inFlight--;
      return x * 2;
    });
    expect(out).toEqual(Array.from({ length: 30 }, (_, i) => i * 2));
    expect(most).toBe(4);
  });
});
