/**
 * Damage done to a stopped validator's LevelDB store the way disks do it: its records moved out
 * of the write-ahead log into table files, then bytes flipped inside a table. LevelDB, as
 * classic-level runs it, does not verify table checksums on reads, so bytes changed inside an
 * uncompressed table can come back as a well-formed but wrong record: only Custodia's own checks
 * (checked reads, the scrub, `custodia verify`) notice. Used by `custodia chaos` and the damage tests.
 */
import { ClassicLevel } from 'classic-level';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Moves every record of a stopped store into table files (.ldb), out of its write-ahead log; the
 * tables' names. Without compression the records' bytes lie in the tables as they are.
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

/** The largest of a store's table files: the one most likely to hold old blocks. */
export async function largestTable(directory: string, tables: readonly string[]): Promise<string> {
  const sizes = await Promise.all(tables.map(async (name) => ({ name, size: (await stat(join(directory, name))).size })));
  return join(directory, sizes.sort((a, b) => b.size - a.size)[0]!.name);
}

/** Inverts `length` bytes from the middle of a file: inside a table's data block, whose checksum no longer matches. */
export async function flipBytesInTheMiddle(path: string, length = 64): Promise<void> {
  const bytes = await readFile(path);
  const middle = Math.floor(bytes.length / 2);
  for (let offset = middle; offset < middle + length && offset < bytes.length; offset++) bytes[offset] = bytes[offset]! ^ 0xff;
  await writeFile(path, bytes);
}

const BLOCK_LINK = Buffer.from('"prevHash":"', 'utf8');
/** Where in a stored link the digit changed lies: past the marker, inside the 64 hex digits. */
const LINK_DIGIT_OFFSET = BLOCK_LINK.length + 10;

/**
 * Compacts a stopped ledger store and changes one hex digit of a stored block's `prevHash` in the
 * middle of its largest table, keeping the record well-formed: the kind of silent damage only
 * the chain's own checks find (the tail check on start, checked reads, `custodia verify`). Bytes
 * flipped at random can land in an index that no chain check covers. Returns the table and the
 * byte changed; a table holding no block falls back to flipped bytes in its middle.
 */
export async function damageStore(directory: string): Promise<{ table: string; offset: number }> {
  const table = await largestTable(directory, await compactStore(directory, { compression: false }));
  const bytes = await readFile(table);
  const links: number[] = [];
  for (let at = bytes.indexOf(BLOCK_LINK); at >= 0; at = bytes.indexOf(BLOCK_LINK, at + 1)) links.push(at);
  if (links.length === 0) {
    await flipBytesInTheMiddle(table);
    return { table, offset: Math.floor(bytes.length / 2) };
  }
  const offset = links[Math.floor(links.length / 2)]! + LINK_DIGIT_OFFSET;
  const zero = '0'.charCodeAt(0);
  bytes[offset] = bytes[offset] === zero ? '1'.charCodeAt(0) : zero;
  await writeFile(table, bytes);
  return { table, offset };
}
