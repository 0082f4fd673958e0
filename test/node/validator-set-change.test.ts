/**
 * A validator-set change on real processes (issue 4, governance): four validators run from
 * genesis; two admins approve adding a fifth; at the scheduled height every validator switches
 * to the five-member set; the newcomer, started with an empty ledger, catches up as an observer
 * and then votes, so that the chain keeps committing with one of the original four stopped.
 * Another original validator is stopped across the hand-over and catches up through it from
 * its peers' ledgers and hand-over proofs.
 * Afterwards every data directory passes `custodia verify` and a transaction proof checks
 * against the genesis keys alone, through the recorded hand-over.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGenesis } from '../../ledger/model/genesis.js';
import type { BlockHeader } from '../../ledger/model/block.js';
import type { QuorumCertificate } from '../../ledger/model/certificate.js';
import { readFile } from 'node:fs/promises';
import { LocalNetwork } from './support/local-network.js';

const run = promisify(execFile);
const binary = fileURLToPath(new URL('../../tools/bin/custodia.mjs', import.meta.url));
const NEWCOMER = 4;
/** Stopped before the hand-over, restarted after it. */
const ABSENT = 3;

let network: LocalNetwork;

beforeAll(async () => {
  network = await LocalNetwork.create(5, { genesisValidators: 4 });
}, 90_000);

afterAll(async () => {
  await network?.close();
});

interface BlockView {
  hash: string;
  header: BlockHeader;
  certificate: QuorumCertificate;
}

async function blockAt(index: number, height: number): Promise<BlockView> {
  const response = await fetch(`${network.layout.apiUrls[index]}/v1/blocks/${height}`);
  if (!response.ok) throw new Error(`validator-${index} has no block ${height}`);
  return (await response.json()) as BlockView;
}

/** Commits events through one validator; returns their ids and the highest height they landed at. */
async function commitEvents(index: number, count: number): Promise<{ ids: string[]; height: number }> {
  const client = network.client(index);
  const transactions = Array.from({ length: count }, () => network.commissioningTransaction(client));
  const statuses = await Promise.all(transactions.map((transaction) => client.submit(transaction, { wait: true, timeoutMs: 60_000 })));
  expect(statuses.map((status) => status.status)).toEqual(statuses.map(() => 'committed'));
  const heights = statuses.map((status) => ('height' in status ? status.height : 0));
  return { ids: transactions.map((transaction) => client.idOf(transaction)), height: Math.max(...heights) };
}

describe('a governed validator-set change on a live network', () => {
  let effectiveHeight = 0;

  it('schedules the change after two admins approve it', async () => {
    network.start(NEWCOMER);
    const client = network.client(0);
    const [admin1, admin2] = await Promise.all([network.signer('admin1'), network.signer('admin2')]);
    // The change must be approved at least 10 blocks before it takes effect; the request and the two approvals commit meanwhile.
    effectiveHeight = (await client.head()).height + 25;
    const validators = network.layout.validators;
    const request = client.transaction(
      'approval.request',
      {
        action: { type: 'governance.set-validators', payload: { validators, effectiveHeight } },
        policy: { ordered: false, stages: [{ required: 2, approvers: [{ role: 'admin' }] }] },
        deadline: Date.now() + 3_600_000,
      },
      [admin1],
    );
    expect((await client.submit(request, { wait: true, timeoutMs: 30_000 })).status).toBe('committed');
    const requestId = client.idOf(request);
    const approvals = [admin1, admin2].map((admin) => client.transaction('approval.approve', { requestId }, [admin]));
    const statuses = await Promise.all(approvals.map((approval) => client.submit(approval, { wait: true, timeoutMs: 30_000 })));
    expect(statuses.map((status) => status.status)).toEqual(['committed', 'committed']);
    expect(await client.withCredential({ token: network.layout.auditorReadToken }).approval(requestId)).toMatchObject({ status: 'executed' });
    expect(await network.height(0)).toBeLessThan(effectiveHeight - 10);
    await network.stop(ABSENT);
  });

  it('switches every validator to the new set at the scheduled height, the newcomer and a validator that was down across it included', async () => {
    const present = network.indices().filter((index) => index !== ABSENT);
    const pastHandOver = (indices: number[]) => async () => (await Promise.all(indices.map((index) => network.height(index)))).every((height) => height >= effectiveHeight + 5);
    await network.waitUntil(pastHandOver(present), 120_000, 'the running validators past the hand-over');
    network.start(ABSENT);
    await network.waitUntil(pastHandOver([ABSENT]), 120_000, `validator-${ABSENT} caught up through the hand-over`);
    const handOver = await Promise.all(network.indices().map((index) => blockAt(index, effectiveHeight - 1)));
    expect(new Set(handOver.map((block) => block.hash)).size).toBe(1);
    expect(handOver[0]!.header.nextValidators).toEqual(network.layout.validators);
    const before = await blockAt(0, effectiveHeight - 2);
    expect(before.header.nextValidators).toBeUndefined();
    expect(before.certificate.signatures.map((signature) => signature.validator)).not.toContain(`validator-${NEWCOMER}`);
    const first = await Promise.all(network.indices().map((index) => blockAt(index, effectiveHeight)));
    expect(new Set(first.map((block) => block.hash)).size).toBe(1);
    expect(first[0]!.header.prevHash).toBe(handOver[0]!.hash);
    // Four of five sign each certificate from here on.
    expect(first[0]!.certificate.signatures.length).toBeGreaterThanOrEqual(4);
  });

  it('keeps committing with one of the original four stopped: the newcomer\'s votes make the quorum', async () => {
    await network.stop(1);
    const { height } = await commitEvents(NEWCOMER, 5);
    // The block holding them was proposed after validator-1 stopped: a quorum of 4 of 5 without it.
    await network.waitUntil(async () => (await network.height(0)) >= height, 30_000, `validator-0 at height ${height}`);
    const signers = (await blockAt(0, height)).certificate.signatures.map((signature) => signature.validator);
    expect(signers).toContain(`validator-${NEWCOMER}`);
    expect(signers).not.toContain('validator-1');
  });

  it('leaves data that custodia verify accepts, and a proof that checks against the genesis keys through the hand-over', async () => {
    const client = network.client(0).withCredential({ token: network.layout.auditorReadToken });
    const {
      ids: [txId],
    } = await commitEvents(0, 1);
    const genesis = loadGenesis(JSON.parse(await readFile(network.layout.genesisFile, 'utf8')));
    if (!genesis.ok) throw new Error(genesis.message);
    await client.waitForTransactionProof(txId!);
    const verdict = await client.verifyTransaction(txId!, { chainId: genesis.genesis.chainId, validators: genesis.validators });
    expect(verdict).toMatchObject({ ok: true, epoch: 1, validatorCount: 5 });

    for (const index of network.indices()) await network.stop(index);
    for (const index of network.indices()) {
      const { stdout } = await run(process.execPath, [binary, 'verify', '--data', join(network.layout.configFiles[index]!, '..', 'data', 'ledger'), '--genesis', network.layout.genesisFile, '--json']);
      const report = JSON.parse(stdout) as { ok: boolean; epoch?: number };
      expect(report, `validator-${index}`).toMatchObject({ ok: true, epoch: 1 });
    }
  });
});
