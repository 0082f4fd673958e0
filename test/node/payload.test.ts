import { describe, expect, it } from 'vitest';
import { transactionRoot, type BlockHeader } from '../../ledger/model/block.js';
import { transactionId } from '../../ledger/model/transaction.js';
import { decodePayload, decodeReferencePayload, encodePayload, encodeReferencePayload, isReferencePayload, referenceOf, TRANSACTION_REFERENCE_BYTES, VerifiedTransactions } from '../../node/payload.js';
import { TestChain } from '../support/test-chain.js';

const chain = new TestChain();

function headerFor(transactions: ReturnType<TestChain['transaction']>[]): BlockHeader {
  const ids = transactions.map((transaction) => transactionId(transaction.body));
  return { ...chain.nextBlock([]).block.header, txCount: transactions.length, txRoot: transactionRoot(transactions, ids) };
}

describe('block payloads', () => {
  it('round-trip through their canonical encoding and match the header', () => {
    const transactions = [chain.transaction({ a: 1 }), chain.transaction({ b: 2 })];
    const decoded = decodePayload(headerFor(transactions), encodePayload(transactions), new VerifiedTransactions());
    expect(decoded.ok && decoded.payload.ids).toEqual(transactions.map((transaction) => transactionId(transaction.body)));
  });

  it('are refused when they do not match the header or carry a bad transaction', () => {
    const transactions = [chain.transaction({ a: 1 }), chain.transaction({ b: 2 })];
    const header = headerFor(transactions);
    const verified = new VerifiedTransactions();
    expect(decodePayload(header, encodePayload([transactions[0]!]), verified)).toMatchObject({ ok: false, reason: expect.stringMatching(/header says 2/) });
    expect(decodePayload(header, encodePayload([transactions[1]!, transactions[0]!]), verified)).toMatchObject({ ok: false, reason: expect.stringMatching(/txRoot/) });
    const forged = [{ ...transactions[0]!, body: { ...transactions[0]!.body, nonce: 'other' } }, transactions[1]!];
    expect(decodePayload(headerFor(forged), encodePayload(forged), verified)).toMatchObject({ ok: false, reason: expect.stringMatching(/bad-signature/) });
    expect(decodePayload(header, new TextEncoder().encode('{"a":1,"a":2}'), verified)).toMatchObject({ ok: false, reason: expect.stringMatching(/strict JSON/) });
    expect(decodePayload(header, new TextEncoder().encode('{}'), verified)).toMatchObject({ ok: false, reason: expect.stringMatching(/array/) });
  });

  it('skip the signature check of a transaction already verified, but not of one with other signatures', () => {
    const transaction = chain.transaction({ c: 3 });
    const verified = new VerifiedTransactions();
    verified.remember(referenceOf(transactionId(transaction.body), transaction));
    // A forged signature on the same body is a different transaction text: it is checked and refused.
    const tampered = { ...transaction, signatures: [{ ...transaction.signatures[0]!, signature: '00'.repeat(64) }] };
    expect(decodePayload(headerFor([tampered]), encodePayload([tampered]), verified)).toMatchObject({ ok: false, reason: expect.stringMatching(/bad-signature/) });
    expect(decodePayload(headerFor([transaction]), encodePayload([transaction]), verified).ok).toBe(true);
  });
});

describe('reference payloads', () => {
  const referencesTo = (transactions: ReturnType<TestChain['transaction']>[]) => transactions.map((transaction) => referenceOf(transactionId(transaction.body), transaction));

  it('name each transaction by id and signatures digest, and match the same txRoot as the full form', () => {
    const transactions = [chain.transaction({ a: 1 }), chain.transaction({ b: 2 }), chain.transaction({ c: 3 })];
    const header = headerFor(transactions);
    const payload = encodeReferencePayload(referencesTo(transactions));
    expect(payload.length).toBe(1 + 3 * TRANSACTION_REFERENCE_BYTES);
    expect(isReferencePayload(payload)).toBe(true);
    expect(isReferencePayload(encodePayload(transactions))).toBe(false);
    const decoded = decodeReferencePayload(header, payload);
    expect(decoded.ok && decoded.references.map((reference) => reference.id)).toEqual(transactions.map((transaction) => transactionId(transaction.body)));
    expect(decoded.ok && decoded.references.map((reference) => reference.key)).toEqual(referencesTo(transactions).map((reference) => reference.key));
    // An empty block has its own one-byte form.
    expect(decodeReferencePayload(headerFor([]), encodeReferencePayload([])).ok).toBe(true);
  });

  it('are refused when their length, order or signatures do not match the header', () => {
    const transactions = [chain.transaction({ a: 1 }), chain.transaction({ b: 2 })];
    const header = headerFor(transactions);
    const references = referencesTo(transactions);
    expect(decodeReferencePayload(header, encodeReferencePayload([references[0]!]))).toMatchObject({ ok: false, reason: expect.stringMatching(/need 129/) });
    expect(decodeReferencePayload(header, encodeReferencePayload([references[1]!, references[0]!]))).toMatchObject({ ok: false, reason: expect.stringMatching(/txRoot/) });
    // The same ids with other signatures are other transactions: the root tells them apart.
    const resigned = { ...transactions[0]!, signatures: [{ ...transactions[0]!.signatures[0]!, signature: '11'.repeat(64) }] };
    expect(decodeReferencePayload(header, encodeReferencePayload(referencesTo([resigned, transactions[1]!])))).toMatchObject({ ok: false, reason: expect.stringMatching(/txRoot/) });
    const trailing = new Uint8Array([...encodeReferencePayload(references), 0]);
    expect(decodeReferencePayload(header, trailing).ok).toBe(false);
    // A full payload is not a reference payload, and the full decoder does not take references.
    expect(decodeReferencePayload(header, encodePayload(transactions)).ok).toBe(false);
    expect(decodePayload(header, encodeReferencePayload(references), new VerifiedTransactions())).toMatchObject({ ok: false, reason: expect.stringMatching(/reference payload/) });
  });
});
