import type { Command } from 'commander';
import { storeFile } from '../actor/run.js';
import { actorId, MAX_MEMBER } from '../crdt/ids.js';
import { isGene } from '../genome/gene.js';
import { decodeSnapshot } from '../store/snapshot.js';
import { SqliteStore } from '../store/SqliteStore.js';
import { usage } from './actor-flags.js';
import { directory, integer } from './flags.js';

/** Dropped rows named in the output; the rest are counted. */
const NAMED = 10;

/**
 * `crdt-genome repair --data-dir D --actor N`: the way out for a store an actor refuses to load
 * because of rows it cannot read. Exit 0 repaired or nothing to do, 1 the store is refused, 2 bad flags.
 */
export function registerRepair(program: Command): void {
  program
    .command('repair')
    .description("drop the rows (and snapshot) of an actor's store that cannot be loaded, after a backup copy next to it")
    .option('--data-dir <dir>', 'the data dir the actor runs with (its store is <dir>/actor-<id>.db)', directory, './data')
    .option('-a, --actor <id>', "the actor whose store it is", integer(0, MAX_MEMBER))
    .action((o: { dataDir: string; actor?: number }, cmd: Command) => {
      if (o.actor === undefined) usage(cmd, 'missing `--actor <id>`');
      const actor = actorId(o.actor);
      const checkSnapshot = (bytes: Uint8Array): string | null => {
        try {
          for (const op of decodeSnapshot(bytes, actor).appliedOps()) if (op.type === 'insert' && !isGene(op.value)) return `it holds gene ${op.value}`;
          return null;
        } catch (err) {
          return (err as Error).message;
        }
      };
      const report = SqliteStore.repair(storeFile(o.dataDir, actor), actor, { isValue: isGene, checkSnapshot });
      if (report.backup === null) {
        console.log(`store ${report.file}: all ${report.rows} rows load; nothing to repair`);
        return;
      }
      if (report.snapshot !== null) console.log(`dropped the snapshot, which cannot be loaded (${report.snapshot}); the actor goes on as a new incarnation, and gets the ops it held back from its peers`);
      for (const d of report.dropped.slice(0, NAMED)) console.log(`dropped row ${d.seq}: ${d.why}`);
      if (report.dropped.length > NAMED) console.log(`... and ${report.dropped.length - NAMED} more`);
      console.log(`store ${report.file}: dropped ${report.dropped.length} of ${report.rows} rows that could not be loaded; backup copy: ${report.backup}`);
    });
}
