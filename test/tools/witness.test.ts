/**
 * `custodia witness --genesis FILE --log URL` across a validator-set change: it starts from the
 * genesis keys, and when the log's checkpoint comes signed by the next set it takes that set
 * from the log's hand-overs, each verified from the genesis keys — and nothing else: the old
 * set's signatures no longer count, and a keys document it cannot verify changes nothing.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyFile } from '../../ledger/files/key-file.js';
import { fromHex } from '../../ledger/encoding/hex.js';
import { BlockStore } from '../../ledger/store/block-store.js';
import { chainOrigin, formatCheckpointText, validatorKeyName, verifyCheckpoint } from '../../ledger/tlog/checkpoint.js';
import { signNoteText } from '../../ledger/tlog/note.js';
import { policyFromGenesisAndKeys } from '../../ledger/tlog/policy.js';
import { parseVerifierKey } from '../../ledger/tlog/verifier-keys.js';
import { formatAddCheckpoint } from '../../ledger/tlog/witness-request.js';
import { startWitness, type WitnessStart } from '../../tools/witness/start-witness.js';
import { writeStoredChain } from '../support/stored-chain.js';
import { TestChain } from '../support/test-chain.js';
import { startFakeLogNode, type FakeLogNode } from './support/fake-log-node.js';

const CHAIN_ID = 'custodia-witness-test';
let directory: string;
let chain: TestChain;
let store: BlockStore;
let node: FakeLogNode;
let witness: Extract<WitnessStart, { ok: true }>;
const infos: string[] = [];

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'custodia-witness-'));
  await mkdir(join(directory, 'chain'));
  chain = new TestChain({ chainId: CHAIN_ID });
  const written = await writeStoredChain(join(directory, 'chain'), 30, { chain, blockOptions: (height, writer) => (height === 20 ? { nextValidators: writer.newValidators('next') } : {}) });
  const opened = await BlockStore.open({ directory: written.dataDirectory, genesis: chain.genesis, genesisWrites: chain.genesisWrites });
  if (!opened.ok) throw new Error(opened.message);
  store = opened.store;
  node = await startFakeLogNode(chain, store);
  await generateKeyFile(join(directory, 'witness.key'), 'w');
  const started = await startWitness({
    logs: [node.url],
    genesisFile: written.genesisFile,
    keyFile: join(directory, 'witness.key'),
    stateDirectory: join(directory, 'state'),
    listen: { host: '127.0.0.1', port: 0 },
    logger: { info: (line) => infos.push(line), warn: (line) => infos.push(line) },
  });
  if (!started.ok) throw new Error(started.message);
  witness = started;
}, 60_000);

afterAll(async () => {
  await witness?.close();
  await node?.close();
  await store?.close();
  await rm(directory, { recursive: true, force: true });
});

async function add(checkpoint: string, oldSize = 0) {
  const answer = await fetch(`${witness.url}/add-checkpoint`, { method: 'POST', body: formatAddCheckpoint({ oldSize, proof: [], checkpoint }) });
  return { status: answer.status, text: await answer.text() };
}

describe('a witness anchored at the genesis', () => {
  it('cosigns the checkpoint of the set the verified hand-over names, and then refuses the old set’s', async () => {
    const served = await (await fetch(`${node.url}/tlog/checkpoint`)).text();
    const answer = await add(served);
    expect(answer.status).toBe(200);
    const keys = policyFromGenesisAndKeys(await (await fetch(`${node.url}/tlog/keys`)).json(), CHAIN_ID, chain.validators);
    const cosigner = parseVerifierKey(witness.vkey);
    if (!keys.ok || !cosigner.ok) throw new Error('setup');
    expect(verifyCheckpoint(served + answer.text, { ...keys.policy, cosigners: { verifiers: [cosigner.verifier], threshold: 1 } }).ok).toBe(true);
    expect(infos.some((line) => line.startsWith(`the policy of ${chainOrigin(CHAIN_ID)} was refreshed`))).toBe(true);

    // The genesis set's quorum, signing the same tree after its hand-over: not the log's keys any more.
    const head = store.head();
    const text = formatCheckpointText({ origin: chainOrigin(CHAIN_ID), size: head.logSize, rootHash: fromHex(head.logRoot) });
    const byOldSet = `${text}\n${[0, 1, 2].map((index) => signNoteText(text, validatorKeyName(chainOrigin(CHAIN_ID), `validator-${index}`), chain.validatorKeys[index]!.seed, chain.validatorKeys[index]!.publicKey)).join('')}`;
    expect((await add(byOldSet, head.logSize)).status).toBe(403);
  });
});
