import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FastList } from '../src/crdt/fast/FastList.js';
import { replicaId, type ActorId } from '../src/crdt/ids.js';
import { meet, type VersionVector } from '../src/crdt/version.js';
import { copyBacking, memoryBacking, type MemoryBacking } from '../src/store/MemoryStore.js';
import type { Request } from '../src/sync/messages.js';
import { Stability } from '../src/sync/stability.js';
import { deliver, newReplica, pull, signedPush } from './helpers/feeds.js';

const v = (...pairs: Array<[number, number]>): VersionVector => new Map(pairs.map(([a, n]) => [a as ActorId, n]));
const [a0, a1, a2] = [replicaId(0, 7), replicaId(1, 8), replicaId(2, 9)];

describe('Stability: what every member holds', () => {
  it('is the meet of what each member heard from said and what this replica holds (one never heard is not waited for, but of its own feed)', () => {
    const s = new Stability(a0, 3);
    const own = v([a0, 5], [a1, 4], [a2, 3]);
    // Of its own feed, a0 counts nothing while a member it knows of (it holds their ops) is unheard.
    expect(s.stable(own)).toEqual(v([a1, 4], [a2, 3]));
    s.hear(a1, v([a0, 5], [a1, 4], [a2, 1]));
    expect(s.stable(own)).toEqual(v([a1, 4], [a2, 1]));
    s.hear(a2, v([a0, 2], [a1, 9], [a2, 3]));
    expect(s.stable(own)).toEqual(v([a0, 2], [a1, 4], [a2, 1]));
    // A guest (member 3 of 4, past the 3 voters) is asked by no member: it waits for none of them.
    const guest = replicaId(3, 5);
    expect(new Stability(guest, 4, 30_000, 3).stable(v([guest, 2], [a1, 4]))).toEqual(v([guest, 2], [a1, 4]));
  });

  it('of its own feed, counts nothing until it heard a majority of the members, itself among them: a group it never heard of may hold a copy\'s branch (seed 1,710,384,477)', () => {
    // Five members; b0 knows of none but b1 (no op of the others held, no report names them).
    const [b0, b1, b2] = [replicaId(0, 7), replicaId(1, 8), replicaId(2, 9)];
    const s = new Stability(b0, 5);
    const own = v([b0, 6], [b1, 4]);
    s.hear(b1, v([b0, 6], [b1, 4]));
    expect(s.stable(own)).toEqual(v([b1, 4]));
    s.hear(b2, v([b0, 5], [b1, 4]));
    expect(s.stable(own)).toEqual(v([b0, 5], [b1, 4]));
    // Of three members, one heard beside itself is a majority.
    const t = new Stability(a0, 3);
    t.hear(a1, v([a0, 2]));
    expect(t.stable(v([a0, 2]))).toEqual(v([a0, 2]));
    // A lone member is its own majority.
    expect(new Stability(a0, 1).stable(v([a0, 2]))).toEqual(v([a0, 2]));
  });

  it('never goes back for a reordered request, takes a member\'s newer incarnation, and ignores strangers and its own member', () => {
    const s = new Stability(a0, 3);
    const own = v([a0, 9], [a1, 9], [a2, 9]);
    s.hear(a1, v([a0, 4], [a1, 4], [a2, 4]));
    s.hear(a2, v([a0, 4], [a1, 4], [a2, 4]));
    s.hear(a1, v([a0, 2], [a1, 2], [a2, 2]));
    expect(s.stable(own)).toEqual(v([a0, 4], [a1, 4], [a2, 4]));
    // Member 1 lost its store: its new incarnation holds less, and it is who member 1 is now.
    s.hear(replicaId(1, 99), v([a0, 1]));
    expect(s.stable(own)).toEqual(v([a0, 1]));
    s.hear(replicaId(5, 1), v());
    s.hear(replicaId(0, 3), v());
    expect(s.stable(own)).toEqual(v([a0, 1]));
  });

  it('after a restart, waits again for each member heard before it (as holding nothing) until it speaks', () => {
    const s = new Stability(a0, 3);
    const own = v([a0, 5], [a1, 4], [a2, 3]);
    // The store says a1 and a2 were heard (a2's older incarnation too, and a0's own, which never count).
    s.remember([replicaId(2, 1), a1, a2, replicaId(0, 1)], 0);
    expect(s.stable(own)).toEqual(new Map());
    s.hear(a1, own);
    expect(s.stable(own)).toEqual(new Map());
    s.hear(a2, v([a0, 2], [a1, 4], [a2, 3]));
    expect(s.stable(own)).toEqual(v([a0, 2], [a1, 4], [a2, 3]));
  });

  it('is, for any requests in any order, the meet of each member\'s greatest report and what this replica holds', () => {
    const report = fc.tuple(fc.constantFrom(a1, a2), fc.array(fc.tuple(fc.constantFrom(a0, a1, a2), fc.integer({ min: 0, max: 20 })), { maxLength: 3 }));
    fc.assert(
      fc.property(fc.array(report, { minLength: 1, maxLength: 20 }), ([...reports]) => {
        const s = new Stability(a0, 3);
        const own = v([a0, 20], [a1, 20], [a2, 20]);
        const greatest = new Map<ActorId, Map<ActorId, number>>();
        for (const [from, pairs] of reports) {
          const version = new Map(pairs.filter(([, n]) => n > 0)) as VersionVector;
          s.hear(from, version);
          const g = greatest.get(from) ?? new Map<ActorId, number>();
          for (const [a, n] of version) g.set(a, Math.max(n, g.get(a) ?? 0));
          greatest.set(from, g);
        }
        const want = new Map([...greatest.values()].reduce((m: VersionVector, g) => meet(m, g), own));
        // Both other members are known (their ops are held): the own feed waits until both spoke.
        if (greatest.size < 2) want.delete(a0);
        expect(s.stable(own)).toEqual(want);
      }),
    );
  });
});

describe('Stability: what may be collected', () => {
  const report = (own: number, ...pairs: Array<[number, number]>) => ({ own, retired: v(...pairs) });

  it('keeps a usable report of an author whose ops arrive far behind its reports: the reports kept stay spread from the oldest to the newest', () => {
    // a1 reports every 10 of its ops; this replica holds them many reports late (a fast author, slow pushes).
    const s = new Stability(a0, 2, 1000);
    const mine = report(0, [a1, 1000]);
    for (let own = 10; own <= 200; own += 10) s.hear(a1, v(), report(own, [a1, own - 5]));
    expect(s.collectable(v([a1, 15]), mine, 0)?.version).toEqual(v([a1, 5]));
    for (let own = 210; own <= 400; own += 10) s.hear(a1, v(), report(own, [a1, own - 5]));
    // Held 300: a report at most a seventh of the range below it is kept.
    const c = s.collectable(v([a1, 300]), mine, 0)?.version.get(a1) ?? 0;
    expect(c).toBeGreaterThanOrEqual(300 - 5 - 400 / 7);
    expect(c).toBeLessThanOrEqual(295);
  });

  it('waits for every member and a usable report of every incarnation; takes the meet of the latest reports whose own ops are held', () => {
    const s = new Stability(a0, 3, 1000);
    const mine = report(3, [a0, 5]);
    let held = v([a0, 9], [a1, 4], [a2, 6]);
    expect(s.collectable(held, mine, 0)).toBeNull();
    s.hear(a1, v(), report(2, [a0, 4]));
    expect(s.collectable(held, mine, 0)).toBeNull();
    // a2 made 7 ops before it retired a0's first 5: op 7 is not held here, so that report cannot count yet.
    s.hear(a2, v(), report(7, [a0, 5]));
    expect(s.collectable(held, mine, 0)).toBeNull();
    const s2 = new Stability(a0, 3, 1000);
    s2.hear(a1, v(), report(2, [a0, 4]));
    s2.hear(a2, v(), report(5, [a0, 2]));
    s2.hear(a2, v(), report(4, [a0, 9])); // older: not news
    s2.hear(a2, v(), report(7, [a0, 5]));
    expect(s2.collectable(held, mine, 0)?.version).toEqual(v([a0, 2]));
    held = v([a0, 9], [a1, 4], [a2, 7]);
    expect(s2.collectable(held, mine, 0)?.version).toEqual(v([a0, 4]));
    expect(s2.collectable(held, mine, 0)?.counted).toEqual(expect.arrayContaining([a0, a1, a2]));
    // An author held here with no report at all (say, an incarnation not heard from) holds it back.
    expect(s2.collectable(v([a0, 9], [a1, 4], [a2, 7], [replicaId(1, 5), 1]), mine, 0)).toBeNull();
  });

  it('waits until it knows a majority of the members: of two groups that never heard of each other, at most one collects (seed 1682)', () => {
    const b3 = replicaId(3, 10);
    const s = new Stability(a0, 5, 1000);
    const mine = report(3, [a0, 3], [a1, 2]);
    const held = v([a0, 3], [a1, 2]);
    // a1 reports and names nobody but a0: two of five members known here.
    s.hear(a1, v([a0, 3], [a1, 2]), { ...report(2, [a0, 3], [a1, 2]), heard: [a0] });
    expect(s.collectable(held, mine, 0)).toBeNull();
    // A third (mentioned, or heard) makes a majority; as any incarnation that counts, its report decides.
    s.hear(a1, v([a0, 3], [a1, 2]), { ...report(2, [a0, 3], [a1, 2]), heard: [a0, a2] });
    expect(s.collectable(held, mine, 0)).toBeNull();
    s.hear(a2, v([a0, 3], [a1, 2]), report(0, [a0, 1]));
    expect(s.collectable(held, mine, 0)?.version).toEqual(v([a0, 1]));
    // The other two members, never heard of, are not waited for; once heard, they count.
    s.hear(b3, v(), report(0));
    expect(s.collectable(held, mine, 0)?.version).toEqual(v());
  });


  it('counts only the cluster\'s own members for that majority: guests never heard of hold nothing back, and a guest heard counts like any incarnation', () => {
    // Three actors and two guest slots (members 3 and 4).
    const s = new Stability(a0, 5, 1000, 3);
    const mine = report(3, [a0, 3]);
    const held = v([a0, 3]);
    expect(s.collectable(held, mine, 0)).toBeNull();
    s.hear(a1, v([a0, 3]), report(0, [a0, 2]));
    // Two of the three actors: a majority of the cluster's own, though not of all five members.
    expect(s.collectable(held, mine, 0)?.version).toEqual(v([a0, 2]));
    // A guest counts as it is heard: what it retired bounds what is collected.
    const guest = replicaId(3, 11);
    s.hear(guest, v([a0, 3]), report(0, [a0, 1]));
    expect(s.collectable(held, mine, 0)?.version).toEqual(v([a0, 1]));
    // Guests alone never make a majority.
    const g = new Stability(a0, 5, 1000, 3);
    g.hear(guest, v([a0, 3]), report(0, [a0, 3]));
    g.hear(replicaId(4, 12), v([a0, 3]), report(0, [a0, 3]));
    expect(g.collectable(held, mine, 0)).toBeNull();
  });
  it('counts a dead incarnation\'s last report until it settles: every member says, settleMs after its successor came, it holds no more of it than this replica', () => {
    const s = new Stability(a0, 3, 1000);
    const a1b = replicaId(1, 99);
    const mine = report(0, [a0, 9]);
    s.hear(a1, v([a1, 3]), report(3, [a0, 2]));
    s.hear(a2, v([a1, 3]), report(0, [a0, 9]));
    const held = v([a0, 9], [a1, 3]);
    expect(s.collectable(held, mine, 0)?.version).toEqual(v([a0, 2]));
    // Member 1 lost its store: its new incarnation retired more, but the old one's ops may still come.
    s.hear(a1b, v([a1, 3]), report(0, [a0, 9]), 100);
    expect(s.collectable(held, mine, 500)?.version).toEqual(v([a0, 2]));
    // A late request of the dead incarnation changes nothing.
    s.hear(a1, v([a1, 1]), report(3, [a0, 1]), 600);
    expect(s.stable(held)).toEqual(v([a1, 3]));
    // Past settleMs, but nobody has said anything since: still counted.
    expect(s.collectable(held, mine, 1200)?.version).toEqual(v([a0, 2]));
    s.hear(a1b, v([a1, 3]), report(0, [a0, 9]), 1200);
    s.hear(a2, v([a1, 4]), report(0, [a0, 9]), 1200);
    // a2 holds an op of the dead incarnation this replica lacks: it may still come here.
    expect(s.collectable(held, mine, 1300)?.version).toEqual(v([a0, 2]));
    expect(s.collectable(v([a0, 9], [a1, 4]), mine, 1300)?.version).toEqual(v([a0, 9]));
  });

  it('takes an incarnation that made no op for dead once another of its member\'s spoke after it and it stayed silent settleMs; one that goes on talking counts', () => {
    const s = new Stability(a0, 3, 1000);
    const a1b = replicaId(1, 99);
    const mine = report(0, [a0, 9]);
    const held = v([a0, 9]);
    s.hear(a1, v([a0, 9]), report(0, [a0, 2]), 0);
    s.hear(a2, v([a0, 9]), report(0, [a0, 9]), 0);
    expect(s.collectable(held, mine, 0)?.version).toEqual(v([a0, 2]));
    // Member 1 came back with a new store before its first incarnation made any op.
    s.hear(a1b, v([a0, 9]), report(0, [a0, 9]), 100);
    expect(s.collectable(held, mine, 900)?.version).toEqual(v([a0, 2]));
    // Silent settleMs with its successor heard after it: dead; it settles once all say so later.
    expect(s.collectable(held, mine, 1100)?.version).toEqual(v([a0, 2]));
    s.hear(a1b, v([a0, 9]), report(0, [a0, 9]), 2100);
    s.hear(a2, v([a0, 9]), report(0, [a0, 9]), 2100);
    expect(s.collectable(held, mine, 2200)?.version).toEqual(v([a0, 9]));

    // An incarnation that keeps talking is not dead, however many of its member's are heard.
    const t = new Stability(a0, 3, 1000);
    t.hear(a1, v([a0, 9]), report(0, [a0, 2]), 0);
    t.hear(a1b, v([a0, 9]), report(0, [a0, 9]), 100);
    t.hear(a2, v([a0, 9]), report(0, [a0, 9]), 100);
    for (const at of [900, 1800, 2700]) {
      t.hear(a1, v([a0, 9]), report(0, [a0, 2]), at);
      t.hear(a1b, v([a0, 9]), report(0, [a0, 9]), at);
      t.hear(a2, v([a0, 9]), report(0, [a0, 9]), at);
    }
    expect(t.collectable(held, mine, 3000)?.version).toEqual(v([a0, 2]));
  });

  it('stops waiting for an incarnation only mentioned, that made no op and was never heard here, once another of its member\'s spoke settleMs later', () => {
    const s = new Stability(a0, 3, 1000);
    const a1b = replicaId(1, 99);
    const mine = report(0, [a0, 9]);
    const held = v([a0, 9]);
    // a2 heard a1 once; a1 died before it reached this replica.
    s.hear(a2, v([a0, 9]), { ...report(0, [a0, 9]), heard: [a1] }, 0);
    expect(s.collectable(held, mine, 0)).toBeNull();
    s.hear(a1b, v([a0, 9]), report(0, [a0, 9]), 100);
    expect(s.collectable(held, mine, 500)).toBeNull();
    expect(s.collectable(held, mine, 1200)).toBeNull();
    s.hear(a1b, v([a0, 9]), report(0, [a0, 9]), 2200);
    s.hear(a2, v([a0, 9]), { ...report(0, [a0, 9]), heard: [a1] }, 2200);
    expect(s.collectable(held, mine, 2300)?.version).toEqual(v([a0, 9]));
  });

  it('knows an incarnation dead only when another of its member\'s holds its ops: a late request of the old one kills nothing', () => {
    const s = new Stability(a0, 3, 0);
    const a1b = replicaId(1, 99);
    const mine = report(0, [a0, 9]);
    s.hear(a2, v([a1, 3]), report(0, [a0, 9]));
    // The new incarnation is heard first, holding nothing of the old one yet; then the old one's late request.
    s.hear(a1b, v([a1b, 2]), report(2, [a0, 9]), 10);
    s.hear(a1, v([a1, 3]), report(3, [a0, 4]), 20);
    const held = v([a0, 9], [a1, 3], [a1b, 2]);
    // Both count: the old one's report holds collection at a0:4, and neither is taken for dead.
    expect(s.collectable(held, mine, 30)?.version).toEqual(v([a0, 4]));
    expect(s.collectable(held, mine, 30)?.counted).toEqual(expect.arrayContaining([a1, a1b]));
    // Once the new one holds the old one's ops, the old one is dead, and settles (settleMs 0) when all say so.
    s.hear(a1b, v([a1b, 2], [a1, 3]), report(2, [a0, 9]), 40);
    s.hear(a2, v([a1, 3]), report(0, [a0, 9]), 40);
    expect(s.collectable(held, mine, 50)?.version).toEqual(v([a0, 9]));
    // And its requests are ignored from then on.
    s.hear(a1, v([a1, 5]), report(5, [a0, 1]), 60);
    expect(s.collectable(held, mine, 70)?.version).toEqual(v([a0, 9]));
  });
});

describe('replicas that sync retire what every member holds', () => {
  it('a delete every replica has applied retires its target everywhere; local inserts then skip it; all converge', () => {
    const names = ['r0', 'r1', 'r2'];
    const rs = [0, 1, 2].map((m) => newReplica(m, { backing: memoryBacking(), makeList: (a) => new FastList<number>(a), peers: names.filter((_, i) => i !== m), config: { members: 3 } }));
    const [r0, r1, r2] = rs as [(typeof rs)[0], (typeof rs)[0], (typeof rs)[0]];
    r0.edit((l) => l.insert(0, 1));
    r0.edit((l) => l.insert(1, 2));
    r0.edit((l) => l.insert(2, 3));
    r0.edit((l) => l.delete(1));
    const everyone = (): void => {
      for (const a of rs) for (const [i, b] of rs.entries()) if (a !== b) pull(a, b, names[i] as string);
    };
    everyone();
    everyone();
    for (const r of rs) expect(r.replicator.stable()).toEqual(r0.list.version());
    // The tombstone (2) between 1 and 3 is retired: an insert after 1 names 3 as its right origin, not it.
    const op = r1.edit((l) => l.insert(1, 9))[0];
    expect(op).toMatchObject({ type: 'insert', right: { actor: r0.actor, counter: 3 } });
    everyone();
    for (const r of rs) expect(r.list.toArray()).toEqual([1, 9, 3]);
    expect(r2.list.toArray()).toEqual(r0.list.toArray());
  });

  it('a restarted replica keeps what it retired (stored before any report): its local inserts still skip it', () => {
    const names = ['r0', 'r1', 'r2'];
    const backings = [0, 1, 2].map(() => memoryBacking<number>());
    const open = (m: number) => newReplica(m, { backing: backings[m] as MemoryBacking<number>, makeList: (a) => new FastList<number>(a), peers: names.filter((_, i) => i !== m), config: { members: 3 } });
    const rs = [0, 1, 2].map(open);
    const r0 = rs[0]!;
    for (const [i, x] of [1, 2, 3].entries()) r0.edit((l) => l.insert(i, x));
    r0.edit((l) => l.delete(1));
    for (let round = 0; round < 2; round++) for (const a of rs) for (const [i, b] of rs.entries()) if (a !== b) pull(a, b, names[i] as string);
    expect(rs[1]!.replicator.retired).toEqual(r0.list.version());
    expect(backings[1]!.retired).toEqual(r0.list.version());
    const again = open(1);
    expect(again.replicator.retired).toEqual(r0.list.version());
    expect(again.edit((l) => l.insert(1, 9))[0]).toMatchObject({ right: { actor: r0.actor, counter: 3 } });
  });

  it('a replica edits at once until an answer says more was retired than it holds; then it first holds and retires that', () => {
    const names = ['r0', 'r1', 'r2'];
    const open = (m: number) => newReplica(m, { backing: memoryBacking(), makeList: (a) => new FastList<number>(a), peers: names.filter((_, i) => i !== m), config: { members: 3, pointSpacing: 1 } });
    const rs = [0, 1, 2].map(open);
    const [r0, r1] = rs as [(typeof rs)[0], (typeof rs)[0]];
    const everyone = (): void => {
      for (const a of rs) for (const [i, b] of rs.entries()) if (a !== b) pull(a, b, names[i] as string);
    };
    // Nobody told it anything: it holds only its own ops, and names only those.
    for (const r of rs) expect(r.replicator.mayEdit()).toBe(true);
    for (const [i, x] of [1, 2, 3, 4, 5, 6].entries()) r0.edit((l) => l.insert(i, x));
    r0.edit((l) => l.delete(1));
    everyone();
    everyone();
    expect(r1.replicator.retired).toEqual(r0.list.version());
    for (const r of rs) expect(r.replicator.mayEdit()).toBe(true);
    // Member 2 loses its store: its new incarnation edits at once, alone.
    const r2 = open(2);
    expect(r2.replicator.mayEdit()).toBe(true);
    const page = r0.serveSync(r2.actor, new Map());
    expect(page).toMatchObject({ from: r0.actor, retired: r0.replicator.retired });
    // r1's first page holds 3 ops of 7, and says all 7 are retired: it waits for the rest.
    const first = r1.serveSync(r2.actor, new Map([[r0.actor, 0]]));
    expect(first.more).toBe(true);
    r2.onReply('r1', { type: 'sync', from: r2.actor, version: new Map() }, { type: 'sync', ...first }, 0);
    expect(r2.list.version()).not.toEqual(r0.list.version());
    expect(r2.replicator.mayEdit()).toBe(false);
    pull(r2, r0, 'r0');
    expect(r2.replicator.mayEdit()).toBe(true);
    // It holds and retired the tombstone it was told of: its insert skips it.
    expect(r2.replicator.retired).toEqual(r0.list.version());
    expect(r2.edit((l) => l.insert(1, 9))[0]).toMatchObject({ right: { actor: r0.actor, counter: 3 } });
    // What it was told survives a restart (kept before the answer's ops).
    expect(r2.replicator.knowledge.told).toEqual(r0.list.version());
  });

  it('an author counts a member as holding its feed only as far as the member\'s head there is one it signed: a copy of its key cannot make its op stable, and is caught', () => {
    const names = ['r0', 'r1', 'r2'];
    const backing = memoryBacking<number>();
    const rs = [0, 1, 2].map((m) => newReplica(m, { ...(m === 0 ? { backing } : {}), makeList: (a) => new FastList<number>(a), peers: names.filter((_, i) => i !== m), config: { members: 3 } }));
    const [r0, r1, r2] = rs as [(typeof rs)[0], (typeof rs)[0], (typeof rs)[0]];
    const everyone = (): void => {
      for (const a of rs) for (const [i, b] of rs.entries()) if (a !== b) pull(a, b, names[i] as string);
    };
    for (const [i, x] of [1, 2, 3].entries()) r0.edit((l) => l.insert(i, x));
    everyone();
    everyone();
    // Every member's head of r0's feed is one r0 signed: it is stable that far.
    expect(r0.replicator.stable().get(r0.actor)).toBe(3);
    // A copy of r0's store, key and all, signs another op 4; r2 takes the copy's, r1 r0's.
    const copy = newReplica(0, { backing: copyBacking(backing), makeList: (a) => new FastList<number>(a) });
    expect(copy.actor).toBe(r0.actor);
    r0.edit((l) => l.insert(0, 40));
    copy.edit((l) => l.insert(3, 41));
    expect(deliver(r1, signedPush(r0, 3)).status).toBe('ok');
    expect(deliver(r2, signedPush(copy, 3)).status).toBe('ok');
    // Both say they hold 4 ops of r0's; only r1's head at 4 is r0's. Counting lengths, 4 would be stable.
    pull(r1, r0, 'r0');
    pull(r2, r0, 'r0');
    expect(r0.replicator.stable().get(r0.actor)).toBe(3);
    // r0 suspects its own feed and asks r2: the two op 4s, both signed with its key, prove the copy.
    expect(r0.replicator.feeds.suspecting()).toBe(true);
    const version = r0.replicator.feeds.advertise(r0.list.version());
    expect(version.get(r0.actor) ?? 0).toBe(0);
    const request = { type: 'sync', from: r0.actor, version, report: r0.replicator.reportTo(r2.actor, version) } as const;
    const outcome = r0.onReply('r2', request, { type: 'sync', ...r2.serveSync(r0.actor, version, false, request.report) }, 0);
    expect(outcome.refusals.map((r) => r.code)).toEqual(['equivocation']);
    expect(r0.replicator.feeds.equivocations()).toEqual([{ actor: copy.actor, at: 4 }]);
  });

  it('an author waits, for its own feed, for a member it knows of but never heard: that one may hold a copy\'s op (seed 100,962)', () => {
    const names = ['r0', 'r1', 'r2'];
    const backing = memoryBacking<number>();
    const rs = [0, 1, 2].map((m) => newReplica(m, { ...(m === 0 ? { backing } : {}), makeList: (a) => new FastList<number>(a), peers: names.filter((_, i) => i !== m), config: { members: 3 } }));
    const [r0, r1, r2] = rs as [(typeof rs)[0], (typeof rs)[0], (typeof rs)[0]];
    // r0 holds an op of r2's, so it knows of r2, but r2 has never asked it anything.
    r2.edit((l) => l.insert(0, 7));
    expect(deliver(r0, signedPush(r2)).status).toBe('ok');
    for (const [i, x] of [1, 2].entries()) r0.edit((l) => l.insert(i, x));
    expect(deliver(r2, signedPush(r0)).status).toBe('ok');
    // A copy of r0's store, key and all, signs another op 3 and pushes it to r2 only.
    const copy = newReplica(0, { backing: copyBacking(backing), makeList: (a) => new FastList<number>(a) });
    copy.edit((l) => l.insert(0, 41));
    expect(deliver(r2, signedPush(copy, 2)).status).toBe('ok');
    r0.edit((l) => l.insert(0, 40));
    expect(deliver(r1, signedPush(r0)).status).toBe('ok');
    // r1, the one member r0 heard, holds r0's three ops as r0 signed them; counting only those
    // heard, op 3 would be stable while r2 holds the copy's.
    pull(r1, r0, 'r0');
    expect(r0.replicator.stable().get(r0.actor) ?? 0).toBe(0);
    // r2 speaks: its head at 3 is the copy's. r0 counts it only as far as it vouched, and suspects its feed.
    pull(r2, r0, 'r0');
    expect(r0.replicator.stable().get(r0.actor) ?? 0).toBeLessThan(3);
    expect(r0.replicator.feeds.suspecting()).toBe(true);
  });

  it('an author reports no more of its own feed retired than every member it heard was seen to hold as it signed it, whatever it was told', () => {
    const names = ['r0', 'r1', 'r2'];
    const rs = [0, 1, 2].map((m) => newReplica(m, { makeList: (a) => new FastList<number>(a), peers: names.filter((_, i) => i !== m), config: { members: 3 } }));
    const [r0, r1, r2] = rs as [(typeof rs)[0], (typeof rs)[0], (typeof rs)[0]];
    for (const [i, x] of [1, 2, 3].entries()) r0.edit((l) => l.insert(i, x));
    r0.edit((l) => l.delete(1));
    for (const r of [r1, r2]) expect(deliver(r, signedPush(r0)).status).toBe('ok');
    // r1 and r2 hear each other (not r0): by length, r0's ops are stable, and they retire them.
    pull(r1, r2, 'r2');
    pull(r2, r1, 'r1');
    pull(r1, r2, 'r2');
    expect(r1.replicator.retired.get(r0.actor)).toBe(4);
    // r0 is told so, and retires them before its next op; but its report says none of its own
    // retired: it has seen no member's head of its feed (the told figure counts lengths).
    pull(r0, r1, 'r1');
    expect(r0.replicator.mayEdit()).toBe(true);
    expect(r0.replicator.retired.get(r0.actor)).toBe(4);
    expect(r0.replicator.reportTo(r1.actor).retired.get(r0.actor)).toBeUndefined();
    // Both show it heads it signed: now its report says it retired them, and they can be collected.
    pull(r1, r0, 'r0');
    pull(r2, r0, 'r0');
    expect(r0.replicator.reportTo(r1.actor).retired.get(r0.actor)).toBe(4);
  });

  it('reports name the incarnations their author heard from, and a collector waits for each of them', () => {
    const [a0, a1, a2] = [replicaId(0, 1), replicaId(1, 1), replicaId(2, 1)];
    const s = new Stability(a0, 3);
    const held = v([a0, 1], [a1, 1]);
    s.hear(a1, held, { retired: held, own: 1, heard: [a0] }, 0);
    expect(s.collectable(held, { retired: held, own: 1 }, 0)?.version).toEqual(held);
    // a1 has since answered a2, which this replica never heard: a2 may hold what a1 sent it.
    s.hear(a1, held, { retired: held, own: 1, heard: [a0, a2] }, 0);
    expect(s.collectable(held, { retired: held, own: 1 }, 0)).toBeNull();
    s.hear(a2, held, { retired: held, own: 0, heard: [a0, a1] }, 0);
    expect(s.collectable(held, { retired: held, own: 1 }, 0)?.version).toEqual(held);
  });

  it('what a push says was retired counts only once its author\'s signature matched: a forged one cannot hold back the next op', () => {
    const r0 = newReplica(0, { config: { members: 3 } });
    const r1 = newReplica(1, { config: { members: 3 } });
    r0.edit((l) => l.insert(0, 1));
    const push = signedPush(r0);
    const told = new Map([[r0.actor, 1_000]]) as VersionVector;
    const forged = { ...push.proof, signature: new Uint8Array(64) };
    expect(r1.receivePush(push.from, push.ops, forged, 0, undefined, told)).toMatchObject({ status: 'refused', code: 'bad_signature' });
    expect(r1.replicator.mayEdit()).toBe(true);
    expect(r1.receivePush(push.from, push.ops, push.proof, 0, undefined, new Map([[r0.actor, 1]]))).toMatchObject({ status: 'ok' });
    // Signed: it holds a0.1, and retires it (an insert: nothing to retire) before its next op.
    expect(r1.replicator.knowledge.told).toEqual(new Map([[r0.actor, 1]]));
    expect(r1.replicator.mayEdit()).toBe(true);
  });

  it('a push for another incarnation of the member is refused: its sender must hear this one first', () => {
    const r0 = newReplica(0, { config: { members: 3 } });
    const r1 = newReplica(1, { config: { members: 3 } });
    r0.edit((l) => l.insert(0, 1));
    const push = signedPush(r0);
    expect(r1.receivePush(push.from, push.ops, push.proof, 0, replicaId(1, 99))).toMatchObject({ status: 'refused', code: 'other_incarnation' });
    expect(r1.list.version().size).toBe(0);
    expect(r1.receivePush(push.from, push.ops, push.proof, 0, r1.actor)).toMatchObject({ status: 'ok' });
  });

  it('a replica that collected refuses other ops at held counters past a collected prefix (it cannot check the fork), and pushes its own ops from past what it collected', () => {
    const names = ['r0', 'r1', 'r2'];
    const rs = [0, 1, 2].map((m) => newReplica(m, { backing: memoryBacking(), makeList: (a) => new FastList<number>(a), peers: names.filter((_, i) => i !== m), config: { members: 3 } }));
    const [r0, r1] = rs as [(typeof rs)[0], (typeof rs)[0]];
    // Sync requests with their retire reports, as replicas send them: what collection waits for.
    const everyone = (): void => {
      for (const a of rs) {
        for (const [i, b] of rs.entries()) {
          if (a === b) continue;
          const request = { type: 'sync', from: a.actor, version: a.replicator.feeds.advertise(a.list.version()) } as const;
          const page = b.serveSync(a.actor, request.version, false, a.replicator.reportTo(b.actor), 0);
          a.onReply(names[i] as string, request, { type: 'sync', ...page }, 0);
        }
      }
    };
    for (const [i, x] of [1, 2, 3].entries()) r0.edit((l) => l.insert(i, x));
    r0.edit((l) => l.delete(2));
    for (let round = 0; round < 3; round++) everyone();
    for (const r of rs) r.replicator.collect(0);
    for (const r of rs) expect(r.list.tombstones).toBe(0);
    expect(r1.list.collected?.get(r0.actor)).toBe(4);
    r0.edit((l) => l.insert(0, 7));
    expect(deliver(r1, signedPush(r0, 4)).status).toBe('ok');
    // Another a0.5 under a made-up signature: a fork would be checked over a0.1..a0.4, which r1 no longer keeps.
    const before = String(r1.list);
    const genuine = signedPush(r0, 4);
    const other = { ...genuine, ops: genuine.ops.map((op) => (op.type === 'insert' ? { ...op, value: 8 } : op)), proof: { ...genuine.proof, signature: new Uint8Array(64) } };
    const refused = deliver(r1, other);
    expect(refused).toMatchObject({ status: 'refused', code: 'bad_signature' });
    expect(String(r1.list)).toBe(before);
    // r1 says it holds none of a0's feed (it suspects its copy): r0 pushes from past what it collected.
    let push: Request<number> | undefined;
    for (let round = 0; round < 3 && push === undefined; round++) {
      for (const { peer, request } of r0.poll(0)) {
        if (peer !== 'r1') continue;
        if (request.type === 'push') push = request;
        else {
          const page = r1.serveSync(r0.actor, request.version);
          r0.onReply('r1', request, { type: 'sync', ...page, version: new Map([...page.version].filter(([a]) => a !== r0.actor)) }, 0);
        }
      }
    }
    expect(push).toMatchObject({ type: 'push', ops: [{ id: { actor: r0.actor, counter: 5 } }] });
  });
});
