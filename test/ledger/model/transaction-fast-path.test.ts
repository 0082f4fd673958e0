/**
 * The fast path of the transaction shape check (ledger/model/transaction.ts): whenever it
 * answers, zod's transactionSchema accepts the same input and returns an equal value (the same
 * members, in the same order, with the same undefined members); when it does not answer, zod
 * decides. So checkTransactionShape gives exactly the verdicts, codes, paths and messages of the
 * schema alone, which this file also checks against the check as it was written before the fast
 * path, on valid transactions and on random mutations of them, exotic values included.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalBytes, CanonicalJsonError } from '../../../ledger/encoding/canonical-json.js';
import { sha256 } from '../../../ledger/crypto/sha256.js';
import { LEDGER_LIMITS } from '../../../ledger/limits.js';
import {
  checkTransactionShape,
  parseTransactionFast,
  signTransaction,
  TRANSACTION_FAST_PATH_COMPILED,
  transactionSchema,
  type Transaction,
  type TransactionShape,
} from '../../../ledger/model/transaction.js';
import { describeZodError } from '../../../ledger/model/zod-errors.js';
import { keyFor } from '../../support/test-chain.js';
import { exoticValues, expectSameStructure, mutate, pathsOf, type Mutation } from '../encoding/fast-path-support.js';

const CHAIN = 'custodia-test';

/** checkTransactionShape as it was before the fast path: the schema alone. */
function referenceShape(input: unknown, expectedChainId: string): TransactionShape {
  const parsed = transactionSchema.safeParse(input);
  if (!parsed.success) {
    const { path, message } = describeZodError(parsed.error);
    return { ok: false, code: 'malformed', message, path };
  }
  const transaction = parsed.data as Transaction;
  const { body, signatures } = transaction;
  let bytes: Uint8Array;
  try {
    bytes = canonicalBytes(body);
  } catch (error) {
    if (error instanceof CanonicalJsonError) return { ok: false, code: 'not-canonical', message: error.message, path: `body${error.path.slice(1)}` };
    throw error;
  }
  if (bytes.length > LEDGER_LIMITS.transactionBodyBytesMax) {
    return { ok: false, code: 'too-large', message: `transaction body is ${bytes.length} bytes; the limit is ${LEDGER_LIMITS.transactionBodyBytesMax}` };
  }
  if (body.chainId !== expectedChainId) return { ok: false, code: 'wrong-chain', message: `transaction is for chain ${body.chainId}, this is ${expectedChainId}`, path: 'body.chainId' };
  if (new Set(body.signers).size !== body.signers.length) return { ok: false, code: 'malformed', message: 'body.signers names a participant twice', path: 'body.signers' };
  const named = new Set(body.signers);
  const signed = new Set<string>();
  for (const [position, entry] of signatures.entries()) {
    if (!named.has(entry.signer)) return { ok: false, code: 'unexpected-signer', message: `${entry.signer} signed but is not in body.signers`, path: `signatures.${position}.signer` };
    if (signed.has(entry.signer)) return { ok: false, code: 'duplicate-signature', message: `${entry.signer} signed twice`, path: `signatures.${position}.signer` };
    signed.add(entry.signer);
  }
  for (const signer of body.signers) if (!signed.has(signer)) return { ok: false, code: 'missing-signature', message: `no signature from ${signer}`, path: 'signatures' };
  return { ok: true, transaction, idBytes: sha256(bytes), bodyBytes: bytes.length };
}

/** Both agree: the fast path answers only what zod answers, and the whole check gives the reference verdict. */
function expectAgreement(input: unknown): boolean {
  const fast = parseTransactionFast(input);
  if (fast !== undefined) {
    const zod = transactionSchema.safeParse(input);
    expect(zod.success).toBe(true);
    if (zod.success) expectSameStructure(fast, zod.data);
    // A fresh copy, never the input itself.
    expect(fast).not.toBe(input);
  }
  const actual = checkTransactionShape(input, CHAIN);
  const expected = referenceShape(input, CHAIN);
  if (actual.ok && expected.ok) {
    expect(actual.bodyBytes).toBe(expected.bodyBytes);
    expect(actual.idBytes).toEqual(expected.idBytes);
    expectSameStructure(actual.transaction, expected.transaction);
  } else expect(actual).toEqual(expected);
  return fast !== undefined;
}

const producer = 'urn:epc:id:pgln:0614141.00001';
const carrier = 'urn:epc:id:pgln:0614142.00001';

function signedTransaction(payload: unknown, extra: Record<string, unknown> = {}): Transaction {
  const body = { chainId: CHAIN, type: 'epcis.capture', signers: [producer, carrier], nonce: 'n-1', createdAt: 1_767_225_600_000, payload, ...extra };
  return signTransaction(body as never, [producer, carrier].map((participant) => ({ participant, ...keyFor(participant) })));
}

describe('the transaction shape fast path', () => {
  it('is compiled from the schema, and takes an ordinary transaction', () => {
    expect(TRANSACTION_FAST_PATH_COMPILED).toBe(true);
    const transaction = signedTransaction({ document: { type: 'EPCISDocument', list: [1, 'two', null, false, { nested: [] }] } });
    expect(expectAgreement(transaction)).toBe(true);
    expect(expectAgreement(JSON.parse(JSON.stringify(transaction)))).toBe(true);
  });

  it('agrees with the schema on every exotic value at every place in a transaction', () => {
    const base = signedTransaction({ document: { a: [1, { b: 'c' }], d: null } });
    const paths = [[], ...pathsOf(base)];
    let answered = 0;
    let deferred = 0;
    for (const path of paths) {
      for (const value of exoticValues()) {
        if (expectAgreement(mutate(base, path, { kind: 'set', value }))) answered++;
        else deferred++;
      }
      if (path.length > 0) {
        if (expectAgreement(mutate(base, path, { kind: 'delete' }))) answered++;
        else deferred++;
      }
      for (const key of ['extra', '__proto__', 'constructor', 'createdAt', 'payload']) {
        const input = mutate(base, path, { kind: 'add', key, value: 1 });
        if (expectAgreement(input)) answered++;
        else deferred++;
      }
    }
    // Both sides of the fast path were exercised.
    expect(answered).toBeGreaterThan(100);
    expect(deferred).toBeGreaterThan(100);
  });

  it('keeps a present but undefined createdAt as zod does, and reads inherited members as zod does', () => {
    const base = signedTransaction({});
    expectAgreement({ ...base, body: { ...base.body, createdAt: undefined } });
    const { createdAt: _createdAt, ...withoutCreatedAt } = base.body;
    expectAgreement({ ...base, body: withoutCreatedAt });
    const inheriting = Object.create({ inherited: 1 }) as Record<string, unknown>;
    Object.assign(inheriting, base);
    expectAgreement(inheriting);
    // Members in another order than the schema's: the copy has the schema's order, as zod's does.
    const reordered = { signatures: base.signatures, body: { payload: base.body.payload, nonce: base.body.nonce, signers: base.body.signers, type: base.body.type, chainId: base.body.chainId } };
    expect(expectAgreement(reordered)).toBe(true);
    expect(Object.keys(parseTransactionFast(reordered)!)).toEqual(['body', 'signatures']);
  });

  it('agrees with the schema on random JSON payloads and random mutations of transactions', () => {
    const payloads = fc.jsonValue({ maxDepth: 4 });
    fc.assert(
      fc.property(payloads, fc.boolean(), (payload, viaText) => {
        const transaction = signedTransaction(payload);
        expectAgreement(viaText ? JSON.parse(JSON.stringify(transaction)) : transaction);
      }),
      { numRuns: 200 },
    );
    const exotic = fc.constantFrom(...exoticValues());
    const anything = fc.oneof(fc.jsonValue({ maxDepth: 2 }), exotic, fc.string(), fc.integer(), fc.double());
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), fc.nat(), anything, fc.constantFrom('set', 'delete', 'add'), fc.string({ maxLength: 8 }), (payload, pick, value, kind, key) => {
        const base = signedTransaction(payload);
        const paths = [[], ...pathsOf(base)];
        const path = paths[pick % paths.length]!;
        const mutation: Mutation = kind === 'set' ? { kind, value } : kind === 'delete' ? { kind } : { kind, key, value };
        expectAgreement(mutate(base, path, mutation));
      }),
      { numRuns: 500 },
    );
  });
});
