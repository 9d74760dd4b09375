import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_LATE, planNemesis, type Fault } from '../src/cluster/nemesis.js';

describe('the nemesis schedule', () => {
  it('is a pure function of its seed, ends every fault within the duration, and holds back late joiners it starts', () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 128 }), fc.integer({ min: 1000, max: 120_000 }), (seed, count, duration) => {
        const plan = planNemesis(seed, count, duration);
        expect(planNemesis(seed, count, duration)).toEqual(plan);
        const times = plan.actions.map((a) => a.at);
        expect(times).toEqual([...times].sort((a, b) => a - b));
        const begins = new Map<number, { at: number; fault: Fault }>();
        const ends = new Map<number, number>();
        for (const a of plan.actions) {
          expect(a.at).toBeGreaterThanOrEqual(0);
          expect(a.at).toBeLessThanOrEqual(duration);
          if (a.type === 'end') {
            expect(ends.has(a.id)).toBe(false);
            ends.set(a.id, a.at);
            continue;
          }
          expect(begins.has(a.id)).toBe(false);
          begins.set(a.id, { at: a.at, fault: a.fault });
          const f = a.fault;
          if ('actor' in f) expect(f.actor).toBeLessThan(count);
          if (f.kind === 'drop') expect(f.rate).toBeGreaterThan(0);
          if (f.kind === 'partition') {
            expect(f.groups.flat().sort((x, y) => x - y)).toEqual(Array.from({ length: count }, (_, i) => i));
            expect(f.groups.every((g) => g.length > 0)).toBe(true);
          }
        }
        // Every fault but a late start ends, after it begins; every end belongs to a fault.
        for (const [id, { at, fault }] of begins) {
          if (fault.kind === 'start') expect(ends.has(id)).toBe(false);
          else expect(ends.get(id)).toBeGreaterThan(at);
        }
        for (const id of ends.keys()) expect(begins.has(id)).toBe(true);
        const starts = [...begins.values()].filter(({ fault }) => fault.kind === 'start').map(({ fault }) => ('actor' in fault ? fault.actor : -1));
        expect(starts.sort()).toEqual([...plan.held].sort());
        expect(plan.held.length).toBe(count >= 3 ? Math.min(MAX_LATE, Math.max(1, Math.floor(count / 4))) : 0);
        expect([...begins.values()].filter(({ fault }) => fault.kind !== 'start').length).toBeGreaterThan(0);
      }),
      { numRuns: 200 },
    );
  });

  it('differs with the seed', () => {
    expect(planNemesis(1, 5, 20_000)).not.toEqual(planNemesis(2, 5, 20_000));
  });
});
