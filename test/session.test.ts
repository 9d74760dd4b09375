import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonCodec, stringCodec } from '../src/crdt/value-codec.js';
import { Rng } from '../src/genome/Rng.js';
import { ANSWER, decodeEnvelope, encodeEnvelope, PUSH, SYNC } from '../src/session/envelope.js';
import { nodeSession } from '../src/session/node.js';
import type { SyncSession } from '../src/session/SyncSession.js';

interface Net {
  loss: number;
  duplicate: number;
}

/**
 * `sessions` named s0.. on a network that loses, duplicates and reorders messages (a delay of 1 to
 * 300 ms each) while `net` says so, each editing at random for `editMs`; then the network heals and
 * they run until their lists agree or `limitMs` passes. Returns the time it took, or -1.
 */
function run(sessions: SyncSession<string>[], rng: Rng, net: Net, editMs: number, start = 0, limitMs = 120_000): number {
  const names = sessions.map((_, i) => `s${i}`);
  const inbox: Array<{ at: number; to: number; from: string; bytes: Uint8Array }> = [];
  const problems: string[] = [];
  for (let now = start; now < start + limitMs; now += 10) {
    const healed = now >= start + editMs;
    sessions.forEach((s, i) => {
      if (!healed && rng.next() < 0.05) {
        const list = s.list;
        if (list.length > 0 && rng.next() < 0.4) s.deleteMany(rng.int(list.length), 1);
        else s.insertMany(rng.int(list.length + 1), [`${names[i]}@${now}`, `${rng.int(100)}`].slice(0, 1 + rng.int(2)));
      }
      for (const { peer, bytes } of s.poll(now)) {
        const to = names.indexOf(peer);
        if (!healed && rng.next() < net.loss) continue;
        const copies = !healed && rng.next() < net.duplicate ? 2 : 1;
        for (let c = 0; c < copies; c++) inbox.push({ at: now + 1 + rng.int(300), to, from: names[i] as string, bytes });
      }
    });
    inbox.sort((a, b) => a.at - b.at);
    while (inbox.length > 0 && (inbox[0] as { at: number }).at <= now) {
      const m = inbox.shift() as (typeof inbox)[number];
      const problem = (sessions[m.to] as SyncSession<string>).receive(m.from, m.bytes, now);
      // Late answers (after a timeout) and duplicated ones are expected; nothing else.
      if (problem !== null && !problem.startsWith('an answer to no request in flight')) problems.push(problem);
    }
    const [first, ...rest] = sessions;
    if (healed && inbox.length === 0 && rest.every((s) => sameList(s, first as SyncSession<string>))) {
      expect(problems).toEqual([]);
      return now - start - editMs;
    }
  }
  return -1;
}

const sameList = (a: SyncSession<string>, b: SyncSession<string>): boolean =>
  a.list.pendingCount === 0 && b.list.pendingCount === 0 && JSON.stringify([...a.list.version()].sort()) === JSON.stringify([...b.list.version()].sort()) && JSON.stringify(a.list.toArray()) === JSON.stringify(b.list.toArray());

const mesh = (n: number, members = n, states = false): SyncSession<string>[] =>
  Array.from({ length: n }, (_, i) => nodeSession({ member: i, members, codec: stringCodec, now: 0, timeoutMs: 1000, states, peers: Array.from({ length: n }, (_, j) => `s${j}`).filter((p) => p !== `s${i}`) }));

describe('a sync session', () => {
  it('converges for any loss below 1, duplication and reordering once the network heals, with every edit of every replica', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 4 }), fc.double({ min: 0, max: 0.9, noNaN: true }), fc.double({ min: 0, max: 0.5, noNaN: true }), fc.nat(), (n, loss, duplicate, seed) => {
        const sessions = mesh(n);
        const took = run(sessions, new Rng(seed), { loss, duplicate }, 3000);
        expect(took, `seed ${seed}: converged`).toBeGreaterThanOrEqual(0);
        const edits = sessions.reduce((sum, s) => sum + s.list.version().get(s.actor)!, 0);
        expect([...(sessions[0] as SyncSession<string>).list.version().values()].reduce((a, b) => a + b, 0)).toBe(edits);
      }),
      { numRuns: 25 },
    );
  });

  it('catches up a replica that joins late, from a peer, with nothing of its own lost', () => {
    const [a, b] = mesh(2);
    const rng = new Rng(7);
    for (let i = 0; i < 50; i++) a!.insertMany(0, [`a${i}`]);
    b!.insertMany(0, ['b']);
    expect(run([a!, b!], rng, { loss: 0, duplicate: 0 }, 0)).toBeGreaterThanOrEqual(0);
    expect(b!.list.toArray()).toContain('b');
    expect(b!.list.length).toBe(a!.list.length);
  });

  it('with states, catches up a replica far behind from a peer\'s state, its listeners told so that a mirror stays exact', () => {
    const [a, b] = mesh(2, 2, true);
    // More than a page (4,096 ops) and all b lacks: a state serves it better than ops.
    for (let i = 0; i < 50; i++) a!.insertMany(a!.list.length, Array.from({ length: 100 }, (_, j) => `a${i}.${j}`));
    a!.deleteMany(10, 2000);
    b!.insertMany(0, ['b0', 'b1']);
    const mirror: string[] = [];
    b!.list.onChange((e) => (e.type === 'insert' ? mirror.splice(e.index, 0, ...e.values) : mirror.splice(e.index, e.count)));
    // b asks a, and a answers with a state (a reply of kind 'T').
    const asked = b!.poll(0).filter((m) => decodeEnvelope(m.bytes).kind === SYNC);
    expect(asked.length).toBeGreaterThan(0);
    for (const m of asked) expect(a!.receive('s1', m.bytes, 1)).toBeNull();
    const answers = a!.poll(2).filter((m) => decodeEnvelope(m.bytes).kind === ANSWER);
    expect(answers.map((m) => String.fromCharCode(decodeEnvelope(m.bytes).body[0]!))).toEqual(['T']);
    for (const m of answers) expect(b!.receive('s0', m.bytes, 3)).toBeNull();
    expect(b!.list.length).toBe(a!.list.length + 2);
    expect(mirror).toEqual(b!.list.toArray());
    expect(run([a!, b!], new Rng(5), { loss: 0, duplicate: 0 }, 0, 10)).toBeGreaterThanOrEqual(0);
    expect(b!.list.toArray()).toEqual(a!.list.toArray());
    expect(mirror).toEqual(b!.list.toArray());
  });

  it('refuses an edit while a peer said it retired deletes this replica does not hold yet, and edits once the next page brought them', () => {
    const [a, b, c] = mesh(3);
    const named: Record<string, SyncSession<string>> = { s0: a!, s1: b! };
    // More than a page of inserts, then deletes: their ops come on the second page.
    a!.insertMany(0, Array.from({ length: 5000 }, (_, i) => `x${i}`));
    a!.deleteMany(0, 100);
    // b takes all of it and tells a so (c hears nothing yet): a retires those deletes.
    for (let now = 0; now < 5000; now += 10) {
      for (const [name, session] of Object.entries(named)) {
        for (const m of session.poll(now)) named[m.peer]?.receive(name, m.bytes, now);
      }
    }
    expect(b!.list.toArray()).toEqual(a!.list.toArray());
    // c asks a: the first page says what a retired, and carries only the first 4,096 ops.
    const exchange = (now: number): void => {
      for (const m of c!.poll(now).filter((m) => m.peer === 's0' && decodeEnvelope(m.bytes).kind === SYNC)) {
        expect(a!.receive('s2', m.bytes, now)).toBeNull();
        for (const answer of a!.poll(now).filter((x) => x.peer === 's2' && decodeEnvelope(x.bytes).kind === ANSWER)) expect(c!.receive('s0', answer.bytes, now)).toBeNull();
      }
    };
    exchange(5000);
    expect(c!.list.length).toBe(4096);
    expect(c!.mayEdit()).toBe(false);
    expect(() => c!.insertMany(0, ['too soon'])).toThrow(/catching up/);
    expect(c!.list.length).toBe(4096);
    // The next page (asked at once: the first said there was more) brings the deletes.
    exchange(5001);
    expect(c!.mayEdit()).toBe(true);
    c!.insertMany(0, ['now']);
    expect(c!.list.toArray().slice(0, 2)).toEqual(['now', 'x100']);
  });

  it('tells its listeners of remote ops in index terms, so a mirror equals the list', () => {
    const [a, b] = mesh(2);
    const mirror: string[] = [];
    b!.list.onChange((e) => (e.type === 'insert' ? mirror.splice(e.index, 0, ...e.values) : mirror.splice(e.index, e.count)));
    a!.insertMany(0, ['x', 'y', 'z']);
    a!.deleteMany(1, 1);
    b!.insert(0, 'w');
    expect(run([a!, b!], new Rng(3), { loss: 0.3, duplicate: 0.2 }, 2000)).toBeGreaterThanOrEqual(0);
    expect(mirror).toEqual(b!.list.toArray());
  });

  it('retries a request that times out, and ignores the late answer to it', () => {
    const [a, b] = mesh(2);
    a!.insert(0, 'lost');
    const first = a!.poll(0);
    expect(first.length).toBeGreaterThan(0);
    // Nothing answered: after the timeout the push is tried again.
    let again: ReturnType<SyncSession<string>['poll']> = [];
    let t = 10;
    for (; again.length === 0 && t < 30_000; t += 10) again = a!.poll(t);
    expect(t).toBeGreaterThan(1000);
    expect(again.map((m) => m.peer)).toEqual(first.map((m) => m.peer));
    // The first request arrives late, after the retry: its answer finds no request in flight.
    for (const m of [...again, ...first]) expect(b!.receive('s0', m.bytes, t)).toBeNull();
    const problems = b!.poll(t).map((m) => a!.receive('s1', m.bytes, t));
    expect(problems.filter((p) => p !== null)).toEqual(first.map((m) => `an answer to no request in flight (${decodeEnvelope(m.bytes).id})`));
    expect(run([a!, b!], new Rng(1), { loss: 0, duplicate: 0 }, 0, t)).toBeGreaterThanOrEqual(0);
    expect(b!.list.toArray()).toEqual(['lost']);
  });

  it('refuses what is not a message, an author that is not a member, and values the list does not hold, keeping nothing', () => {
    const [a] = mesh(2);
    const b = nodeSession({ member: 1, members: 2, codec: stringCodec, now: 0, peers: ['s0'], isValue: (v) => v.length <= 3 });
    expect(b.receive('s0', Uint8Array.of(1, 2, 3), 0)).toMatch(/^not a message: not a sync session message/);
    expect(b.receive('s0', 'text' as never, 0)).toMatch(/must be a Uint8Array/);
    expect(b.receive('s0', Uint8Array.of(0x47, 9, 1, 1), 0)).toMatch(/version 9: this build speaks version 1/);
    expect(b.receive('s0', encodeEnvelope(PUSH, 1, Uint8Array.of(0x50, 6, 0xff)), 0)).toMatch(/^push refused \(invalid_body\)/);
    // A stranger (member 5 of a list of 2) is refused, and told so.
    const stranger = nodeSession({ member: 5, members: 6, codec: stringCodec, now: 0, peers: ['s1'] });
    stranger.insert(0, 'x');
    for (const m of stranger.poll(0)) expect(b.receive('s5', m.bytes, 0)).toMatch(/refused \(invalid_op\): author \d+ is not a member/);
    // A value the list does not hold (longer than 3) refuses the whole push.
    a!.insertMany(0, ['ok', 'far too long']);
    for (const m of a!.poll(0)) b.receive('s0', m.bytes, 0);
    expect(b.list.length).toBe(0);
    const replies = b.poll(0).map((m) => decodeEnvelope(m.bytes).kind);
    expect(replies.length).toBeGreaterThan(0);
    expect(() => nodeSession({ member: 2, members: 2, codec: stringCodec, peers: [] })).toThrow(/member 2 is not below members \(2\)/);
    expect(() => b.insertMany('0' as never, ['a'])).toThrow(TypeError);
    expect(b.list.length).toBe(0);
  });

  it('takes a malformed answer as none: the request is sent again after a backoff', () => {
    const [a] = mesh(2);
    const sent = a!.poll(0);
    const sync = sent.map((m) => decodeEnvelope(m.bytes)).find((e) => e.kind === SYNC);
    expect(sync).toBeDefined();
    expect(a!.receive('s1', encodeEnvelope(ANSWER, sync!.id, Uint8Array.of(0x53, 6, 0xff)), 10)).toMatch(/^a malformed answer: /);
    let again: ReturnType<SyncSession<string>['poll']> = [];
    let t = 20;
    for (; again.length === 0 && t < 10_000; t += 10) again = a!.poll(t);
    expect(again.map((m) => decodeEnvelope(m.bytes).kind)).toContain(SYNC);
    expect(t).toBeLessThan(1000);
  });

  it('syncs JSON values, equal by their text', () => {
    const a = nodeSession<unknown>({ member: 0, members: 2, codec: jsonCodec, now: 0, peers: ['s1'] });
    const b = nodeSession<unknown>({ member: 1, members: 2, codec: jsonCodec, now: 0, peers: ['s0'] });
    a.insertMany(0, [{ gene: 1 }, [2, 'three'], null]);
    for (let t = 0; t < 5000; t += 10) {
      for (const m of a.poll(t)) b.receive('s0', m.bytes, t);
      for (const m of b.poll(t)) a.receive('s1', m.bytes, t);
    }
    expect(b.list.toArray()).toEqual([{ gene: 1 }, [2, 'three'], null]);
  });
});
