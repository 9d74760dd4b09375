// Adapter for crdt-genome's own list (FastList), with its binary op codec.
import { decodeBatch, encodeBatch } from '../../src/crdt/batch-codec.js';
import { FastList } from '../../src/crdt/fast/FastList.js';
import { actorId } from '../../src/crdt/ids.js';
import type { Op } from '../../src/crdt/ops.js';
import { decodeSnapshot, encodeSnapshot, mergeSnapshot } from '../../src/store/snapshot.js';
import type { Adapter, ListDoc, TextDoc } from './types.js';

/** Text as a list of character codes. */
class Text implements TextDoc {
  readonly list: FastList<number>;
  onOp: ((op: Op<number>) => void) | null = null;

  constructor(list: FastList<number>) {
    this.list = list;
  }

  insert(pos: number, text: string): void {
    for (let i = 0; i < text.length; i++) {
      const op = this.list.insert(pos + i, text.charCodeAt(i));
      this.onOp?.(op);
    }
  }

  delete(pos: number, len: number): void {
    for (let i = 0; i < len; i++) {
      const op = this.list.delete(pos);
      this.onOp?.(op);
    }
  }

  text(): string {
    const codes = this.list.toArray();
    let out = '';
    for (let i = 0; i < codes.length; i += 8192) out += String.fromCharCode(...codes.slice(i, i + 8192));
    return out;
  }
}

/** Text edited by range: each trace edit is one `insertMany` or `deleteMany`. */
class RangeText extends Text {
  override insert(pos: number, text: string): void {
    const codes = new Array<number>(text.length);
    for (let i = 0; i < text.length; i++) codes[i] = text.charCodeAt(i);
    this.list.insertMany(pos, codes);
  }

  override delete(pos: number, len: number): void {
    this.list.deleteMany(pos, len);
  }
}

class Genes implements ListDoc {
  readonly list: FastList<number>;

  constructor(list: FastList<number>) {
    this.list = list;
  }

  insert(pos: number, value: number): void {
    this.list.insert(pos, value);
  }

  delete(pos: number): void {
    this.list.delete(pos);
  }

  toArray(): number[] {
    return this.list.toArray();
  }

  get length(): number {
    return this.list.length;
  }
}

function applyAll(list: FastList<number>, ops: readonly Op<number>[]): void {
  for (const op of ops) {
    const result = list.apply(op);
    if (result === 'full' || result === 'equivocation' || result === 'invalid') throw new Error(`op refused: ${result}`);
  }
}

export const adapter: Adapter = {
  name: 'crdt-genome',
  newText: (agent) => new Text(new FastList(actorId(agent))),
  newRangeText: (agent) => new RangeText(new FastList(actorId(agent))),
  recordingText(agent) {
    const doc = new Text(new FastList(actorId(agent)));
    const updates: Uint8Array[] = [];
    doc.onOp = (op) => updates.push(encodeBatch([op]));
    return { doc, updates: () => updates };
  },
  replayText(agent, updates) {
    const list = new FastList<number>(actorId(agent));
    for (const u of updates) applyAll(list, decodeBatch(u));
    return new Text(list);
  },
  encodeText: (doc) => encodeSnapshot((doc as Text).list),
  decodeText: (bytes, agent) => new Text(decodeSnapshot(bytes, actorId(agent))),
  newList: (agent) => new Genes(new FastList(actorId(agent))),
  encodeList: (doc) => encodeSnapshot((doc as Genes).list),
  decodeList: (bytes, agent) => new Genes(decodeSnapshot(bytes, actorId(agent))),
  /** The ops this replica lacks, read from the other's state without loading it, applied as a batch. */
  mergeList(into, bytes) {
    mergeSnapshot((into as Genes).list, bytes);
  },
};
