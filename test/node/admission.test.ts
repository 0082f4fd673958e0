/**
 * Admission (issue 10, docs/security.md "Admission"): nothing from an outsider reaches a mempool,
 * a relay, a block or the disk. Strangers and impostors are refused before their signatures are
 * even checked; a follower refuses a leader's block that carries one; a leader never proposes a
 * pending transaction that governance has since made inadmissible.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { transactionRoot, type BlockHeader } from '../../ledger/model/block.js';
import { signTransaction, transactionId, type Transaction } from '../../ledger/model/transaction.js';
import { BlockStore } from '../../ledger/store/block-store.js';
import { admissionRefusal, proposalRefusal } from '../../contracts/admission.js';
import { executeBlock } from '../../contracts/executor.js';
import { genesisWrites, type Participant } from '../../contracts/participants.js';
import { LedgerApplication } from '../../node/ledger-application.js';
import { silentLogger } from '../../node/logger.js';
import { Mempool } from '../../node/mempool.js';
import { decodeReferencePayload, encodePayload, encodeReferencePayload, referenceOf } from '../../node/payload.js';
import { TransactionService } from '../../node/transactions.js';
import { CHAIN_ID, PARTIES, testConsortium } from '../contracts/support/harness.js';
import { keyFor, TestChain } from '../support/test-chain.js';
import { temporaryDirectories } from '../support/temp-dir.js';

const temporaryDirectory = temporaryDirectories('admission');
const consortium = testConsortium();
const STRANGER = 'urn:epc:id:pgln:0999999.00001';

function signed(type: string, signers: Array<{ participant: string; seedName: string }>, payload: JsonValue = { note: 'x' }, nonce = Math.random().toString(36)): Transaction {
  const entries = signers.map((signer) => ({ participant: signer.participant, ...keyFor(signer.seedName) }));
  return signTransaction({ chainId: CHAIN_ID, type, signers: entries.map((entry) => entry.participant), nonce, payload }, entries);
}
const farm = { participant: PARTIES.farm.id, seedName: PARTIES.farm.id };
const stranger = { participant: STRANGER, seedName: STRANGER };
const impostor = { participant: PARTIES.farm.id, seedName: 'not the farm key' };

function lookupWith(changes: Record<string, (participant: Participant) => Participant> = {}) {
  const participants = new Map(consortium.participants.map((participant) => [participant.id, changes[participant.id]?.(participant) ?? participant]));
  return (id: string) => participants.get(id);
}

describe('the admission rules', () => {
  it('admit registered, active participants signing with active keys, for a type a contract takes directly', () => {
    const lookup = lookupWith();
    expect(admissionRefusal(signed('epcis.capture', [farm]), lookup)).toBeUndefined();
    expect(admissionRefusal(signed('epcis.capture', [stranger]), lookup)).toMatchObject({ code: 'unknown-participant' });
    expect(admissionRefusal(signed('epcis.capture', [impostor]), lookup)).toMatchObject({ code: 'unknown-key' });
    expect(admissionRefusal(signed('epcis.capture', [farm, stranger]), lookup)).toMatchObject({ code: 'unknown-participant' });
    expect(admissionRefusal(signed('lot.teleport', [farm]), lookup)).toMatchObject({ code: 'unknown-transaction-type' });
    expect(admissionRefusal(signed('governance.add-participant', [farm]), lookup)).toMatchObject({ code: 'approval-required' });
  });

  it('refuse a removed participant and a revoked key at admission, but not in a proposed block, where only never-registered keys are refused', () => {
    const removed = lookupWith({ [PARTIES.farm.id]: (participant) => ({ ...participant, status: 'removed' }) });
    const revoked = lookupWith({ [PARTIES.farm.id]: (participant) => ({ ...participant, keys: participant.keys.map((key) => ({ ...key, status: 'revoked' as const })) }) });
    const transaction = signed('epcis.capture', [farm]);
    expect(admissionRefusal(transaction, removed)).toMatchObject({ code: 'participant-inactive' });
    expect(admissionRefusal(transaction, revoked)).toMatchObject({ code: 'revoked-key' });
    // Governance may change between admission and commit; execution decides those. Registration is never undone.
    expect(proposalRefusal(transaction, removed)).toBeUndefined();
    expect(proposalRefusal(transaction, revoked)).toBeUndefined();
    expect(proposalRefusal(signed('epcis.capture', [stranger]), removed)).toMatchObject({ code: 'unknown-participant' });
    expect(proposalRefusal(signed('epcis.capture', [impostor]), removed)).toMatchObject({ code: 'unknown-key' });
    expect(proposalRefusal(signed('no.such-type', [farm]), removed)).toMatchObject({ code: 'unknown-transaction-type' });
  });
});

/** An EPCIS document commissioning lot `lot` of the farm's own product: valid, and accepted by the capture contract. */
function captureDocument(lot: string): JsonValue {
  return {
    '@context': 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld',
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: '2026-03-01T08:00:00.000Z',
    epcisBody: { eventList: [{ type: 'ObjectEvent', eventTime: '2026-03-01T08:00:00.000Z', eventTimeZoneOffset: '+00:00', action: 'ADD', quantityList: [{ epcClass: `urn:epc:class:lgtin:${PARTIES.farm.id.split(':')[4]!.split('.')[0]}.107346.${lot}`, quantity: 5 }] }] },
  };
}

async function openApplication() {
  const chain = new TestChain({ chainId: CHAIN_ID, genesisWrites: genesisWrites(consortium) });
  const opened = await BlockStore.open({ directory: join(await temporaryDirectory(), 'ledger'), genesis: chain.genesis, genesisWrites: chain.genesisWrites });
  if (!opened.ok) throw new Error(opened.message);
  const mempool = new Mempool();
  const application = await LedgerApplication.open({ store: opened.store, mempool, logger: silentLogger(), blockTransactionsMax: 100, payloadBytesMax: 1024 * 1024, onExecuted: () => undefined });
  return { chain, store: opened.store, mempool, application };
}

/** The transaction service as a validator wires it: its application's verified set and document memo, relaying nowhere. */
function serviceKeepingDocuments({ store, mempool, application }: Pick<Awaited<ReturnType<typeof openApplication>>, 'store' | 'mempool' | 'application'>): TransactionService {
  return new TransactionService({
    chainId: CHAIN_ID,
    store,
    mempool,
    verified: application.verified,
    relay: () => undefined,
    transactionsReady: () => undefined,
    admission: (transaction) => admissionRefusal(transaction, application.participants.lookup),
    documents: application.documents,
  });
}

describe('a validator', () => {
  it('refuses a leader block that carries a stranger\'s or an impostor\'s transaction, and votes for one that does not', async () => {
    const { chain, store, application } = await openApplication();
    // Each check is a fresh proposal at height 1 on genesis.
    const genesisState = chain.head;
    const check = (transactions: Transaction[]) => {
      const header: BlockHeader = {
        chainId: CHAIN_ID,
        height: 1,
        round: 1,
        prevHash: genesisState.blockHash,
        proposer: 'validator-1',
        timestamp: chain.genesis.genesisTime + 1000,
        txCount: transactions.length,
        txRoot: transactionRoot(transactions, transactions.map((transaction) => transactionId(transaction.body))),
        ledgerHeight: 0,
        logSize: genesisState.logSize,
        logRoot: genesisState.logRoot,
        stateRoot: genesisState.stateRoot,
      };
      return application.checkProposal(header, encodePayload(transactions));
    };
    expect(check([signed('epcis.capture', [farm])])).toEqual({ verdict: 'accept' });
    const byStranger = check([signed('epcis.capture', [farm]), signed('epcis.capture', [stranger])]);
    expect(byStranger).toMatchObject({ verdict: 'reject', reason: expect.stringMatching(/transaction 1 .*unknown-participant/) });
    expect(check([signed('epcis.capture', [impostor])])).toMatchObject({ verdict: 'reject', reason: expect.stringMatching(/unknown-key/) });
    expect(check([signed('governance.set-validators', [farm])])).toMatchObject({ verdict: 'reject', reason: expect.stringMatching(/approval-required/) });
    await store.close();
  });

  it('takes no stranger into its mempool, relays nothing of theirs, and spends no signature check on them', async () => {
    const { store, mempool, application } = await openApplication();
    const relayed: JsonValue[] = [];
    const refusedRelays: string[] = [];
    const service = new TransactionService({
      chainId: CHAIN_ID,
      store,
      mempool,
      verified: application.verified,
      // Relay frames are arrays of transactions (node/relay-batch.ts).
      relay: (_channel, payload) => relayed.push(...(payload as JsonValue[])),
      transactionsReady: () => undefined,
      admission: (transaction) => admissionRefusal(transaction, application.participants.lookup),
      onRelayRefused: (reason) => refusedRelays.push(reason),
    });
    // A 250 KB blob under a made-up signer id: refused, whatever its signature.
    const blob = signed('epcis.capture', [stranger], { blob: 'x'.repeat(250_000) });
    const forged = { ...blob, signatures: [{ ...blob.signatures[0]!, signature: '00'.repeat(64) }] };
    for (const transaction of [blob, forged]) {
      expect(await service.submit(transaction)).toMatchObject({ ok: false, kind: 'refused', refusal: { code: 'unknown-participant' } });
    }
    expect(await service.submit(signed('epcis.capture', [impostor]))).toMatchObject({ ok: false, kind: 'refused', refusal: { code: 'unknown-key' } });
    expect(mempool.size).toBe(0);
    service.flushRelay();
    expect(relayed).toEqual([]);
    expect((await service.status(transactionId(blob.body))).status).toBe('unknown');

    await service.receiveRelayed(blob as unknown as JsonValue);
    expect(refusedRelays).toEqual(['unknown-participant']);
    expect(mempool.size).toBe(0);

    const accepted = await service.submit(signed('certificate.record', [farm]));
    expect(accepted).toMatchObject({ ok: true, duplicate: false });
    expect(mempool.size).toBe(1);
    service.flushRelay();
    expect(relayed).toHaveLength(1);
    await store.close();
  });

  it('validates a capture\'s EPCIS document once, at admission: an invalid one is refused naming its path, a valid one\'s result is kept for execution', async () => {
    const { store, mempool, application } = await openApplication();
    const service = serviceKeepingDocuments({ store, mempool, application });
    const invalid = signed('epcis.capture', [farm], { document: { type: 'EPCISDocument', schemaVersion: '2.0' } });
    expect(await service.submit(invalid)).toMatchObject({ ok: false, kind: 'refused', refusal: { code: 'invalid-event' }, path: expect.stringMatching(/^body\.payload\.document/) });
    expect(mempool.size).toBe(0);
    const valid = signed('epcis.capture', [farm], { document: captureDocument('L1') });
    const admitted = await service.submit(valid);
    expect(admitted).toMatchObject({ ok: true });
    expect(application.documents.size).toBe(1);
    // Execution takes it (once): the memo is left empty, and the capture is accepted.
    const result = await executeBlock(
      { get: async (key) => store.getStateSync(key) as JsonValue | undefined },
      { chainId: CHAIN_ID, height: 1, timestamp: Date.UTC(2026, 2, 2), memo: { validatedDocument: (txId) => application.documents.take(txId) } },
      [valid],
    );
    expect(result.results).toEqual([{ status: 'accepted' }]);
    expect(application.documents.size).toBe(0);
    await store.close();
  });

  it('keeps what it checked of a transaction only while it holds it: execution forgets it, and a late relay or a resubmission leaves nothing behind', async () => {
    const { chain, store, mempool, application } = await openApplication();
    const service = serviceKeepingDocuments({ store, mempool, application });
    const capture = signed('epcis.capture', [farm], { document: captureDocument('L2') });
    const reference = referenceOf(transactionId(capture.body), capture);
    expect(await service.submit(capture)).toMatchObject({ ok: true, duplicate: false });
    expect([mempool.size, application.documents.size, application.verified.size]).toEqual([1, 1, 1]);
    expect(application.verified.has(reference)).toBe(true);

    const commit = chain.nextBlock([capture]);
    application.enqueueCommits([{ block: { header: commit.block.header, payload: encodeReferencePayload([reference]) }, certificate: commit.certificate }]);
    await application.drained();
    expect(application.executedThrough()).toBe(1);
    expect((await store.getTransactionOutcome(reference.id))?.result).toEqual({ status: 'accepted' });
    expect([mempool.size, application.documents.size, application.verified.size]).toEqual([0, 0, 0]);
    expect(application.verified.has(reference)).toBe(false);

    // A peer's relay arriving after the block, and the client sending it again: answered, not kept.
    await service.receiveRelayed([capture] as unknown as JsonValue);
    expect(await service.submit(capture)).toMatchObject({ ok: true, duplicate: true });
    expect([mempool.size, application.documents.size, application.verified.size]).toEqual([0, 0, 0]);
    await store.close();
  });

  it('as leader, leaves out and drops pending transactions that are no longer admissible', async () => {
    const { store, mempool, application } = await openApplication();
    const fine = signed('epcis.capture', [farm]);
    const outsider = signed('epcis.capture', [stranger]);
    // As if admitted before a governance change made it inadmissible.
    mempool.admit(referenceOf(transactionId(outsider.body), outsider), outsider, 100, 0);
    mempool.admit(referenceOf(transactionId(fine.body), fine), fine, 100, 0);
    const proposal = application.propose({ height: 1, round: 1, parent: null, ancestors: [], emptyOnly: false, ledgerHeightMax: Number.MAX_SAFE_INTEGER });
    expect(proposal?.txCount).toBe(1);
    const references = decodeReferencePayload({ txCount: proposal!.txCount, txRoot: proposal!.txRoot } as BlockHeader, proposal!.payload);
    expect(references.ok && references.references.map((reference) => reference.key)).toEqual([referenceOf(transactionId(fine.body), fine).key]);
    expect(mempool.has(transactionId(outsider.body))).toBe(false);
    expect(mempool.has(transactionId(fine.body))).toBe(true);
    await store.close();
  });
});
