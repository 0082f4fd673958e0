/**
 * The auditor that watches (tools/audit/, `custodia audit`), against stand-in validators that
 * serve real stores through the real C2SP routes with checkpoints signed by the chain's own
 * validator keys: an honest log of 280 entries (so the tiles have two levels), the same log with
 * one result rewritten in its store, and a fork that shares the first 100 blocks and then
 * diverges, signed by a quorum of the very same keys.
 */
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryMerkleLog } from '../../ledger/merkle/index.js';
import { ledgerEntryBytes } from '../../ledger/model/ledger-entry.js';
import { rejected } from '../../ledger/model/result.js';
import { BlockStore } from '../../ledger/store/block-store.js';
import { ledgerEntriesInRange } from '../../ledger/store/log-entries.js';
import { storeKeys } from '../../ledger/store/keys.js';
import { tileNodes } from '../../ledger/tlog/tiles.js';
import { auditOnce, STATE_FILE } from '../../tools/audit/auditor.js';
import { watch } from '../../tools/audit/watch.js';
import { runCli } from '../support/run-cli.js';
import { writeStoredChain } from '../support/stored-chain.js';
import { TestChain } from '../support/test-chain.js';
import { startFakeLogNode, type FakeLogNode } from './support/fake-log-node.js';

const CHAIN_ID = 'custodia-audit-test';
const BLOCKS = 140;
const FORK_AT = 100;

let directory: string;
let honest: BlockStore;
let tampered: BlockStore;
let fork: BlockStore;
let chain: TestChain;
let genesisFile: string;
const nodes: FakeLogNode[] = [];

async function openStore(dataDirectory: string, tailBlocksChecked?: number): Promise<BlockStore> {
  const opened = await BlockStore.open({ directory: dataDirectory, genesis: chain.genesis, genesisWrites: chain.genesisWrites, ...(tailBlocksChecked === undefined ? {} : { tailBlocksChecked }) });
  if (!opened.ok) throw new Error(opened.message);
  return opened.store;
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'custodia-audit-'));
  for (const name of ['honest', 'fork', 'shorter']) await mkdir(join(directory, name));
  const written = await writeStoredChain(join(directory, 'honest'), BLOCKS, { chain: new TestChain({ chainId: CHAIN_ID }) });
  chain = written.chain;
  genesisFile = written.genesisFile;
  // The fork: the same keys, the same first blocks, then other results (a rewritten history a quorum signs).
  const forked = await writeStoredChain(join(directory, 'fork'), BLOCKS + 10, {
    chain: new TestChain({ chainId: CHAIN_ID }),
    blockOptions: (height) => (height > FORK_AT ? { results: [rejected('forged', 'another history'), rejected('forged', 'another history')] } : {}),
  });
  expect(forked.genesisFile).toBeDefined();
  // The tampered store: a copy of the honest one with block 7's results rewritten in place (its Merkle nodes untouched).
  await cp(written.dataDirectory, join(directory, 'tampered'), { recursive: true });
  const raw = new ClassicLevel<string, string>(join(directory, 'tampered'), { valueEncoding: 'utf8' });
  await raw.put(storeKeys.results(7), JSON.stringify([rejected('tampered', 'rewritten after the fact'), { status: 'accepted' }]));
  await raw.close();
  honest = await openStore(written.dataDirectory);
  fork = await openStore(forked.dataDirectory);
  // Opened without its tail check, as a store is that was changed under a running validator.
  tampered = await openStore(join(directory, 'tampered'), 0);
}, 120_000);

afterAll(async () => {
  for (const node of nodes) await node.close();
  for (const store of [honest, tampered, fork]) await store?.close();
  await rm(directory, { recursive: true, force: true });
});

async function fakeNode(store: BlockStore, signers?: number[]): Promise<FakeLogNode> {
  const node = await startFakeLogNode(chain, store, signers);
  nodes.push(node);
  return node;
}

let stateCount = 0;
async function stateDirectory(): Promise<string> {
  return mkdtemp(join(directory, `state-${stateCount++}-`));
}

const options = (nodeUrls: string[], state: string, sample: number | 'all' = 'all') => ({
  nodes: nodeUrls,
  validators: chain.validators,
  chainId: CHAIN_ID,
  stateDirectory: state,
  sample,
});

describe('the log as tiles', () => {
  it('serves entries that hash to the stored leaves, and level-1 tiles that are the roots of full level-0 tiles', async () => {
    const size = honest.head().logSize;
    expect(size).toBe(2 * BLOCKS);
    const entries = [...(await ledgerEntriesInRange(honest, 0, 256)), ...(await ledgerEntriesInRange(honest, 256, size))];
    const mirror = new MemoryMerkleLog();
    for (const entry of entries) mirror.append(ledgerEntryBytes(entry));
    expect(Buffer.from(mirror.root()).toString('hex')).toBe(honest.head().logRoot);
    const hex = (hashes: Uint8Array[]) => hashes.map((hash) => Buffer.from(hash).toString('hex'));
    expect(hex(await honest.merkleNodeHashes(tileNodes(0, 1, size - 256)))).toEqual(hex(Array.from({ length: size - 256 }, (_, offset) => mirror.lookup({ level: 0, index: 256 + offset }))));
    expect(hex(await honest.merkleNodeHashes(tileNodes(1, 0, 1)))).toEqual(hex([mirror.root(256)]));
  });
});

describe('custodia audit', () => {
  it('verifies the honest log, keeps the checkpoint, and finds nothing new on the next run', async () => {
    const node = await fakeNode(honest);
    const state = await stateDirectory();
    const first = await auditOnce(options([node.url], state));
    expect(first).toMatchObject({ ok: true, previousSize: 0, entriesChecked: 2 * BLOCKS, entriesRechecked: 0, checkpoint: { size: 2 * BLOCKS } });
    expect(JSON.parse(await readFile(join(state, STATE_FILE), 'utf8'))).toMatchObject({ size: 2 * BLOCKS, origin: `custodia.tlog/${CHAIN_ID}` });
    expect(await auditOnce(options([node.url], state))).toMatchObject({ ok: true, previousSize: 2 * BLOCKS, entriesChecked: 0 });
  });

  it('alarms on a checkpoint fewer than a quorum signed', async () => {
    const node = await fakeNode(honest, [0, 1]);
    expect(await auditOnce(options([node.url], await stateDirectory()))).toMatchObject({ ok: false, alarms: [{ kind: 'bad-checkpoint' }] });
  });

  it('alarms when two validators serve different logs', async () => {
    const [good, bad] = [await fakeNode(honest), await fakeNode(fork)];
    const result = await auditOnce(options([good.url, bad.url], await stateDirectory(), 4));
    expect(result).toMatchObject({ ok: false, alarms: [{ kind: 'split-view', node: good.url }] });
  });

  it('alarms when every node serves less than the checkpoint verified before', async () => {
    const node = await fakeNode(honest);
    const state = await stateDirectory();
    expect((await auditOnce(options([node.url], state, 4))).ok).toBe(true);
    const shorter = await writeStoredChain(join(directory, 'shorter'), 3, { chain: new TestChain({ chainId: CHAIN_ID }) });
    const store = await openStore(shorter.dataDirectory);
    try {
      node.serve(store);
      expect(await auditOnce(options([node.url], state, 4))).toMatchObject({ ok: false, alarms: [{ kind: 'rollback' }] });
    } finally {
      node.serve(honest);
      await store.close();
    }
  });

  it('--follow catches a store whose entry was rewritten, and posts the alarm to the webhook', async () => {
    const node = await fakeNode(honest);
    const posted: unknown[] = [];
    const webhook: Server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        posted.push(JSON.parse(body));
        response.end();
      });
    });
    await new Promise<void>((done) => webhook.listen(0, '127.0.0.1', done));
    const lines: string[] = [];
    try {
      const code = await watch({
        ...options([node.url], await stateDirectory(), 4),
        recheck: 'all',
        follow: true,
        intervalMs: 10,
        webhook: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/alarm`,
        log: (line) => {
          lines.push(line);
          // After the first verified round the validator's store is tampered with.
          node.serve(tampered);
        },
        warn: (line) => lines.push(line),
      });
      expect(code).toBe(1);
      expect(lines[0]).toMatch(/^ok: /);
      expect(lines.some((line) => line.startsWith('ALARM rewritten-entry') && line.includes('entry 12 '))).toBe(true);
      expect(posted).toEqual([expect.objectContaining({ alarm: true, origin: `custodia.tlog/${CHAIN_ID}`, alarms: expect.arrayContaining([expect.objectContaining({ kind: 'rewritten-entry' })]) })]);
    } finally {
      await new Promise<void>((done) => webhook.close(() => done()));
    }
  });

  it('--follow catches a validator that starts serving a fork signed by a quorum of the same keys', async () => {
    const node = await fakeNode(honest);
    const lines: string[] = [];
    const code = await watch({
      ...options([node.url], await stateDirectory(), 8),
      follow: true,
      intervalMs: 10,
      log: (line) => {
        lines.push(line);
        node.serve(fork);
      },
      warn: (line) => lines.push(line),
    });
    expect(code).toBe(1);
    expect(lines.find((line) => line.startsWith('ALARM'))).toMatch(/^ALARM fork: .* does not extend the one verified before \(size 280\)/);
  });

  it('follows a validator-set change from the genesis keys through the verified hand-over, and refuses the old set’s signatures after it', async () => {
    const epochChain = new TestChain({ chainId: CHAIN_ID });
    await mkdir(join(directory, 'epochs'));
    const written = await writeStoredChain(join(directory, 'epochs'), 30, { chain: epochChain, blockOptions: (height, writer) => (height === 20 ? { nextValidators: writer.newValidators('next') } : {}) });
    const store = await openStore(written.dataDirectory);
    try {
      const node = await startFakeLogNode(epochChain, store);
      nodes.push(node);
      const result = await auditOnce(options([node.url], await stateDirectory()));
      expect(result).toMatchObject({ ok: true, entriesChecked: 60, warnings: [] });
      // The genesis set's quorum signing after it handed over: not the set that signs now.
      const stale = await startFakeLogNode(epochChain, store, [0, 1, 2], epochChain.epochs[0]);
      nodes.push(stale);
      expect(await auditOnce(options([stale.url], await stateDirectory()))).toMatchObject({ ok: false, alarms: [{ kind: 'bad-checkpoint', message: expect.stringContaining('no verifiable signatures') }] });
    } finally {
      await store.close();
    }
  });

  it('as a command: after a verified round, exit 1 and an ALARM line when the node serves the fork', async () => {
    const node = await fakeNode(honest);
    const state = await stateDirectory();
    const lines: string[] = [];
    expect(await watch({ ...options([node.url], state, 4), follow: false, intervalMs: 10, log: (line) => lines.push(line), warn: (line) => lines.push(line) })).toBe(0);
    expect(lines).toEqual([expect.stringMatching(/^ok: custodia\.tlog\/custodia-audit-test size 280 /)]);
    node.serve(fork);
    const alarm = await runCli(['audit', '--node', node.url, '--genesis', genesisFile, '--state', state]);
    expect(alarm.stderr).toMatch(/ALARM fork: /);
    expect(alarm.code).toBe(1);
  });
});
