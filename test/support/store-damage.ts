/**
 * Damaging a stopped LevelDB store the way disks do, for the damage tests (issue 13): the table
 * damage itself (compaction into tables, flipped bytes) is tools/chaos/damage.ts, shared with
 * `custodia chaos`; here, a damaged stored chain and a record changed in place.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compactStore, flipBytesInTheMiddle, largestTable } from '../../tools/chaos/damage.js';
import { writeStoredChain } from './stored-chain.js';

export { compactStore, flipBytesInTheMiddle, largestTable };

/** A stored chain whose records sit in LevelDB table files (compacted), not only in its write-ahead log. */
export async function compactedChain(directory: string, blocks: number) {
  const stored = await writeStoredChain(directory, blocks);
  return { ...stored, tables: await compactStore(stored.dataDirectory) };
}

/**
 * Changes, in place, one record of a store compacted without compression: the bytes of
 * `record` are found in its tables, and the first occurrence of `from` inside them becomes `to`
 * (of the same length, so that the rest of the record and the table stay well-formed).
 */
export async function changeRecordInTables(directory: string, record: string, from: string, to: string): Promise<void> {
  if (Buffer.byteLength(from) !== Buffer.byteLength(to)) throw new Error('the replacement must keep the record length');
  const recordBytes = Buffer.from(record, 'utf8');
  const within = recordBytes.indexOf(from);
  if (within < 0) throw new Error(`the record does not contain ${from}`);
  for (const name of (await readdir(directory)).filter((entry) => entry.endsWith('.ldb'))) {
    const path = join(directory, name);
    const bytes = await readFile(path);
    const at = bytes.indexOf(recordBytes);
    if (at < 0) continue;
    Buffer.from(to, 'utf8').copy(bytes, at + within);
    // Written in place: a process that has the table open reads the changed bytes too.
    await writeFile(path, bytes);
    return;
  }
  throw new Error(`no table in ${directory} holds the record uncompressed`);
}

/** Flips 64 bytes in the middle of the largest table: inside a data block, whose checksum no longer matches. */
export async function flipBytesInLargestTable(directory: string, tables: readonly string[]): Promise<void> {
  await flipBytesInTheMiddle(await largestTable(directory, tables));
}
