/**
 * What a CRDT library must offer the benchmarks. Each library gets one adapter; the workloads
 * (bench/workloads.ts) only talk to these interfaces.
 */

/** A replicated text (trace workloads). Positions count characters; the trace is ASCII. */
export interface TextDoc {
  insert(pos: number, text: string): void;
  delete(pos: number, len: number): void;
  text(): string;
}

/** A replicated list of genes, numbers 0..255 (genome workloads). */
export interface ListDoc {
  insert(pos: number, value: number): void;
  delete(pos: number): void;
  toArray(): number[];
  readonly length: number;
}

export interface Adapter {
  readonly name: string;
  /** A fresh text replica for `agent` (a small integer, distinct per replica). */
  newText(agent: number): TextDoc;
  /**
   * Where a library edits text one element at a time in `newText` and has range edits besides:
   * a text replica that makes each edit as one range edit (`trace-ranges`).
   */
  newRangeText?(agent: number): TextDoc;
  /**
   * A text replica that records, for every edit made on it, the encoded update (bytes) a remote
   * replica needs to replay that one edit. `updates()` returns them in order.
   */
  recordingText(agent: number): { doc: TextDoc; updates(): Uint8Array[] };
  /** A fresh replica for `agent` that decodes and applies `updates` one at a time, in order. */
  replayText(agent: number, updates: readonly Uint8Array[]): TextDoc;
  /** The full state of a text replica as bytes, and back. */
  encodeText(doc: TextDoc): Uint8Array;
  decodeText(bytes: Uint8Array, agent: number): TextDoc;
  newList(agent: number): ListDoc;
  encodeList(doc: ListDoc): Uint8Array;
  decodeList(bytes: Uint8Array, agent: number): ListDoc;
  /** Take in another replica's full state (from `encodeList`): a state-based merge. Undefined if unsupported. */
  mergeList?(into: ListDoc, bytes: Uint8Array): void;
}
