import { ClassicLevel } from 'classic-level';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadKeyFile } from '../../ledger/files/key-file.js';
import { toHex } from '../../ledger/encoding/hex.js';
import { storeKeys } from '../../ledger/store/keys.js';
import { runCli } from '../support/run-cli.js';
import { writeStoredChain } from '../support/stored-chain.js';
import { TestChain } from '../support/test-chain.js';
import { temporaryDirectories } from '../support/temp-dir.js';

const newDirectory = temporaryDirectories('cli');

describe('custodia', () => {
  it('has --help for the program and every subcommand', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    const subcommands = [...top.stdout.matchAll(/^ {2}([a-z]+) \[options\]/gm)].map((match) => match[1]!);
    expect(subcommands).toEqual(expect.arrayContaining(['keygen', 'verify']));
    for (const subcommand of subcommands) {
      const help = await runCli([subcommand, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: custodia ${subcommand}`);
    }
  });

  it('exits 2 on an unknown command or a missing option', async () => {
    expect((await runCli(['frobnicate'])).code).toBe(2);
    const missing = await runCli(['verify', '--data', '/tmp']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--genesis');
    // Nested subcommands exit alike.
    const nested = await runCli(['approval', 'approve', 'ab'.repeat(32), '--key', 'some.key']);
    expect(nested.code).toBe(2);
    expect(nested.stderr).toContain('--node');
    expect((await runCli(['approval', 'frobnicate'])).code).toBe(2);
    expect((await runCli(['epcis', 'validate'])).code).toBe(2);
  });

  it('keygen writes a 0600 key file that loads, and never overwrites one', async () => {
    const file = join(await newDirectory(), 'validator.key');
    const run = await runCli(['keygen', '--out', file, '--label', 'validator-0']);
    expect(run.code).toBe(0);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const loaded = await loadKeyFile(file);
    expect(loaded.ok && toHex(loaded.key.keyPair.publicKey)).toBe(run.stdout.trim());
    expect(loaded.ok && loaded.key.label).toBe('validator-0');
    const again = await runCli(['keygen', '--out', file]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');
  });

  it('verify prints a summary for a sound ledger and exits 0', async () => {
    const { chain, dataDirectory, genesisFile } = await writeStoredChain(await newDirectory(), 12);
    const run = await runCli(['verify', '--data', dataDirectory, '--genesis', genesisFile]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`chain ${chain.chainId} verified from genesis to height 12`);
    expect(run.stdout).toContain(chain.head.logRoot);
    const json = await runCli(['verify', '--data', dataDirectory, '--genesis', genesisFile, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, height: 12, transactions: 24, logRoot: chain.head.logRoot });
  });

  it('verify exits 1 naming the first bad height', async () => {
    const { dataDirectory, genesisFile } = await writeStoredChain(await newDirectory(), 10);
    const db = new ClassicLevel<string, string>(dataDirectory, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
    await db.open();
    const block = JSON.parse((await db.get(storeKeys.block(7)))!);
    block.header.timestamp += 1;
    await db.put(storeKeys.block(7), JSON.stringify(block));
    await db.close();
    const run = await runCli(['verify', '--data', dataDirectory, '--genesis', genesisFile]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^verification failed at height 7: /);
  });

  it('verify refuses a store built from another genesis, and a bad genesis file names the field', async () => {
    const directory = await newDirectory();
    const { dataDirectory } = await writeStoredChain(directory, 2);
    const other = await writeStoredChain(await newDirectory(), 1, { chain: new TestChain({ chainId: 'other' }) });
    const mismatch = await runCli(['verify', '--data', dataDirectory, '--genesis', other.genesisFile]);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toContain('height 0');

    const badGenesis = join(directory, 'bad-genesis.json');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(badGenesis, JSON.stringify({ chainId: 'Bad Chain', genesisTime: 0, validators: [] }));
    const bad = await runCli(['verify', '--data', dataDirectory, '--genesis', badGenesis]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('chainId');
    const missingData = await runCli(['verify', '--data', join(directory, 'nowhere'), '--genesis', other.genesisFile]);
    expect(missingData.code).toBe(2);
    expect(missingData.stderr).toContain('cannot open the store');
  });

  it('testnet writes standby validators that the genesis leaves out, with configs of their own', async () => {
    const directory = join(await newDirectory(), 'net');
    const run = await runCli(['testnet', '--validators', '5', '--genesis-validators', '4', '--dir', directory, '--base-port', '31000']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('1 on standby');
    const genesis = JSON.parse(await readFile(join(directory, 'genesis.json'), 'utf8')) as { validators: Array<{ id: string }> };
    expect(genesis.validators.map((validator) => validator.id)).toEqual(['validator-0', 'validator-1', 'validator-2', 'validator-3']);
    const standby = JSON.parse(await readFile(join(directory, 'validator-4', 'config.json'), 'utf8')) as { validatorId: string; peers: Array<{ id: string }> };
    expect(standby.validatorId).toBe('validator-4');
    expect(standby.peers.map((peer) => peer.id)).toEqual(['validator-0', 'validator-1', 'validator-2', 'validator-3']);
    const refused = await runCli(['testnet', '--validators', '5', '--genesis-validators', '3', '--dir', join(await newDirectory(), 'net')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--genesis-validators');
  });
});
