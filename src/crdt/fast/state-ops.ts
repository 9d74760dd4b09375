import { stepped, type ActorId, type OpId } from '../ids.js';
import type { InsertOp, Op } from '../ops.js';
import type { VersionVector } from '../version.js';
import type { StateColumns } from './state.js';

/**
 * The ops a saved state holds that a list lacks, as numbers: op i is `STRIDE` numbers from
 * `STRIDE * i` (its author and counter, then an insert's left and right origins, actor -1 for
 * none, or a delete's target and `DELETE`); `values` holds the inserts' values in order. No
 * object per op: taking a state in was mostly making objects (INTERNALS.md, "Merging a state").
 */
export interface StateOps<T> {
  readonly nums: number[];
  readonly values: T[];
  /** The version they were read against: what the list held. */
  readonly except: VersionVector;
}

export const STRIDE = 6;
/** In an op's fifth slot: a delete (its target in the third and fourth). */
export const DELETE = -2;

/**
 * The ops a saved state holds that a list at `except` lacks, in the order the state applied them
 * (a causal order), read straight from its columns: no list is built from it, which is most of
 * the cost of loading one. Each insert is as `FastList` gives it back (`insertOf`). What the list
 * will check anyway is left to it (an op it holds with other content, an origin it holds that is
 * a delete); what it cannot see in a batch is checked here: each author's ops come once, in
 * counter order, right after what `except` holds, and an origin or target among the ops given is
 * an element given before it. Throws on a state that breaks that, names an op it does not hold or
 * a counter below 1, or collected ops `except` lacks (it no longer has them to give).
 */
export function readStateOps<T>(cols: StateColumns<T>, except: VersionVector): StateOps<T> {
  for (const [actor, n] of cols.collected) {
    if (n > (except.get(actor as ActorId) ?? 0)) throw new Error(`the state collected ops of a${actor} up to ${n}, which this list lacks: it can only be loaded, not merged`);
  }
  const { actors, counters, lengths, olA, olC, orA, orC, values } = cols;
  const held = new Map(cols.log.held);
  // Per actor: where this list's ops end, the piece (index + 1) of each counter it lacks (0: not
  // an element), its delete runs and how far they were walked, and the last counter given.
  const feeds = new Map<number, Feed>();
  const feed = (actor: number): Feed => {
    let f = feeds.get(actor);
    if (f === undefined) {
      const from = except.get(actor as ActorId) ?? 0;
      feeds.set(actor, (f = { from, slots: new Int32Array(Math.max(0, (held.get(actor) ?? 0) - from) + 1), runs: [], run: 0, given: from }));
    }
    return f;
  };
  for (const d of cols.log.deletes) feed(d.actor).runs = d.runs;
  const offsets = new Array<number>(actors.length);
  for (let i = 0, v = 0; i < actors.length; i++) {
    const counter = counters[i] as number;
    const length = lengths[i] as number;
    offsets[i] = v;
    v += length;
    const f = feed(actors[i] as number);
    if (counter + length - 1 <= f.from) continue;
    if (counter < 1 || length < 1 || counter + length - f.from > f.slots.length) throw new Error(`piece a${actors[i]}.${counter} is beyond the ops held`);
    f.slots.fill(i + 1, Math.max(counter, f.from + 1) - f.from, counter + length - f.from);
  }
  // An origin or target this list lacks must be an element the state gave before.
  const given = (actor: number, counter: number, what: string, byActor: number, byCounter: number): void => {
    const f = feeds.get(actor);
    if (counter < 1) throw new Error(`op a${byActor}.${byCounter} names a${actor}.${counter} as its ${what}, which is no op`);
    if (counter <= (f?.from ?? except.get(actor as ActorId) ?? 0)) return;
    if (f === undefined || counter > f.given || f.slots[counter - f.from] === 0) throw new Error(`op a${byActor}.${byCounter} names a${actor}.${counter} as its ${what}, which the state gives not as an element before it`);
  };
  const nums: number[] = [];
  const out: T[] = [];
  const order = cols.log.order;
  for (let r = 0; r < order.length; r += 3) {
    const actor = order[r] as number;
    const first = order[r + 1] as number;
    const end = first + (order[r + 2] as number);
    const f = feed(actor);
    const start = Math.max(first, f.from + 1);
    if (start < end && start !== f.given + 1) throw new Error(`the state's order gives a${actor}.${start} after a${actor}.${f.given}`);
    const { slots, runs } = f;
    for (let c = start; c < end; c++) {
      const p = slots[c - f.from] ?? 0;
      if (p > 0) {
        const i = p - 1;
        const k = c - (counters[i] as number);
        // An element after a piece's first has the one before as its left origin, given just before: only a piece's first is checked.
        const lA = k > 0 ? actor : (olA[i] as number);
        const lC = k > 0 ? c - 1 : (olC[i] as number);
        if (k === 0 && lA >= 0) given(lA, lC, 'left origin', actor, c);
        const rA = orA[i] as number;
        const rC = orC[i] as number;
        if (rA >= 0) given(rA, rC, 'right origin', actor, c);
        out.push(values[(offsets[i] as number) + k] as T);
        nums.push(actor, c, lA, lC, rA, rC);
      } else {
        let d = f.run;
        while (d < runs.length && (runs[d] as number) + (runs[d + 1] as number) <= c) d += 5;
        f.run = d;
        if (d >= runs.length || (runs[d] as number) > c) throw new Error(`the state's order names a${actor}.${c}, which it does not hold`);
        const tA = runs[d + 2] as number;
        const tC = stepped(runs[d + 3] as number, c - (runs[d] as number), runs[d + 4] as number);
        given(tA, tC, 'target', actor, c);
        nums.push(actor, c, tA, tC, DELETE, 0);
      }
      f.given = c;
    }
  }
  return { nums, values: out, except };
}

/** `readStateOps` as op objects. */
export function opsOfState<T>(cols: StateColumns<T>, except: VersionVector): Op<T>[] {
  const { nums, values } = readStateOps(cols, except);
  const ops: Op<T>[] = [];
  for (let j = 0, v = 0; j < nums.length; j += STRIDE) {
    const id: OpId = { actor: nums[j] as ActorId, counter: nums[j + 1] as number };
    const a = ref(nums[j + 2] as number, nums[j + 3] as number);
    ops.push(nums[j + 4] === DELETE ? { type: 'delete', id, target: a as OpId } : { type: 'insert', id, value: values[v++] as T, left: a, right: ref(nums[j + 4] as number, nums[j + 5] as number) });
  }
  return ops;
}

interface Feed {
  readonly from: number;
  readonly slots: Int32Array;
  runs: readonly number[];
  run: number;
  given: number;
}

/**
 * The insert of the element `offset` into a piece with origins `olA.olC` and `orA.orC` (actor -1:
 * none): an element after a piece's first has the one before it as its left origin; all have the
 * piece's right origin.
 */
export function insertOf<T>(id: OpId, offset: number, value: T, olA: number, olC: number, orA: number, orC: number): InsertOp<T> {
  const left = offset > 0 ? { actor: id.actor, counter: id.counter - 1 } : ref(olA, olC);
  return { type: 'insert', id, value, left, right: ref(orA, orC) };
}

export const ref = (actor: number, counter: number): OpId | null => (actor < 0 ? null : { actor: actor as ActorId, counter });
