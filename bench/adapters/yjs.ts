// Benchmark adapter for Yjs: Y.Text for the trace workloads, Y.Array of numbers for the genome.
import * as Y from 'yjs';
import type { Adapter, ListDoc, TextDoc } from './types.js';

function newDoc(agent: number): Y.Doc {
  const doc = new Y.Doc();
  // Yjs keys every item by clientID, so replicas need distinct, deterministic ids.
  doc.clientID = agent;
  return doc;
}

class YText implements TextDoc {
  readonly ytext: Y.Text;
  constructor(readonly doc: Y.Doc) {
    this.ytext = doc.getText('t');
  }
  // Each call outside `doc.transact` is its own transaction, hence its own update.
  insert(pos: number, text: string): void {
    this.ytext.insert(pos, text);
  }
  delete(pos: number, len: number): void {
    this.ytext.delete(pos, len);
  }
  text(): string {
    return this.ytext.toString();
  }
}

class YList implements ListDoc {
  readonly yarray: Y.Array<number>;
  constructor(readonly doc: Y.Doc) {
    this.yarray = doc.getArray<number>('l');
  }
  insert(pos: number, value: number): void {
    this.yarray.insert(pos, [value]);
  }
  delete(pos: number): void {
    this.yarray.delete(pos, 1);
  }
  toArray(): number[] {
    return this.yarray.toArray();
  }
  get length(): number {
    return this.yarray.length;
  }
}

function docOf<T extends YText | YList>(doc: TextDoc | ListDoc, cls: new (doc: Y.Doc) => T): Y.Doc {
  if (!(doc instanceof cls)) throw new TypeError('not a yjs replica');
  return doc.doc;
}

export const adapter: Adapter = {
  name: 'yjs',
  newText: (agent) => new YText(newDoc(agent)),
  recordingText(agent) {
    const ydoc = newDoc(agent);
    const updates: Uint8Array[] = [];
    // Fires once per transaction, i.e. once per edit here.
    ydoc.on('update', (update: Uint8Array) => {
      updates.push(update);
    });
    return { doc: new YText(ydoc), updates: () => updates };
  },
  replayText(agent, updates) {
    const doc = new YText(newDoc(agent));
    for (const update of updates) Y.applyUpdate(doc.doc, update);
    return doc;
  },
  encodeText: (doc) => Y.encodeStateAsUpdate(docOf(doc, YText)),
  decodeText(bytes, agent) {
    const ydoc = newDoc(agent);
    Y.applyUpdate(ydoc, bytes);
    return new YText(ydoc);
  },
  newList: (agent) => new YList(newDoc(agent)),
  encodeList: (doc) => Y.encodeStateAsUpdate(docOf(doc, YList)),
  decodeList(bytes, agent) {
    const ydoc = newDoc(agent);
    Y.applyUpdate(ydoc, bytes);
    return new YList(ydoc);
  },
  mergeList(into, bytes) {
    // A state update is a regular update: applying it merges everything not yet seen.
    Y.applyUpdate(docOf(into, YList), bytes);
  },
};
