import { describe, expect, it } from 'vitest';
import { Rng } from '../src/genome/Rng.js';
import { replayCommand, runSim, type SimPlan } from '../src/sim/index.js';
import { Simulation } from '../src/sim/Simulation.js';

/**
 * Fixed seeds keep CI reproducible; a few fresh ones each run keep looking for new schedules.
 * Replicas collect tombstones in every run, those where the plan copies a key too.
 */
const FIXED = [...Array.from({ length: 500 }, (_, i) => i + 1), 726_124_750, 9_400_032, 9_400_293, 101_044, 1_762_251_850];
const FRESH = Array.from({ length: 50 }, () => 1000 + Math.floor(Math.random() * 0x7fff0000));

describe('deterministic simulation: drops, duplicates, delays, partitions, crashes, late joiners', () => {
  // About 50 s here: past the default limit on a slower or busier machine.
  it(`converges with every op, nothing pending, collecting tombstones, for ${FIXED.length} fixed seeds and ${FRESH.length} fresh seeds`, { timeout: 240_000 }, () => {
    const failures: string[] = [];
    const sizes = new Set<number>();
    let ops = 0;
    for (const seed of [...FIXED, ...FRESH]) {
      let result;
      try {
        result = runSim(seed);
      } catch (err) {
        failures.push(`seed ${seed}: threw ${String(err)}\n  replay: ${replayCommand(seed)}`);
        continue;
      }
      ops += result.ops;
      sizes.add(result.actors);
      if (!result.ok) failures.push(`seed ${seed}: ${result.message}\n  replay: ${replayCommand(seed)}`);
    }
    expect(failures, failures.join('\n')).toEqual([]);
    expect([...sizes].sort()).toEqual([3, 4, 5, 6, 7, 8]);
    expect(ops).toBeGreaterThan(20_000);
  });

  it('a long run collects: three actors making 2,000 mutations each, at a rate replication keeps up with, end holding tombstones at the live genome\'s scale, not history\'s', { timeout: 120_000 }, () => {
    const n = 2000;
    const plan: SimPlan = {
      actors: 3,
      mutations: [n, n, n],
      interval: { min: 0, max: 200 },
      joinAt: [0, 0, 0],
      dropRate: 0.1,
      duplicateRate: 0.1,
      delay: { min: 1, max: 50 },
      faults: [{ at: 5000, kind: 'crash', actor: 1, downFor: 2000 }, { at: 20_000, kind: 'partition', groups: [0, 0, 1] }, { at: 30_000, kind: 'heal' }],
      healAt: n * 100 + 10_000,
      wipes: [],
      extra: 0,
    };
    const result = new Simulation(plan, new Rng(7)).run();
    expect(result.ok, result.message).toBe(true);
    expect(result.ops).toBe(3 * n);
    // Nearly half the mutations are deletes: the replicas collected most of them (over 1,500 each on average).
    expect(result.collected).toBeGreaterThan(3 * 1500);
    expect(result.tombstones).toBeLessThan(result.genes + 100);
  });

  // Runs where a copied key forks a feed after replicas collected. Each of
  // these seeds failed before what it names: a replica that collected drops the fork's ops from
  // its list without losing what it collected (6, 76, 178, 195, 463, 494), checks a fork from its
  // feed's base, and takes or sends a state while a fork is known; an author proves a copy of its
  // key that signed past its last op (78, 90); a state holding another op than the asker's brings
  // the fork to light (348); dropping an op keeps the saved chains and bases before it (595, 768,
  // 794); an author counts a member as holding its feed only as far as the member's head is one
  // it signed (831), and reports no more of its own feed retired than that (410); a restarted
  // author waits again for the members it heard before (101,082), and for those it knows of but
  // never heard (100,962); a replica asks a peer whose state it refused for one again once the
  // peer knows more forks (130,245,192: a late joiner refused states still holding a fork's ops);
  // the copy's push says what it was told was retired, as honest code's does (4,369); a state
  // sends a suspected feed as far as it was checked, as a page does (1,623,321,325); an author
  // counts nothing of its own feed stable before it heard a majority (1,710,384,477); a restarted
  // author takes back no op past its last that names what it retired (1,753,280,405); the copy's
  // op counts as made only if its push left it somewhere (1,807,473,495).
  it('where a copied key forks a feed, replicas that collected drop the fork and still converge', { timeout: 120_000 }, () => {
    const failures: string[] = [];
    let collected = 0;
    for (const seed of [6, 76, 78, 90, 178, 195, 348, 410, 463, 494, 595, 768, 794, 831, 4369, 100_962, 101_082, 130_245_192, 1_623_321_325, 1_710_384_477, 1_753_280_405, 1_807_473_495]) {
      const result = runSim(seed);
      collected += result.collected;
      if (!result.ok) failures.push(`seed ${seed}: ${result.message}\n  replay: ${replayCommand(seed)}`);
    }
    expect(failures, failures.join('\n')).toEqual([]);
    expect(collected).toBeGreaterThan(0);
  });

  it('replays a seed exactly', () => {
    const a: string[] = [];
    const b: string[] = [];
    expect(runSim(42, { log: (l) => a.push(l) })).toEqual(runSim(42, { log: (l) => b.push(l) }));
    expect(a).toEqual(b);
    expect(a.length).toBeGreaterThan(100);
  });
});
