/** Reads a genesis file: strict JSON (no duplicate keys), then the genesis schema and key rules. */
import { readFile } from 'node:fs/promises';
import { parseStrictJson } from '../encoding/strict-json.js';
import { loadGenesis, type GenesisLoad } from '../model/genesis.js';

const GENESIS_FILE_BYTES_MAX = 16 * 1024 * 1024;

export async function readGenesisFile(path: string): Promise<GenesisLoad> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return { ok: false, message: `cannot read genesis file ${path}: ${(error as Error).message}`, path: '' };
  }
  const parsed = parseStrictJson(text, { bytesMax: GENESIS_FILE_BYTES_MAX });
  if (!parsed.ok) return { ok: false, message: `genesis file ${path}: ${parsed.error.message}`, path: parsed.error.path };
  const loaded = loadGenesis(parsed.value);
  return loaded.ok ? loaded : { ok: false, message: `genesis file ${path}: ${loaded.message}`, path: loaded.path };
}
