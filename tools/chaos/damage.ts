/**
 * Damage done to a stopped validator's LevelDB store the way disks do it: records moved out of
 * the write-ahead log into table files and bytes flipped inside a table (LevelDB, as classic-level
 * runs it, does not verify table checksums on reads, so changed bytes can come back as a
 * well-formed but wrong record), or one block record changed in place. Only Custodia's own checks
 * (checked reads, the scrub, `custodia verify`) notice. Used by `custodia chaos` and the damage tests.
 */
import { ClassicLevel } from 'classic-level';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { storeKeys } from '../../ledger/store/keys.js';

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

const BLOCK_LINK = '"prevHash":"';
/** Where in a stored link the digit changed lies: past the marker, inside the 64 hex digits. */
const LINK_DIGIT_OFFSET = BLOCK_LINK.length + 10;

/**
 * Changes one hex digit of the `prevHash` in the stored block halfway up a stopped ledger store,
 * keeping the record well-formed: the kind of silent damage only the chain's own checks find (the
 * tail check on start, checked reads, the scrub, `custodia verify`). The record is rewritten
 * through LevelDB, as a disk returning other bytes for it would look to a reader; raw bytes
 * flipped in a table can land in an index no chain check covers, or in a copy of the header kept
 * by another index. Returns the height damaged (0: a store with no block, left alone).
 */
export async function damageStore(directory: string): Promise<number> {
  const db = new ClassicLevel<string, string>(directory, { keyEncoding: 'utf8', valueEncoding: 'utf8', createIfMissing: false });
  await db.open();
  try {
    const head = Number(await db.get(storeKeys.head));
    if (!Number.isSafeInteger(head) || head < 1) return 0;
    const height = Math.max(1, Math.floor(head / 2));
    const record = await db.get(storeKeys.block(height));
    const at = record?.indexOf(BLOCK_LINK) ?? -1;
    if (record === undefined || at < 0) throw new Error(`block ${height} of ${directory} holds no prevHash to damage`);
    const offset = at + LINK_DIGIT_OFFSET;
    const changed = `${record.slice(0, offset)}${record[offset] === '0' ? '1' : '0'}${record.slice(offset + 1)}`;
    await db.put(storeKeys.block(height), changed, { sync: true });
    return height;
  } finally {
    await db.close();
  }
}
