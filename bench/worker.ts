// Runs one (library, workload) in this process and prints one JSON line per result.
import type { Adapter } from './adapters/types.js';
import { WORKLOADS } from './workloads.js';

const [libName, workload] = process.argv.slice(2);
const modules: Record<string, string> = {
  'crdt-genome': './adapters/ours.js',
  yjs: './adapters/yjs.js',
  loro: './adapters/loro.js',
  'json-joy': './adapters/jsonjoy.js',
  automerge: './adapters/automerge.js',
};
const path = modules[libName ?? ''];
const run = WORKLOADS[workload ?? ''];
if (path === undefined || run === undefined) {
  console.error(`usage: worker <${Object.keys(modules).join('|')}> <${Object.keys(WORKLOADS).join('|')}>`);
  process.exit(2);
}
const { adapter } = (await import(path)) as { adapter: Adapter };
for (const r of run(adapter)) console.log(JSON.stringify({ lib: adapter.name, ...r }));
