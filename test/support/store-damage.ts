/**
 * Damage done to a stopped LevelDB store on disk, for the tests of what finds it (custodia
 * verify) and what mends it (custodia repair): records pushed out of the write-ahead log into
 * table files, then bytes flipped inside a table, where LevelDB's block checksums catch them.
 */
import { ClassicLevel } from 'classic-level';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Compacts the store so that its records sit in table files (*.ldb), not only in its write-ahead log; the tables' names. */
export async function compactStore(directory: string): Promise<string[]> {
  const db = new ClassicLevel<string, string>(directory, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  await db.open();
  await db.compactRange('\u0000', '\uffff');
  await db.close();
  return (await readdir(directory)).filter((name) => name.endsWith('.ldb'));
}

/** Flips 64 bytes in the middle of the largest table: inside a data block, whose checksum no longer matches. */
export async function flipBytesInLargestTable(directory: string, tables: readonly string[]): Promise<void> {
  const largest = (await Promise.all(tables.map(async (name) => ({ name, size: (await stat(join(directory, name))).size })))).sort((a, b) => b.size - a.size)[0]!;
  const path = join(directory, largest.name);
  const bytes = await readFile(path);
  for (let offset = Math.floor(bytes.length / 2); offset < Math.floor(bytes.length / 2) + 64; offset++) bytes[offset] = bytes[offset]! ^ 0xff;
  await writeFile(path, bytes);
}
