// Benchmark adapter for Automerge 3: a text field edited with `splice` and a list of numbers, one change per edit.
import * as A from '@automerge/automerge';
import type { Adapter, ListDoc, TextDoc } from './types.js';

type TextState = { t: string };
type ListState = { l: number[] };

// Actor ids are hex strings (an even number of digits); pad the agent to 16 bytes.
const actor = (agent: number): string => agent.toString(16).padStart(32, '0');

// Replicas must share the object that holds the text/list: if each created its own, concurrent
// replicas would hold rival `t`/`l` fields and only one would survive a merge. So every replica
// loads one base document, made once under an actor no agent gets, with a fixed timestamp.
const BASE_ACTOR = 'ff'.repeat(16);
const TEXT_BASE = A.save(
  A.change(A.init<TextState>({ actor: BASE_ACTOR }), { time: 0 }, (d) => {
    d.t = '';
  }),
);
const LIST_BASE = A.save(
  A.change(A.init<ListState>({ actor: BASE_ACTOR }), { time: 0 }, (d) => {
    d.l = [];
  }),
);

class AText implements TextDoc {
  constructor(
    public doc: A.Doc<TextState>,
    readonly onChange?: (change: A.Change) => void,
  ) {}
  // Empty edits are skipped: they make no change, and `getLastLocalChange` would repeat the previous one.
  insert(pos: number, text: string): void {
    if (!text) return;
    this.doc = A.change(this.doc, (d) => A.splice(d, ['t'], pos, 0, text));
    this.changed();
  }
  delete(pos: number, len: number): void {
    if (!len) return;
    this.doc = A.change(this.doc, (d) => A.splice(d, ['t'], pos, len));
    this.changed();
  }
  private changed(): void {
    if (!this.onChange) return;
    const change = A.getLastLocalChange(this.doc);
    if (change) this.onChange(change);
  }
  text(): string {
    return this.doc.t;
  }
}

class AList implements ListDoc {
  constructor(public doc: A.Doc<ListState>) {}
  insert(pos: number, value: number): void {
    this.doc = A.change(this.doc, (d) => A.insertAt(d.l, pos, value));
  }
  delete(pos: number): void {
    this.doc = A.change(this.doc, (d) => A.deleteAt(d.l, pos));
  }
  toArray(): number[] {
    // The document is a frozen materialized view; hand out a copy the caller may mutate.
    return this.doc.l.slice();
  }
  get length(): number {
    return this.doc.l.length;
  }
}

function asText(doc: TextDoc): AText {
  if (!(doc instanceof AText)) throw new TypeError('not an automerge replica');
  return doc;
}

function asList(doc: ListDoc): AList {
  if (!(doc instanceof AList)) throw new TypeError('not an automerge replica');
  return doc;
}

export const adapter: Adapter = {
  name: 'automerge',
  newText: (agent) => new AText(A.load<TextState>(TEXT_BASE, actor(agent))),
  recordingText(agent) {
    const updates: Uint8Array[] = [];
    const doc = new AText(A.load<TextState>(TEXT_BASE, actor(agent)), (change) => updates.push(change));
    return { doc, updates: () => updates };
  },
  replayText(agent, updates) {
    let doc = A.load<TextState>(TEXT_BASE, actor(agent));
    for (const update of updates) [doc] = A.applyChanges(doc, [update]);
    return new AText(doc);
  },
  encodeText: (doc) => A.save(asText(doc).doc),
  decodeText: (bytes, agent) => new AText(A.load<TextState>(bytes, actor(agent))),
  newList: (agent) => new AList(A.load<ListState>(LIST_BASE, actor(agent))),
  encodeList: (doc) => A.save(asList(doc).doc),
  decodeList: (bytes, agent) => new AList(A.load<ListState>(bytes, actor(agent))),
  mergeList(into, bytes) {
    const list = asList(into);
    // Applies the changes in `bytes` that `into` lacks, without building a second document.
    list.doc = A.loadIncremental(list.doc, bytes);
  },
};
