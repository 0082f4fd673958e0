import { ClassicLevel } from 'classic-level';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadKeyFile } from '../../ledger/files/key-file.js';
import { toHex } from '../../ledger/encoding/hex.js';
import { openStoreForReading } from '../../ledger/store/block-store.js';
import { storeKeys } from '../../ledger/store/keys.js';
import { runCli, runCliInProcess } from '../support/run-cli.js';
import { writeStoredChain } from '../support/stored-chain.js';
import { TestChain } from '../support/test-chain.js';
import { temporaryDirectories } from '../support/temp-dir.js';

const newDirectory = temporaryDirectories('cli');

/**
 * Each command runs in a child process that runCli kills after CLI_RUN_MS, so a command that
 * hangs fails its test by itself (exit code null), whatever the test's timeout. Most of a run's
 * time is the start-up of node and tsx loading the command's modules (about 1-2 s on an idle
 * 2-core machine, several times that on a loaded one), not the work the command does. A test
 * may therefore take up to CLI_RUN_MS for each command it runs without anything being wrong;
 * its timeout says so (`forRuns`), instead of the suite's 60 s for any number of runs.
 */
const CLI_RUN_MS = 60_000;
const cli = (args: readonly string[]) => runCli(args, { timeoutMs: CLI_RUN_MS });
const forRuns = (runs: number) => ({ timeout: runs * CLI_RUN_MS + 30_000 });

describe('custodia', () => {
  it('has --help for the program and every subcommand', forRuns(1), async () => {
    // The binary itself once; every subcommand's help from the same program in this process.
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    const subcommands = [...top.stdout.matchAll(/^ {2}([a-z]+) \[options\]/gm)].map((match) => match[1]!);
    expect(subcommands).toEqual(expect.arrayContaining(['keygen', 'verify', 'gateway', 'witness', 'audit']));
    for (const subcommand of subcommands) {
      const help = await runCliInProcess([subcommand, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: custodia ${subcommand}`);
    }
  });

  it('exits 2 on an unknown command or a missing option', async () => {
    expect((await runCliInProcess(['frobnicate'])).code).toBe(2);
    const missing = await runCliInProcess(['verify', '--data', '/tmp']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--genesis');
    // Nested subcommands exit alike.
    const nested = await runCliInProcess(['approval', 'approve', 'ab'.repeat(32), '--key', 'some.key']);
    expect(nested.code).toBe(2);
    expect(nested.stderr).toContain('--node');
    expect((await runCliInProcess(['approval', 'frobnicate'])).code).toBe(2);
    expect((await runCliInProcess(['epcis', 'validate'])).code).toBe(2);
  });

  it('keygen writes a 0600 key file that loads, and never overwrites one', forRuns(2), async () => {
    const file = join(await newDirectory(), 'validator.key');
    const run = await cli(['keygen', '--out', file, '--label', 'validator-0']);
    expect(run.code).toBe(0);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const loaded = await loadKeyFile(file);
    expect(loaded.ok && toHex(loaded.key.keyPair.publicKey)).toBe(run.stdout.trim());
    expect(loaded.ok && loaded.key.label).toBe('validator-0');
    const again = await cli(['keygen', '--out', file]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');
  });

  it('verify prints a summary for a sound ledger and exits 0', forRuns(1), async () => {
    // Three blocks carry headers whose ledger roots lag by 1, 2 and 0 blocks; the verifier itself
    // is tested on longer chains in test/ledger/verify. The --json form is checked below.
    const { chain, dataDirectory, genesisFile } = await writeStoredChain(await newDirectory(), 3);
    const run = await cli(['verify', '--data', dataDirectory, '--genesis', genesisFile]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`ok: chain ${chain.chainId} verified from genesis to height 3`);
    expect(run.stdout).toContain('transactions  6 (6 accepted, 0 rejected)');
    expect(run.stdout).toContain(chain.head.logRoot);
  });

  it('verify exits 1 naming the first bad height', forRuns(1), async () => {
    const { dataDirectory, genesisFile } = await writeStoredChain(await newDirectory(), 10);
    const db = new ClassicLevel<string, string>(dataDirectory, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
    await db.open();
    const block = JSON.parse((await db.get(storeKeys.block(7)))!);
    block.header.timestamp += 1;
    await db.put(storeKeys.block(7), JSON.stringify(block));
    await db.close();
    const run = await cli(['verify', '--data', dataDirectory, '--genesis', genesisFile]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^verification failed at height 7: /);
  });

  it('verify refuses a store built from another genesis, and a bad genesis file names the field', forRuns(3), async () => {
    const directory = await newDirectory();
    const { dataDirectory } = await writeStoredChain(directory, 2);
    const other = await writeStoredChain(await newDirectory(), 1, { chain: new TestChain({ chainId: 'other' }) });
    const mismatch = await cli(['verify', '--data', dataDirectory, '--genesis', other.genesisFile]);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toContain('height 0');

    const badGenesis = join(directory, 'bad-genesis.json');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(badGenesis, JSON.stringify({ chainId: 'Bad Chain', genesisTime: 0, validators: [] }));
    const bad = await cli(['verify', '--data', dataDirectory, '--genesis', badGenesis]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('chainId');
    const nowhere = join(directory, 'nowhere');
    const missingData = await cli(['verify', '--data', nowhere, '--genesis', other.genesisFile]);
    expect(missingData.code).toBe(2);
    expect(missingData.stderr).toContain(`${nowhere} is not a validator data folder`);
    expect(existsSync(nowhere)).toBe(false);
  });

  it("verify takes the validator's data folder as well as its ledger/ folder (--json), and names the folder it needs for any other, writing nothing there", forRuns(2), async () => {
    // A validator's dataDir holds ledger/ (the block store) and consensus/; the tests above pass ledger/ itself.
    const directory = await newDirectory();
    const { chain, dataDirectory: ledgerDirectory, genesisFile } = await writeStoredChain(directory, 3);
    const dataDir = join(directory, 'validator-0-data');
    await mkdir(join(dataDir, 'consensus'), { recursive: true });
    await rename(ledgerDirectory, join(dataDir, 'ledger'));
    const run = await cli(['verify', '--data', dataDir, '--genesis', genesisFile, '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, chainId: chain.chainId, height: 3, transactions: 6, accepted: 6, rejected: 0, logRoot: chain.head.logRoot });

    // The folder above the data folder is neither: exit 2, saying which folder to give, and
    // no LevelDB files (LOCK, LOG) left behind in it.
    const before = (await readdir(directory)).sort();
    const wrong = await cli(['verify', '--data', directory, '--genesis', genesisFile]);
    expect(wrong.code).toBe(2);
    expect(wrong.stdout).toBe('');
    expect(wrong.stderr).toBe(
      `error: ${directory} is not a validator data folder: give the dataDir of the validator's config (it holds ledger/) or its ledger/ folder\n`,
    );
    expect((await readdir(directory)).sort()).toEqual(before);

    // The store reader itself refuses a folder with no store rather than let LevelDB write in it.
    const empty = join(directory, 'empty');
    await mkdir(empty);
    const opened = await openStoreForReading(empty);
    expect(opened).toMatchObject({ ok: false, message: expect.stringContaining('holds no store') });
    expect(await readdir(empty)).toEqual([]);
    expect(await openStoreForReading(join(directory, 'missing'))).toMatchObject({ ok: false });
    expect(existsSync(join(directory, 'missing'))).toBe(false);
  });

  it('testnet writes standby validators that the genesis leaves out, with configs of their own', forRuns(2), async () => {
    const directory = join(await newDirectory(), 'net');
    const run = await cli(['testnet', '--validators', '5', '--genesis-validators', '4', '--dir', directory, '--base-port', '31000']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('1 on standby');
    const genesis = JSON.parse(await readFile(join(directory, 'genesis.json'), 'utf8')) as { validators: Array<{ id: string }> };
    expect(genesis.validators.map((validator) => validator.id)).toEqual(['validator-0', 'validator-1', 'validator-2', 'validator-3']);
    const standby = JSON.parse(await readFile(join(directory, 'validator-4', 'config.json'), 'utf8')) as { validatorId: string; peers: Array<{ id: string }> };
    expect(standby.validatorId).toBe('validator-4');
    expect(standby.peers.map((peer) => peer.id)).toEqual(['validator-0', 'validator-1', 'validator-2', 'validator-3']);
    // Write buffers out of step, so that the validators' LevelDB flushes do not fall in the same second.
    const writeBuffers = [];
    for (let index = 0; index < 5; index++) {
      const config = JSON.parse(await readFile(join(directory, `validator-${index}`, 'config.json'), 'utf8')) as { store: { writeBufferMb: number } };
      writeBuffers.push(config.store.writeBufferMb);
    }
    expect(writeBuffers).toEqual([32, 36, 28, 40, 24]);
    const refused = await cli(['testnet', '--validators', '5', '--genesis-validators', '6', '--dir', join(await newDirectory(), 'net')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--genesis-validators');
  });

  it('testnet writes a single-node baseline and the timings and block limits it is given', forRuns(2), async () => {
    const directory = join(await newDirectory(), 'net');
    const run = await cli(['testnet', '--validators', '1', '--dir', directory, '--base-port', '31500', '--round-timeout-ms', '400', '--idle-proposal-delay-ms', '0', '--block-transactions-max', '500', '--payload-bytes-max', '65536']);
    expect(run.code, run.stderr).toBe(0);
    const config = JSON.parse(await readFile(join(directory, 'validator-0', 'config.json'), 'utf8')) as { peers: unknown[]; consensus: Record<string, number> };
    expect(config.peers).toEqual([]);
    expect(config.consensus).toMatchObject({ roundTimeoutBaseMs: 400, idleProposalDelayMs: 0, blockTransactionsMax: 500, payloadBytesMax: 65536 });
    const refused = await cli(['testnet', '--validators', '4', '--dir', join(await newDirectory(), 'net'), '--payload-bytes-max', '99999999']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--payload-bytes-max must be an integer from 1024 to 8388608');
  });
});
