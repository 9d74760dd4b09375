import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { actorId } from '../src/crdt/ids.js';
import { ReferenceList } from '../src/crdt/ReferenceList.js';
import { MIN_GENES, mutate, nextMutation } from '../src/genome/mutation.js';
import { digest, toHex } from '../src/genome/render.js';
import { Rng } from '../src/genome/Rng.js';

describe('rendering', () => {
  it('writes two lowercase hex digits per gene, in order', () => {
    expect(toHex([])).toBe('');
    expect(toHex([0])).toBe('00');
    expect(toHex([0, 1])).toBe('0001');
    expect(toHex([0, 1, 255])).toBe('0001ff');
    expect(toHex([10, 171])).toBe('0aab');
  });

  it('digests the rendering with sha256', () => {
    expect(digest('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(digest('0001ff')).toMatch(/^[0-9a-f]{64}$/);
    expect(digest('0001ff')).not.toBe(digest('0001fe'));
  });
});

describe('Rng', () => {
  it('is reproduced by its seed', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xs = Array.from({ length: 5 }, () => a.uint32());
    expect(Array.from({ length: 5 }, () => b.uint32())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.uint32())).not.toEqual(xs);
  });

  it('draws integers in range, covering it', () => {
    const rng = new Rng(7);
    const seen = new Set<number>();
    for (let i = 0; i < 5000; i++) {
      const n = rng.int(256);
      expect(n).toBeGreaterThanOrEqual(0);
      expect(n).toBeLessThan(256);
      seen.add(n);
      const m = rng.between(3, 5);
      expect([3, 4, 5]).toContain(m);
    }
    expect(seen.size).toBe(256);
  });
});

describe('the mutation rule', () => {
  it('always inserts below 10 genes, with positions and genes in range', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MIN_GENES - 1 }), fc.nat(), (len, seed) => {
        const m = nextMutation(len, new Rng(seed));
        expect(m.kind).toBe('insert');
        expect(m.index).toBeGreaterThanOrEqual(0);
        expect(m.index).toBeLessThanOrEqual(len);
        if (m.kind === 'insert') expect(m.gene).toBeGreaterThanOrEqual(0);
        if (m.kind === 'insert') expect(m.gene).toBeLessThanOrEqual(255);
      }),
      { numRuns: 200 },
    );
  });

  it('from 10 genes on, tosses a fair coin; deletes stay inside the list', () => {
    const rng = new Rng(1);
    let inserts = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const len = 10 + rng.int(50);
      const m = nextMutation(len, rng);
      if (m.kind === 'insert') {
        inserts++;
        expect(m.index).toBeLessThanOrEqual(len);
      } else {
        expect(m.index).toBeLessThan(len);
      }
    }
    expect(Math.abs(inserts / n - 0.5)).toBeLessThan(0.02);
  });

  it('applied to a list, matches a plain array replaying the same mutations', () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 300 }), (seed, steps) => {
        const rng = new Rng(seed);
        const list = new ReferenceList<number>(actorId(0));
        const plain: number[] = [];
        for (let i = 0; i < steps; i++) {
          const m = nextMutation(list.length, rng);
          mutate(list, m);
          if (m.kind === 'insert') plain.splice(m.index, 0, m.gene);
          else plain.splice(m.index, 1);
        }
        expect(list.toArray()).toEqual(plain);
        expect(list.length).toBeGreaterThanOrEqual(Math.min(steps, MIN_GENES - 1));
      }),
      { numRuns: 200 },
    );
  });
});
