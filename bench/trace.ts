import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** One edit of a trace: delete `del` characters at `pos`, then insert `ins` there. */
export interface Edit {
  pos: number;
  del: number;
  ins: string;
}

export interface Trace {
  edits: Edit[];
  endContent: string;
}

/** The automerge-paper trace (bench/traces/README.md), one edit per patch. */
export function loadTrace(): Trace {
  const file = new URL('../../bench/traces/automerge-paper.json.gz', import.meta.url);
  const json = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as {
    endContent: string;
    txns: Array<{ patches: Array<[number, number, string]> }>;
  };
  const edits: Edit[] = [];
  for (const txn of json.txns) for (const [pos, del, ins] of txn.patches) edits.push({ pos, del, ins });
  return { edits, endContent: json.endContent };
}
