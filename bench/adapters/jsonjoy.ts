// Benchmark adapter for json-joy 18.28: a JSON CRDT Model whose root is a "str" (text) or an "arr" of "con" numbers (genome).
import { Model, Patch, s, type ArrApi, type NodeBuilder, type StrApi } from 'json-joy/lib/json-crdt/index.js';
import type { Adapter, ListDoc, TextDoc } from './types.js';

// json-joy reserves session ids below 65536 for system use.
const sid = (agent: number): number => 65536 + agent;

// `setSchema` builds the root node under the shared GLOBAL session, so every replica starts
// from the same "str"/"arr" node and concurrent edits land in the same sequence. The patch
// that built it is flushed away: each replica builds it itself.
function newModel(agent: number, schema: NodeBuilder): Model {
  const model = Model.create(undefined, sid(agent));
  model.setSchema(schema);
  model.api.flush();
  return model;
}
const newTextModel = (agent: number): Model => newModel(agent, s.str(''));
const newListModel = (agent: number): Model => newModel(agent, s.arr([]));

// Local edits apply to the model at once and are buffered in `api.builder` until `flush()`;
// flushing after every edit makes each edit its own patch (and keeps the buffer from growing).
class JText implements TextDoc {
  readonly str: StrApi;
  constructor(readonly model: Model, readonly onPatch?: (patch: Patch) => void) {
    this.str = model.api.str([]);
  }
  // Empty edits are skipped: `ins` throws on '', and `del` of 0 would still emit an op.
  insert(pos: number, text: string): void {
    if (!text) return;
    this.str.ins(pos, text);
    this.flush();
  }
  delete(pos: number, len: number): void {
    if (!len) return;
    this.str.del(pos, len);
    this.flush();
  }
  private flush(): void {
    const patch = this.model.api.flush();
    this.onPatch?.(patch);
  }
  text(): string {
    return this.str.view();
  }
}

class JList implements ListDoc {
  readonly arr: ArrApi;
  constructor(readonly model: Model) {
    this.arr = model.api.arr([]);
  }
  insert(pos: number, value: number): void {
    // Genes are immutable, so a "con" element (one op) rather than the default "val" register (three ops).
    this.arr.ins(pos, [s.con(value)]);
    this.model.api.flush();
  }
  delete(pos: number): void {
    this.arr.del(pos, 1);
    this.model.api.flush();
  }
  toArray(): number[] {
    // The node hands out its cached view; copy it so callers own the array, as with other libraries.
    return (this.arr.view() as number[]).slice();
  }
  get length(): number {
    return this.arr.length();
  }
}

function modelOf<T extends JText | JList>(doc: TextDoc | ListDoc, cls: abstract new (...args: never[]) => T): Model {
  if (!(doc instanceof cls)) throw new TypeError('not a json-joy replica');
  return doc.model;
}

export const adapter: Adapter = {
  name: 'json-joy',
  newText: (agent) => new JText(newTextModel(agent)),
  recordingText(agent) {
    const updates: Uint8Array[] = [];
    const doc = new JText(newTextModel(agent), (patch) => updates.push(patch.toBinary()));
    return { doc, updates: () => updates };
  },
  replayText(agent, updates) {
    const model = newTextModel(agent);
    for (const update of updates) model.applyPatch(Patch.fromBinary(update));
    return new JText(model);
  },
  encodeText: (doc) => modelOf(doc, JText).toBinary(),
  // `Model.load` decodes and switches the clock to this replica's own session id.
  decodeText: (bytes, agent) => new JText(Model.load(bytes, sid(agent))),
  newList: (agent) => new JList(newListModel(agent)),
  encodeList: (doc) => modelOf(doc, JList).toBinary(),
  decodeList: (bytes, agent) => new JList(Model.load(bytes, sid(agent))),
  mergeList(into, bytes) {
    // `Model.merge` computes the delta of the other model against this one's clock and applies it.
    modelOf(into, JList).merge(Model.fromBinary(bytes));
  },
};
