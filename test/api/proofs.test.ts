/**
 * Proof endpoints against a real validator (issue 6; docs/encoding.md sections 5-7 and 12):
 * a transaction proof checks offline with the RFC 9162 verifier and the quorum certificate
 * verifier against the genesis validator keys (and with ledger/verify/proof.ts), the party rule
 * applies to it, a proof asked for right after its commit is 409 until a certified header covers
 * it; consistency proofs between log sizes verify against certified headers' roots. State proofs
 * (docs/encoding.md section 16) prove a lot's custody record, a recall and a key's absence against
 * a certified state root, checked offline with ledger/verify/state-proof.ts, and follow the read
 * rule of the records they reveal.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransactionProof } from '../../api/client.js';
import { liveEventBuilders } from '../../api/epcis-builders.js';
import { fromHex } from '../../ledger/encoding/hex.js';
import { verifyConsistency, verifyInclusion } from '../../ledger/merkle/index.js';
import { blockHash } from '../../ledger/model/block.js';
import { verifyQuorumCertificate } from '../../ledger/model/certificate.js';
import { ledgerEntryLeafHash } from '../../ledger/model/ledger-entry.js';
import { transactionId } from '../../ledger/model/transaction.js';
import type { ValidatorSet } from '../../ledger/model/validator-set.js';
import { readGenesisFile } from '../../ledger/files/genesis-file.js';
import { verifyTransactionProof } from '../../ledger/verify/proof.js';
import { verifyStateProof } from '../../ledger/verify/state-proof.js';
import { CHAIN_ID, get, startApiNode, TOKENS, type ApiNode } from './support/api-node.js';

let node: ApiNode;
let validators: ValidatorSet;

beforeAll(async () => {
  node = await startApiNode();
  const genesis = await readGenesisFile(node.genesisFile);
  if (!genesis.ok) throw new Error(genesis.message);
  validators = genesis.validators;
}, 60_000);

afterAll(async () => {
  await node?.close();
});

describe('the genesis endpoint', () => {
  it('serves the genesis the node runs, with a hash that matches the auditor\'s own copy', async () => {
    const own = await readGenesisFile(node.genesisFile);
    if (!own.ok) throw new Error(own.message);
    const served = await get(`${node.url}/v1/genesis`);
    expect(served.status).toBe(200);
    expect(served.body).toEqual({ hash: own.hash, genesis: JSON.parse(JSON.stringify(own.genesis)) });
  });
});

async function expectError(path: string, status: number, code: string, field: string, token: string | null = TOKENS.regulator) {
  const response = await get(`${node.url}${path}`, token ?? undefined);
  expect(response.status, response.text).toBe(status);
  expect(response.body).toEqual({ code, message: expect.any(String), path: field });
  return response;
}

describe('GET /v1/proofs/transactions/:id', () => {
  it('proves a committed transaction against a quorum-certified checkpoint, checkable offline', async () => {
    const proof = await node.as('regulator').waitForTransactionProof(node.demo.recallId);
    expect(proof.format).toBe('custodia-transaction-proof/1');
    expect(proof.chainId).toBe(CHAIN_ID);
    expect(transactionId(proof.transaction.body)).toBe(node.demo.recallId);
    expect(proof.entry).toMatchObject({ txId: node.demo.recallId, result: { status: 'accepted' } });
    const { header, certificate } = proof.checkpoint;
    expect(header.ledgerHeight).toBeGreaterThanOrEqual(proof.entry.height);
    expect(proof.inclusion.logSize).toBe(header.logSize);
    expect(proof.inclusion.leafIndex).toBeLessThan(header.logSize);
    const included = verifyInclusion(ledgerEntryLeafHash(proof.entry), proof.inclusion.leafIndex, proof.inclusion.logSize, proof.inclusion.path.map(fromHex), fromHex(header.logRoot));
    expect(included).toEqual({ ok: true });
    expect(certificate.vote.blockHash).toBe(blockHash(header));
    expect(verifyQuorumCertificate(certificate, validators, CHAIN_ID)).toEqual({ ok: true });
    expect(verifyTransactionProof(proof, CHAIN_ID, validators)).toMatchObject({ ok: true, txId: node.demo.recallId, epoch: 0 });
    // The genesis set never changed on this chain: no hand-overs to follow.
    expect(proof.epochChanges).toEqual([]);
  });

  it('yields a proof that fails offline once altered', async () => {
    const proof = await node.as('regulator').waitForTransactionProof(node.extras.farmTransactionId);
    const forged: TransactionProof = { ...proof, entry: { ...proof.entry, result: { status: 'rejected', code: 'not-in-possession', message: 'forged' } } };
    expect(verifyTransactionProof(forged, CHAIN_ID, validators)).toMatchObject({ ok: false, step: 'inclusion' });
    const otherPath = { ...proof, inclusion: { ...proof.inclusion, path: proof.inclusion.path.map((hash) => hash.replace(/^./, (digit) => (digit === '0' ? '1' : '0'))) } };
    expect(verifyTransactionProof(otherPath, CHAIN_ID, validators)).toMatchObject({ ok: false, step: 'inclusion' });
  });

  it('answers 409 not-yet-checkpointed right after a commit, and the proof once a checkpoint covers it', async () => {
    const client = node.client();
    const events = liveEventBuilders();
    let refusal: Awaited<ReturnType<typeof get>> | undefined;
    let id = '';
    // The header of a block describes the ledger as of an earlier height, so the block that
    // commits a transaction never covers it: asking at once almost always finds no checkpoint.
    for (let attempt = 0; attempt < 10 && refusal === undefined; attempt++) {
      const transaction = client.transaction('epcis.capture', events.capture(events.commissionLot(`urn:epc:class:lgtin:0614141.0012345.PROOF${attempt}`, 1)), [node.signers['farm']!]);
      id = client.idOf(transaction);
      expect((await client.submit(transaction, { wait: true })).status).toBe('committed');
      const response = await get(`${node.url}/v1/proofs/transactions/${id}`, TOKENS.farm);
      if (response.status === 409) refusal = response;
      else expect(response.status).toBe(200);
    }
    expect(refusal?.body).toEqual({ code: 'not-yet-checkpointed', message: expect.any(String), path: 'id' });
    expect(refusal?.headers.get('retry-after')).toBe('1');
    const proof = await node.as('farm').waitForTransactionProof(id);
    expect(verifyTransactionProof(proof, CHAIN_ID, validators)).toMatchObject({ ok: true, txId: id });
  });

  it('proves to the parties of a transaction and refuses others (403)', async () => {
    // The retailer is the destination of the farm's shipment recorded by that transaction.
    expect((await node.as('retailer').waitForTransactionProof(node.extras.farmTransactionId)).entry.txId).toBe(node.extras.farmTransactionId);
    expect((await node.as('retailer').waitForTransactionProof(node.extras.receiptTransactionId)).entry.txId).toBe(node.extras.receiptTransactionId);
    await expectError(`/v1/proofs/transactions/${node.demo.recallId}`, 403, 'not-a-party', 'id', TOKENS.farm);
    await expectError(`/v1/proofs/transactions/${node.extras.farmTransactionId}`, 403, 'not-a-party', 'id', TOKENS.carrier);
  });

  it('answers 404 for an unknown transaction, 400 for a malformed id, 401 without a credential', async () => {
    await expectError(`/v1/proofs/transactions/${'a'.repeat(64)}`, 404, 'not-found', 'id');
    await expectError('/v1/proofs/transactions/ABC', 400, 'bad-parameter', 'id');
    await expectError(`/v1/proofs/transactions/${node.demo.recallId}`, 401, 'credential-required', 'authorization', null);
  });
});

describe('GET /v1/proofs/consistency', () => {
  it('proves that a later certified log extends an earlier one', async () => {
    const head = (await get(`${node.url}/v1/ledger/head`)).body;
    const later = head.checkpoint.header as { logSize: number; logRoot: string };
    const blocks = (await node.client().blocks({ from: 1, limit: 100 })).blocks;
    const earlier = blocks.map((block) => block.header).find((header) => header.logSize >= 2 && header.logSize < later.logSize)!;
    const proof = await node.client().consistencyProof(earlier.logSize, later.logSize);
    expect(proof).toMatchObject({ from: earlier.logSize, to: later.logSize, fromRoot: earlier.logRoot, toRoot: later.logRoot });
    expect(verifyConsistency(proof.from, proof.to, fromHex(proof.fromRoot), fromHex(proof.toRoot), proof.path.map(fromHex))).toEqual({ ok: true });
    const same = await node.client().consistencyProof(later.logSize, later.logSize);
    expect(same.path).toEqual([]);
    const tampered = verifyConsistency(proof.from, proof.to, fromHex(proof.fromRoot), fromHex(earlier.logRoot === proof.toRoot ? later.logRoot : earlier.logRoot), proof.path.map(fromHex));
    expect(tampered.ok).toBe(false);
  });

  it('refuses sizes out of order, zero, beyond the log or missing', async () => {
    const logSize = (await get(`${node.url}/v1/ledger/head`)).body.ledger.logSize as number;
    await expectError('/v1/proofs/consistency?from=3&to=2', 400, 'bad-query', 'to', null);
    await expectError('/v1/proofs/consistency?from=0&to=2', 400, 'bad-query', 'from', null);
    await expectError('/v1/proofs/consistency?from=1', 400, 'bad-query', 'to', null);
    await expectError(`/v1/proofs/consistency?from=1&to=${logSize + 1000}`, 409, 'beyond-log', 'to', null);
  });
});

describe('GET /v1/proofs/state/:key', () => {
  it('proves a lot’s custody record, a recall and a key never written, at the height a certified header states, checkable offline', async () => {
    const lotKey = `lot/${node.demo.saladLot}`;
    const lot = await node.as('retailer').stateProof(lotKey);
    expect(lot).toMatchObject({ format: 'custodia-state-proof/1', chainId: CHAIN_ID, key: lotKey });
    expect(lot.height).toBe(lot.checkpoint.header.ledgerHeight);
    const verdict = verifyStateProof(lot, CHAIN_ID, validators);
    expect(verdict).toMatchObject({ ok: true, present: true, height: lot.height, checkpointHeight: lot.checkpoint.header.height, epoch: 0 });
    // The demo is over: the value is the record the node holds now, the salad's recall included.
    expect(verdict.ok && verdict.value).toEqual(await node.validator.store.getState(lotKey));
    expect(verdict.ok && (verdict.value as { recalls: string[] }).recalls).toContain(node.demo.recallId);

    // A recall is a public safety notice: the farm reads it; and a recall never issued is proven absent.
    const recall = await node.as('farm').verifyStateProof(`recall/${node.demo.recallId}`, { chainId: CHAIN_ID, validators });
    expect(recall).toMatchObject({ ok: true, present: true });
    const never = await node.as('farm').verifyStateProof(`recall/${'0'.repeat(64)}`, { chainId: CHAIN_ID, validators });
    expect(never).toMatchObject({ ok: true, present: false, value: null });
    // What the node served, altered, does not verify.
    expect(verifyStateProof({ ...lot, value: { ...(lot.value as object), recalls: [] } }, CHAIN_ID, validators)).toMatchObject({ ok: false, step: 'state' });
  });

  it('follows the read rule of the record it reveals, and refuses malformed keys', async () => {
    const lot = `/v1/proofs/state/${encodeURIComponent(`lot/${node.demo.saladLot}`)}`;
    // The farm grew the lettuce, never held the salad: not a party to it.
    await expectError(lot, 403, 'not-a-party', 'key', TOKENS.farm);
    const participant = `/v1/proofs/state/${encodeURIComponent(`participant/${node.participantId('farm')}`)}`;
    await expectError(participant, 403, 'not-a-party', 'key', TOKENS.retailer);
    expect((await get(`${node.url}${participant}`, TOKENS.regulator)).status).toBe(200);
    await expectError(lot, 401, 'credential-required', 'authorization', null);
    await expectError('/v1/proofs/state/item%2F%01', 400, 'bad-parameter', 'key');
    await expectError(`/v1/proofs/state/${'k'.repeat(513)}`, 400, 'bad-parameter', 'key');
  });
});
