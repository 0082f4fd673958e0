/**
 * Writes a small state file so that it survives a crash whole or not at all: the text goes to a
 * temporary file beside it, which is fsynced, renamed over the target (atomic on POSIX file
 * systems) and the folder fsynced, so the rename itself is durable before the caller answers.
 * Used by `custodia witness` and `custodia audit` for the checkpoints they remember.
 */
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

export async function writeFileDurably(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  const file = await open(temporary, 'w', 0o644);
  try {
    await file.writeFile(text, 'utf8');
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
  const folder = await open(dirname(path), 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}
