/**
 * A private copy of a stopped LevelDB database to read from, so that checking a store never
 * writes into it: opening a database in place writes its LOCK and LOG files, may write a new
 * MANIFEST and replays (then compacts) the write-ahead log. The copy hard-links the table files
 * (*.ldb, *.sst), which LevelDB never changes once written (it only deletes them after a
 * compaction, and deleting the copy's link leaves the original), and copies the rest: CURRENT,
 * the MANIFEST and the write-ahead *.log, which opening may rewrite. Across file systems, where
 * a link is impossible, tables are copied too.
 */
import { renameSync, rmSync } from 'node:fs';
import { copyFile, link, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Files of a LevelDB folder that a reader needs; LOCK and the LOG files are the writer's own. */
const NEEDED_FILE = /^(CURRENT|MANIFEST-\d+|\d+\.(log|ldb|sst))$/;
const IMMUTABLE_FILE = /^\d+\.(ldb|sst)$/;

/**
 * Tries of a folder's removal as the process exits: a database still open in it may be adding a
 * file while the removal runs (LevelDB's background thread), which fails it with ENOTEMPTY.
 */
export const EXIT_REMOVAL_RETRIES = 10;

/**
 * Removes, as the process exits, a folder a LevelDB database may still have open. The folder is
 * renamed away first: LevelDB's background thread names its files by the folder's old path, so
 * from then on it can add none to what is being removed (its creations fail, harmless at exit).
 * Removing in place raced with it: under load a compaction's new table landed after the removal
 * had emptied the folder, and the folder stayed behind.
 */
export function removeFolderAtExit(directory: string): void {
  let doomed = directory;
  try {
    renameSync(directory, `${directory}-removing`);
    doomed = `${directory}-removing`;
  } catch {
    // Gone already, or not renamable: removed where it is.
  }
  rmSync(doomed, { recursive: true, force: true, maxRetries: EXIT_REMOVAL_RETRIES });
}

export interface ReadCopy {
  directory: string;
  remove(): Promise<void>;
}

export async function makeReadCopy(source: string): Promise<ReadCopy> {
  const directory = await mkdtemp(join(tmpdir(), 'custodia-read-copy-'));
  // A process that ends without removing the copy (an uncaught error, process.exit, a command
  // interrupted: tools/commands/exit-on-interrupt.ts) still removes it.
  const removeOnExit = () => removeFolderAtExit(directory);
  process.on('exit', removeOnExit);
  const remove = async () => {
    process.off('exit', removeOnExit);
    await rm(directory, { recursive: true, force: true });
  };
  try {
    for (const entry of await readdir(source, { withFileTypes: true })) {
      if (!entry.isFile() || !NEEDED_FILE.test(entry.name)) continue;
      const from = join(source, entry.name);
      const to = join(directory, entry.name);
      if (IMMUTABLE_FILE.test(entry.name)) await link(from, to).catch(() => copyFile(from, to));
      else await copyFile(from, to);
    }
  } catch (error) {
    await remove();
    throw error;
  }
  return { directory, remove };
}
