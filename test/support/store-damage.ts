/**
 * Damaging a stopped LevelDB store the way disks do, for the damage tests (issue 13): its
 * records moved into table files, then bytes flipped in a table. LevelDB, as classic-level runs
 * it, does not verify table checksums on reads, so bytes changed inside an uncompressed table
 * come back as a well-formed but wrong record: only Custodia's own checks can notice.
 */
import { ClassicLevel } from 'classic-level';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeStoredChain } from './stored-chain.js';

/**
 * Moves every record of a stopped store into table files (.ldb), out of its write-ahead log.
 * Without compression the records' bytes lie in the tables as they are, to be found and changed.
 */
export async function compactStore(directory: string, options: { compression?: boolean } = {}): Promise<string[]> {
  const db = new ClassicLevel<string, string>(directory, { keyEncoding: 'utf8', valueEncoding: 'utf8', compression: options.compression ?? true, createIfMissing: false });
  await db.open();
  await db.compactRange('\u0000', '\uffff');
  await db.close();
  const tables = (await readdir(directory)).filter((name) => name.endsWith('.ldb'));
  if (tables.length === 0) throw new Error(`compacting ${directory} left no table file`);
  return tables;
}

/** A stored chain whose records sit in LevelDB table files (compacted), not only in its write-ahead log. */
export async function compactedChain(directory: string, blocks: number) {
  const stored = await writeStoredChain(directory, blocks);
  return { ...stored, tables: await compactStore(stored.dataDirectory) };
}

/** The largest of a store's table files: the one most likely to hold old blocks. */
export async function largestTable(directory: string, tables: readonly string[]): Promise<string> {
  const sizes = await Promise.all(tables.map(async (name) => ({ name, size: (await stat(join(directory, name))).size })));
  return join(directory, sizes.sort((a, b) => b.size - a.size)[0]!.name);
}

/** Inverts `length` bytes from the middle of a file: inside a table's data block, whose checksum no longer matches. */
export async function flipBytesInTheMiddle(path: string, length = 64): Promise<void> {
  const bytes = await readFile(path);
  const middle = Math.floor(bytes.length / 2);
  for (let offset = middle; offset < middle + length; offset++) bytes[offset] = bytes[offset]! ^ 0xff;
  await writeFile(path, bytes);
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
