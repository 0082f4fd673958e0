/**
 * `custodia verify` on damaged stores (issue 13): damage is a finding (exit 1, LevelDB's cause
 * and the remedy, never a stack trace), and verify never writes into what it checks, healthy or
 * not: every file's name, size, content and modification time are the same afterwards.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeStoreError } from '../../ledger/store/open-errors.js';
import { runCli } from '../support/run-cli.js';
import { compactStore, flipBytesInLargestTable } from '../support/store-damage.js';
import { writeStoredChain } from '../support/stored-chain.js';
import { temporaryDirectories } from '../support/temp-dir.js';

const newDirectory = temporaryDirectories('verify-damage');
const CLI_RUN_MS = 60_000;
const cli = (args: readonly string[]) => runCli(args, { timeoutMs: CLI_RUN_MS });
const forRuns = (runs: number) => ({ timeout: runs * CLI_RUN_MS + 60_000 });

/** Every file of a folder: name, size, content hash and modification time. */
async function fingerprint(directory: string): Promise<string[]> {
  const entries = [];
  for (const name of (await readdir(directory)).sort()) {
    const path = join(directory, name);
    const info = await stat(path);
    entries.push(`${name} ${info.size} ${info.mtimeMs} ${createHash('sha256').update(await readFile(path)).digest('hex')}`);
  }
  return entries;
}

/** A stored chain whose records sit in LevelDB table files (compacted), not only in its write-ahead log. */
async function compactedChain(blocks: number) {
  const stored = await writeStoredChain(await newDirectory(), blocks);
  const tables = await compactStore(stored.dataDirectory);
  expect(tables.length).toBeGreaterThan(0);
  return { ...stored, tables };
}

function expectFinding(run: { code: number | null; stderr: string }, pattern: RegExp): void {
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(/^verification failed at height \d+: /);
  expect(run.stderr).toMatch(pattern);
  expect(run.stderr).toContain('Remedy:');
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

describe('custodia verify on a damaged store', () => {
  it('writes nothing into a healthy store it checks', forRuns(1), async () => {
    const { dataDirectory, genesisFile } = await compactedChain(20);
    const before = await fingerprint(dataDirectory);
    const run = await cli(['verify', '--data', dataDirectory, '--genesis', genesisFile]);
    expect(run.code).toBe(0);
    expect(await fingerprint(dataDirectory)).toEqual(before);
  });

  it('reports a table file missing from the store as damage, and leaves the store as it was', forRuns(1), async () => {
    const { dataDirectory, genesisFile, tables } = await compactedChain(20);
    await rm(join(dataDirectory, tables[0]!));
    const before = await fingerprint(dataDirectory);
    const run = await cli(['verify', '--data', dataDirectory, '--genesis', genesisFile]);
    expectFinding(run, /Corruption: \d+ missing files/);
    expect(await fingerprint(dataDirectory)).toEqual(before);
  });

  it('reports a damaged MANIFEST as damage', forRuns(1), async () => {
    const { dataDirectory, genesisFile } = await compactedChain(20);
    const manifest = (await readdir(dataDirectory)).find((name) => name.startsWith('MANIFEST-'))!;
    const bytes = await readFile(join(dataDirectory, manifest));
    await writeFile(join(dataDirectory, manifest), Buffer.alloc(bytes.length, 0x5a));
    const before = await fingerprint(dataDirectory);
    const run = await cli(['verify', '--data', dataDirectory, '--genesis', genesisFile, '--json']);
    expect(run.code).toBe(1);
    const finding = JSON.parse(run.stdout) as { ok: boolean; message: string };
    expect(finding.ok).toBe(false);
    expect(finding.message).toContain('Remedy:');
    expect(await fingerprint(dataDirectory)).toEqual(before);
  });

  it('reports flipped bytes in a table as a finding, never a crash', forRuns(1), async () => {
    const { dataDirectory, genesisFile, tables } = await compactedChain(20);
    await flipBytesInLargestTable(dataDirectory, tables);
    const before = await fingerprint(dataDirectory);
    const run = await cli(['verify', '--data', dataDirectory, '--genesis', genesisFile]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^verification failed at height \d+: /);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(await fingerprint(dataDirectory)).toEqual(before);
  });
});

describe('describeStoreError', () => {
  const wrapped = (code: string, message: string) => Object.assign(new Error('Database failed to open', { cause: Object.assign(new Error(message), { code }) }), { code: 'LEVEL_DATABASE_NOT_OPEN' });

  it("names LevelDB's own cause and a remedy for each store", () => {
    const locked = describeStoreError(wrapped('LEVEL_LOCKED', 'IO error: lock /data/ledger/LOCK: already held by process'), 'ledger', '/data/ledger');
    expect(locked.fault).toBe('locked');
    expect(locked.cause).toContain('already held by process (LEVEL_LOCKED)');
    expect(locked.remedy).toContain('another process');
    const ledger = describeStoreError(wrapped('LEVEL_CORRUPTION', 'Corruption: 1 missing files; e.g.: /data/ledger/000005.ldb'), 'ledger', '/data/ledger');
    expect(ledger.fault).toBe('damaged');
    expect(ledger.cause).toBe('Database failed to open (LEVEL_DATABASE_NOT_OPEN): Corruption: 1 missing files; e.g.: /data/ledger/000005.ldb (LEVEL_CORRUPTION)');
    expect(ledger.remedy).toContain('keep consensus/');
    const consensus = describeStoreError(wrapped('LEVEL_CORRUPTION', 'Corruption: bad record length'), 'consensus', '/data/consensus');
    expect(consensus.remedy).toContain('Never remove ledger/');
    expect(describeStoreError(wrapped('LEVEL_IO_ERROR', 'IO error: /data/ledger/LOCK: Permission denied'), 'ledger', '/data/ledger').fault).toBe('unreadable');
  });
});
