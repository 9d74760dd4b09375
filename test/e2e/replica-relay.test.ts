import { afterAll, describe, expect, it } from 'vitest';
import { byteCodec } from '../../src/crdt/value-codec.js';
import { isGene } from '../../src/genome/gene.js';
import { toHex } from '../../src/genome/render.js';
import { decodeEnvelope, SYNC } from '../../src/session/envelope.js';
import { nodeSession } from '../../src/session/node.js';
import { pump } from '../../src/session/pump.js';
import type { SessionMessage, SyncSession } from '../../src/session/SyncSession.js';
import type { JoinAnswer } from '../../src/web/types.js';
import { dashboardUrl } from '../helpers/browser.js';
import { freeBase, getJson, killAll, startCli, tmpDataDir, waitFor } from '../helpers/processes.js';

afterAll(() => killAll());

/**
 * A replica that syncs with the lab's actors only through the dashboard's relay, as a browser tab
 * does: a Node session here, so that this checks the relay alone (the tab itself is checked in
 * Chromium by replica-panel.test.ts).
 */
describe("the dashboard's relay for a guest replica", () => {
  it('gives a tab a guest slot, catches it up from a collected state, and carries its edits to every actor; refuses what is not its to send', { timeout: 180_000 }, async () => {
    const base = await freeBase(3);
    const cluster = startCli(['cluster', '--count', '3', '--base', String(base), '--dashboard-port', String(base - 1), '--data-dir', tmpDataDir(), '--interval', '5-30', '--mutations', '600', '--verify-interval', '500', '--seed', '21']);
    const url = new URL(await dashboardUrl(cluster));
    const token = url.searchParams.get('token') as string;
    const origin = url.origin;
    const actorUrl = (i: number): string => `http://127.0.0.1:${base + i}`;
    const auth = { authorization: `Bearer ${token}` };
    const join = (tab: string, member?: number): Promise<Response> =>
      fetch(`${origin}/api/replica/join`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ tab, ...(member === undefined ? {} : { member }) }) });
    const relay = (actor: number, body: Uint8Array | string, headers: Record<string, string> = auth, type = 'application/octet-stream'): Promise<Response> =>
      fetch(`${origin}/api/replica/${actor}`, { method: 'POST', headers: { ...headers, 'content-type': type }, body: typeof body === 'string' ? body : Buffer.from(body) });

    type Status = { mutations: number; collected: Record<string, number> };
    const statuses = (): Promise<Status[]> => Promise.all([0, 1, 2].map((i) => getJson<Status>(`${actorUrl(i)}/status`)));
    const collected = (s: Status): number => Object.values(s.collected).reduce((a, n) => a + n, 0);
    // Each actor has collected, while all still mutate: a newcomer must be caught up from a state.
    await waitFor('every actor collecting', async () => (await statuses()).every((s) => collected(s) > 0), 90_000, 250);

    const joined = (await (await join('node-tab-one')).json()) as JoinAnswer;
    expect(joined).toMatchObject({ member: 3, members: 5, actors: [0, 1, 2] });
    expect(joined.cluster).toMatch(/^[\w-]{8,}$/);
    // The same tab keeps its slot; another gets the next; a third finds none.
    expect(((await (await join('node-tab-one')).json()) as JoinAnswer).member).toBe(3);
    expect(((await (await join('node-tab-two')).json()) as JoinAnswer).member).toBe(4);
    const none = await join('node-tab-three');
    expect(none.status).toBe(409);
    expect(await none.json()).toMatchObject({ error: 'no_slot' });

    const answers: number[] = [];
    let lastSync: Uint8Array = new Uint8Array(0);
    const connect = (session: SyncSession<number>): { stop(): void } => {
      const p = pump(session, (m: SessionMessage) => {
        if (session === tab && decodeEnvelope(m.bytes).kind === SYNC) lastSync = m.bytes;
        void relay(Number(m.peer.slice('actor-'.length)), m.bytes).then(async (res) => {
          if (!res.ok) return session.disconnected(m.peer, Date.now());
          const bytes = new Uint8Array(await res.arrayBuffer());
          if (decodeEnvelope(m.bytes).kind === SYNC) answers.push(decodeEnvelope(bytes).body[0] as number);
          session.receive(m.peer, bytes, Date.now());
          p.wake();
        }, () => session.disconnected(m.peer, Date.now()));
        return true;
      });
      p.wake();
      return p;
    };
    const tab = nodeSession({ member: joined.member, members: joined.members, voters: joined.actors.length, codec: byteCodec, isValue: isGene, states: true, peers: joined.actors.map((a) => `actor-${a}`), timeoutMs: 5000 });
    const running = connect(tab);
    const genome = async (i: number): Promise<string> => (await fetch(`${actorUrl(i)}/genome`)).text();
    await waitFor('the tab to hold ops', () => tab.list.length > 0, 30_000, 100);
    // Caught up from a state (a sync answer of kind 'T'), not op by op: the actors collected what it lacked.
    expect(answers).toContain('T'.charCodeAt(0));
    const before = (await statuses()).map(collected);
    await waitFor('every actor done mutating, and the tab holding the genome', async () => (await statuses()).every((s) => s.mutations === 600) && toHex(tab.list.toArray()) === (await genome(joined.actor)), 90_000, 250);
    // The tab counts for collection once heard: it retires what the actors said they retired, so
    // they go on collecting (a tab that never did would hold them to what it retired at first).
    await waitFor('the actors to collect on', async () => (await statuses()).every((s, i) => collected(s) > (before[i] as number) + 100), 30_000, 250);

    tab.insertMany(0, [0xab, 0xcd, 0xef]);
    tab.deleteMany(tab.list.length - 1, 1);
    running.stop();
    const again = connect(tab);
    await waitFor('every actor to hold the tab\'s edits', async () => {
      const mine = toHex(tab.list.toArray());
      return (await Promise.all([0, 1, 2].map(genome))).every((g) => g === mine);
    }, 60_000, 250);
    expect(toHex(tab.list.toArray()).startsWith('abcdef')).toBe(true);
    again.stop();

    // What the relay refuses: no token, bytes that are not a session message, an actor it lacks,
    // a member that is not a guest, and another replica in a slot already bound.
    const message = (s: SyncSession<number>): Uint8Array => (s.poll(Date.now()).find((m) => decodeEnvelope(m.bytes).kind === SYNC) as SessionMessage).bytes;
    const copy = message(nodeSession({ member: joined.member, members: 5, codec: byteCodec, peers: ['x'] }));
    expect((await relay(0, copy, {})).status).toBe(401);
    const junk = await relay(0, new Uint8Array([1, 2, 3]));
    expect([junk.status, ((await junk.json()) as { error: string }).error]).toEqual([400, 'invalid_body']);
    expect((await relay(0, '{"a":1}', auth, 'application/json')).status).toBe(400);
    const nowhere = await relay(7, copy);
    expect([nowhere.status, ((await nowhere.json()) as { error: string }).error]).toEqual([404, 'unknown_actor']);
    const actor = nodeSession({ member: 0, members: 5, codec: byteCodec, peers: ['x'] });
    const notGuest = await relay(0, message(actor));
    expect([notGuest.status, ((await notGuest.json()) as { error: string }).error]).toEqual([403, 'not_a_guest']);
    const taken = await relay(0, copy);
    expect([taken.status, ((await taken.json()) as { error: string }).error]).toEqual([409, 'slot_taken']);
    // Joining again starts the tab's replica afresh: a new incarnation may speak in its slot.
    await join('node-tab-one');
    expect((await relay(0, copy)).status).toBe(200);
    const old = await relay(0, lastSync);
    expect([old.status, ((await old.json()) as { error: string }).error]).toEqual([409, 'slot_taken']);
  });
});
