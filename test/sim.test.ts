import { describe, expect, it } from 'vitest';
import { replayCommand, runSim } from '../src/sim/index.js';

/** Fixed seeds keep CI reproducible; a few fresh ones each run keep looking for new schedules. */
const FIXED = Array.from({ length: 500 }, (_, i) => i + 1);
const FRESH = Array.from({ length: 50 }, () => 1000 + Math.floor(Math.random() * 0x7fff0000));

describe('deterministic simulation: drops, duplicates, delays, partitions, crashes, late joiners', () => {
  // About 50 s here: past the default limit on a slower or busier machine.
  it(`converges with every op, nothing pending, for ${FIXED.length} fixed and ${FRESH.length} fresh seeds`, { timeout: 240_000 }, () => {
    const failures: string[] = [];
    const sizes = new Set<number>();
    let ops = 0;
    for (const seed of [...FIXED, ...FRESH]) {
      const result = runSim(seed);
      ops += result.ops;
      sizes.add(result.actors);
      if (!result.ok) failures.push(`seed ${seed}: ${result.message}\n  replay: ${replayCommand(seed)}`);
    }
    expect(failures, failures.join('\n')).toEqual([]);
    expect([...sizes].sort()).toEqual([3, 4, 5, 6, 7, 8]);
    expect(ops).toBeGreaterThan(20_000);
  });

  it('replays a seed exactly', () => {
    const a: string[] = [];
    const b: string[] = [];
    expect(runSim(42, { log: (l) => a.push(l) })).toEqual(runSim(42, { log: (l) => b.push(l) }));
    expect(a).toEqual(b);
    expect(a.length).toBeGreaterThan(100);
  });
});
