import { createServer, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { startActor, type RunningActor } from '../../src/actor/run.js';
import { actorId } from '../../src/crdt/ids.js';
import { freeBase, waitFor } from '../helpers/processes.js';
import pino from 'pino';

const running: RunningActor[] = [];
const sockets: Socket[] = [];
/** Accepts connections and never answers, like a stopped (SIGSTOP) process. */
const blackHole = createServer((socket) => sockets.push(socket));

afterAll(async () => {
  await Promise.all(running.map((a) => a.stop()));
  for (const s of sockets) s.destroy();
  blackHole.close();
});

describe('a peer that accepts connections and never answers', () => {
  it('stalls neither the pushes to other peers nor the verifier', async () => {
    const base = await freeBase(3);
    await new Promise<void>((resolve) => blackHole.listen(base + 2, '127.0.0.1', resolve));
    const url = (i: number) => `http://127.0.0.1:${base + i}`;
    const common = { host: '127.0.0.1', interval: { min: 0, max: 2 }, mutations: 200, verifyIntervalMs: 200, syncIntervalMs: 500, dropRate: 0, token: null, dataDir: null, logLevel: 'silent' as const };
    for (const i of [0, 1]) {
      const a = await startActor(
        { ...common, actor: actorId(i), port: base + i, peers: [url(1 - i), url(2)], peerIds: new Map([[url(1 - i), actorId(1 - i)], [url(2), actorId(2)]]), seed: i },
        pino({ level: 'silent' }),
      );
      running.push(a);
    }
    const [a0, a1] = running as [RunningActor, RunningActor];
    // Each request to the silent peer waits out its 2 s timeout; if that blocked anything,
    // 200 mutations pushed one by one would take minutes. Ops are held by author id: each
    // actor's incarnation (not its member number).
    const authors = [a0.state.incarnation, a1.state.incarnation];
    expect(new Set(authors).size).toBe(2);
    await waitFor('both actors to hold all 400 ops', () =>
      [a0, a1].every((a) => authors.every((author) => a.state.replica.list.version().get(author) === 200)), 15_000);
    expect(a0.state.digest).toBe(a1.state.digest);
    await waitFor('the verifier to report one match', () => a0.state.matchCount === 1 && a1.state.matchCount === 1, 15_000);
    expect(sockets.length).toBeGreaterThan(0);
  });
});
