/**
 * Key files (docs/encoding.md, "Key file"): one ed25519 key as JSON
 *   {"format": "custodia-ed25519-key/1", "label": "...", "publicKey": "<64 hex>", "seed": "<64 hex>"}
 * written with mode 0600 and refused on load when its mode lets the group or others read it,
 * as ssh refuses a private key anyone else can read.
 */
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { fromHex, toHex } from '../encoding/hex.js';
import { generateKeyPair, keyPairFromSeed, type KeyPair } from '../crypto/ed25519.js';
import { describeZodError } from '../model/zod-errors.js';

export const KEY_FILE_FORMAT = 'custodia-ed25519-key/1';
const KEY_FILE_BYTES_MAX = 4096;
const OWNER_ONLY = 0o600;

const keyFileSchema = z.strictObject({
  format: z.literal(KEY_FILE_FORMAT),
  label: z.string().max(256).optional(),
  publicKey: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits'),
  seed: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits'),
});

export interface KeyFile {
  label?: string;
  keyPair: KeyPair;
}

export type KeyFileLoad =
  | { ok: true; key: KeyFile }
  | { ok: false; code: 'not-found' | 'unreadable' | 'too-permissive' | 'malformed' | 'key-mismatch'; message: string };

export function keyFileText(keyPair: KeyPair, label?: string): string {
  const document = { format: KEY_FILE_FORMAT, ...(label === undefined ? {} : { label }), publicKey: toHex(keyPair.publicKey), seed: toHex(keyPair.seed) };
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** Writes a key file readable by its owner only; refuses to overwrite an existing file. */
export async function writeKeyFile(path: string, keyPair: KeyPair, label?: string): Promise<void> {
  await writeFile(path, keyFileText(keyPair, label), { mode: OWNER_ONLY, flag: 'wx' });
  // The creation mode is masked by the umask; set it explicitly so it is exactly 0600.
  await chmod(path, OWNER_ONLY);
}

export async function generateKeyFile(path: string, label?: string): Promise<KeyPair> {
  const keyPair = generateKeyPair();
  await writeKeyFile(path, keyPair, label);
  return keyPair;
}

export async function loadKeyFile(path: string): Promise<KeyFileLoad> {
  let mode: number;
  let size: number;
  try {
    ({ mode, size } = await stat(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, code: code === 'ENOENT' ? 'not-found' : 'unreadable', message: `cannot read key file ${path}: ${(error as Error).message}` };
  }
  if ((mode & 0o077) !== 0) {
    return {
      ok: false,
      code: 'too-permissive',
      message: `key file ${path} has mode ${(mode & 0o777).toString(8).padStart(4, '0')}: others can read it; run chmod 600 ${path}`,
    };
  }
  if (size > KEY_FILE_BYTES_MAX) return { ok: false, code: 'malformed', message: `key file ${path} is ${size} bytes; a key file is under ${KEY_FILE_BYTES_MAX}` };
  let document: unknown;
  try {
    document = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    return { ok: false, code: 'malformed', message: `key file ${path} is not JSON: ${(error as Error).message}` };
  }
  const parsed = keyFileSchema.safeParse(document);
  if (!parsed.success) {
    const { message } = describeZodError(parsed.error);
    return { ok: false, code: 'malformed', message: `key file ${path}: ${message}` };
  }
  const keyPair = keyPairFromSeed(fromHex(parsed.data.seed));
  if (toHex(keyPair.publicKey) !== parsed.data.publicKey) {
    return { ok: false, code: 'key-mismatch', message: `key file ${path}: publicKey does not belong to seed (the file is damaged)` };
  }
  return { ok: true, key: { keyPair, ...(parsed.data.label === undefined ? {} : { label: parsed.data.label }) } };
}
