/**
 * `custodia verify --data` stopped by a signal mid-walk (tools/commands/exit-on-interrupt.ts):
 * it exits 128 + the signal's number and leaves nothing in the temporary folder, neither the
 * store's read copy nor the scratch state tree, however large they had grown.
 */
import { spawn } from 'node:child_process';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeStoredChain, type StoredChain } from '../support/stored-chain.js';
import { temporaryDirectories } from '../support/temp-dir.js';

const binary = fileURLToPath(new URL('../../tools/bin/custodia.mjs', import.meta.url));
const newDirectory = temporaryDirectories('custodia-verify-interrupt-');
/** Enough blocks that the walk lasts well beyond the moment its scratch folders appear. */
const BLOCKS = 1_500;

let stored: StoredChain;

beforeAll(async () => {
  stored = await writeStoredChain(await newDirectory(), BLOCKS);
}, 120_000);

async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('custodia verify --data, interrupted', () => {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`exits ${code} on ${signal} mid-walk and removes its read copy and scratch tree`, async () => {
      const temporary = join(await newDirectory(), 'tmp');
      await mkdir(temporary);
      const child = spawn(process.execPath, [binary, 'verify', '--data', stored.dataDirectory, '--genesis', stored.genesisFile, '--json'], {
        env: { ...process.env, TMPDIR: temporary },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
      let ended = false;
      void exited.then(() => (ended = true));
      // Both scratch folders exist once the walk has begun.
      await waitFor(async () => {
        if (ended) throw new Error('verify finished before it could be interrupted');
        const names = await readdir(temporary);
        return names.some((name) => name.startsWith('custodia-read-copy-')) && names.some((name) => name.startsWith('custodia-verify-tree-'));
      }, 'the read copy and the scratch tree');
      child.kill(signal);
      expect(await exited).toBe(code);
      expect(await readdir(temporary)).toEqual([]);
    }, 120_000);
  }
});
