// Benchmark adapter for Loro: LoroText for the trace workloads, LoroList of numbers for the genome.
import { LoroDoc, type LoroList, type LoroText } from 'loro-crdt';
import type { Adapter, ListDoc, TextDoc } from './types.js';

function newDoc(agent: number): LoroDoc {
  const doc = new LoroDoc();
  // Loro keys every op by peer id; two replicas sharing one would corrupt each other.
  doc.setPeerId(agent);
  return doc;
}

// Loro groups pending ops into a transaction until `commit()`; committing after every edit
// makes each edit its own change (and its own local update).
class LText implements TextDoc {
  readonly ltext: LoroText;
  constructor(readonly doc: LoroDoc) {
    this.ltext = doc.getText('t');
  }
  insert(pos: number, text: string): void {
    this.ltext.insert(pos, text);
    this.doc.commit();
  }
  delete(pos: number, len: number): void {
    this.ltext.delete(pos, len);
    this.doc.commit();
  }
  text(): string {
    return this.ltext.toString();
  }
}

class LList implements ListDoc {
  readonly llist: LoroList<number>;
  constructor(readonly doc: LoroDoc) {
    this.llist = doc.getList('l') as LoroList<number>;
  }
  insert(pos: number, value: number): void {
    this.llist.insert(pos, value);
    this.doc.commit();
  }
  delete(pos: number): void {
    this.llist.delete(pos, 1);
    this.doc.commit();
  }
  toArray(): number[] {
    return this.llist.toArray();
  }
  get length(): number {
    return this.llist.length;
  }
}

function docOf<T extends LText | LList>(doc: TextDoc | ListDoc, cls: new (doc: LoroDoc) => T): LoroDoc {
  if (!(doc instanceof cls)) throw new TypeError('not a loro replica');
  return doc.doc;
}

function decode(bytes: Uint8Array, agent: number): LoroDoc {
  const doc = newDoc(agent);
  doc.import(bytes);
  return doc;
}

export const adapter: Adapter = {
  name: 'loro',
  newText: (agent) => new LText(newDoc(agent)),
  recordingText(agent) {
    const ldoc = newDoc(agent);
    const updates: Uint8Array[] = [];
    // Called synchronously by each `commit()` with the update holding just that commit.
    ldoc.subscribeLocalUpdates((update) => {
      updates.push(update);
    });
    return { doc: new LText(ldoc), updates: () => updates };
  },
  replayText(agent, updates) {
    const doc = new LText(newDoc(agent));
    for (const update of updates) doc.doc.import(update);
    return doc;
  },
  encodeText: (doc) => docOf(doc, LText).export({ mode: 'snapshot' }),
  decodeText: (bytes, agent) => new LText(decode(bytes, agent)),
  newList: (agent) => new LList(newDoc(agent)),
  encodeList: (doc) => docOf(doc, LList).export({ mode: 'snapshot' }),
  decodeList: (bytes, agent) => new LList(decode(bytes, agent)),
  mergeList(into, bytes) {
    // Importing a snapshot into a replica merges the ops it has not seen yet.
    docOf(into, LList).import(bytes);
  },
};
