import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isFault, planNemesis, type Action } from '../src/cluster/nemesis.js';

describe('the nemesis schedule', () => {
  it('is a pure function of its seed, ends every fault within the duration, and holds back late joiners it starts', () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 32 }), fc.integer({ min: 1000, max: 120_000 }), (seed, count, duration) => {
        const plan = planNemesis(seed, count, duration);
        expect(planNemesis(seed, count, duration)).toEqual(plan);
        const times = plan.actions.map((a) => a.at);
        expect(times).toEqual([...times].sort((a, b) => a - b));
        for (const a of plan.actions) {
          expect(a.at).toBeGreaterThanOrEqual(0);
          expect(a.at).toBeLessThanOrEqual(duration);
          if ('actor' in a) expect(a.actor).toBeLessThan(count);
          if (a.kind === 'partition') {
            expect(a.groups.flat().sort((x, y) => x - y)).toEqual(Array.from({ length: count }, (_, i) => i));
            expect(a.groups.every((g) => g.length > 0)).toBe(true);
          }
        }
        // Each fault is undone later: kills by restarts, pauses by resumes, drops by rate 0, partitions by a join.
        const undo = (a: Action): ((b: Action) => boolean) | null => {
          switch (a.kind) {
            case 'kill': return (b) => b.kind === 'restart' && b.actor === a.actor && b.at >= a.at;
            case 'pause': return (b) => b.kind === 'resume' && b.actor === a.actor && b.at >= a.at;
            case 'drop': return a.rate > 0 ? (b) => b.kind === 'drop' && b.actor === a.actor && b.rate === 0 && b.at >= a.at : null;
            case 'partition': return (b) => b.kind === 'unpartition' && b.at >= a.at;
            default: return null;
          }
        };
        for (const a of plan.actions) {
          const undone = undo(a);
          if (undone !== null) expect(plan.actions.some(undone)).toBe(true);
        }
        const starts = plan.actions.filter((a) => a.kind === 'start').map((a) => ('actor' in a ? a.actor : -1));
        expect(starts.sort()).toEqual([...plan.held].sort());
        expect(plan.held.length).toBe(count >= 3 ? Math.max(1, Math.floor(count / 4)) : 0);
        expect(plan.actions.filter(isFault).length).toBeGreaterThan(0);
      }),
      { numRuns: 200 },
    );
  });

  it('differs with the seed', () => {
    expect(planNemesis(1, 5, 20_000)).not.toEqual(planNemesis(2, 5, 20_000));
  });
});
