import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../ledger/encoding/hex.js';
import { generateKeyFile, loadKeyFile, writeKeyFile } from '../../../ledger/files/key-file.js';
import { testKey } from '../../support/test-chain.js';
import { temporaryDirectories } from '../../support/temp-dir.js';

const newDirectory = temporaryDirectories('keys');

describe('key files', () => {
  it('round-trips a key in the documented format', async () => {
    const file = join(await newDirectory(), 'a.key');
    const key = testKey('key file');
    await writeKeyFile(file, key, 'carrier');
    const document = JSON.parse(await readFile(file, 'utf8'));
    expect(document).toEqual({ format: 'custodia-ed25519-key/1', label: 'carrier', publicKey: toHex(key.publicKey), seed: toHex(key.seed) });
    const loaded = await loadKeyFile(file);
    expect(loaded.ok && loaded.key.keyPair).toEqual(key);
  });

  it('refuses a key file that the group or others can read', async () => {
    const file = join(await newDirectory(), 'b.key');
    await generateKeyFile(file);
    for (const mode of [0o644, 0o640, 0o604, 0o660]) {
      await chmod(file, mode);
      const loaded = await loadKeyFile(file);
      expect(loaded).toMatchObject({ ok: false, code: 'too-permissive' });
      expect(!loaded.ok && loaded.message).toContain('chmod 600');
    }
    await chmod(file, 0o400);
    expect((await loadKeyFile(file)).ok).toBe(true);
  });

  it('refuses missing, malformed and inconsistent key files with distinct codes', async () => {
    const directory = await newDirectory();
    expect(await loadKeyFile(join(directory, 'missing.key'))).toMatchObject({ ok: false, code: 'not-found' });

    const write = async (name: string, text: string) => {
      const file = join(directory, name);
      await writeFile(file, text, { mode: 0o600 });
      return file;
    };
    expect(await loadKeyFile(await write('not-json.key', '{'))).toMatchObject({ ok: false, code: 'malformed' });
    const key = testKey('key file');
    const other = testKey('other key');
    const wrongField = await write('upper.key', JSON.stringify({ format: 'custodia-ed25519-key/1', publicKey: toHex(key.publicKey).toUpperCase(), seed: toHex(key.seed) }));
    const malformed = await loadKeyFile(wrongField);
    expect(malformed).toMatchObject({ ok: false, code: 'malformed' });
    expect(!malformed.ok && malformed.message).toContain('publicKey');
    const mismatch = await write('mismatch.key', JSON.stringify({ format: 'custodia-ed25519-key/1', publicKey: toHex(other.publicKey), seed: toHex(key.seed) }));
    expect(await loadKeyFile(mismatch)).toMatchObject({ ok: false, code: 'key-mismatch' });
  });

  it('never overwrites an existing key file', async () => {
    const file = join(await newDirectory(), 'c.key');
    await generateKeyFile(file);
    await expect(generateKeyFile(file)).rejects.toMatchObject({ code: 'EEXIST' });
  });
});
