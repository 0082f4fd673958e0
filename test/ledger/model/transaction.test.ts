import { describe, expect, it } from 'vitest';
import { toHex } from '../../../ledger/encoding/hex.js';
import { sha256 } from '../../../ledger/crypto/sha256.js';
import { canonicalBytes } from '../../../ledger/encoding/canonical-json.js';
import { signFor } from '../../../ledger/crypto/signatures.js';
import { checkTransaction, signTransaction, transactionId, type TransactionBody } from '../../../ledger/model/transaction.js';
import { LEDGER_LIMITS } from '../../../ledger/limits.js';
import { keyFor } from '../../support/test-chain.js';

const producer = 'urn:epc:id:pgln:0614141.00001';
const carrier = 'urn:epc:id:pgln:0614142.00001';

function body(overrides: Partial<TransactionBody> = {}): TransactionBody {
  return { chainId: 'custodia-test', type: 'epcis.capture', signers: [producer], nonce: 'n-1', payload: { events: [] }, ...overrides };
}

function signed(transactionBody: TransactionBody, names = transactionBody.signers) {
  return signTransaction(transactionBody, names.map((participant) => ({ participant, ...keyFor(participant) })));
}

describe('transactions', () => {
  it('have an id that is SHA-256 of the canonical body, independent of key order', () => {
    const transactionBody = body();
    expect(transactionId(transactionBody)).toBe(toHex(sha256(canonicalBytes(transactionBody))));
    const reordered = { payload: { events: [] }, nonce: 'n-1', signers: [producer], type: 'epcis.capture', chainId: 'custodia-test' };
    expect(transactionId(reordered)).toBe(transactionId(transactionBody));
    expect(transactionId(body({ nonce: 'n-2' }))).not.toBe(transactionId(transactionBody));
  });

  it('pass the stateless checks when every named signer signed', () => {
    const transaction = signed(body({ signers: [producer, carrier] }));
    const check = checkTransaction(transaction, 'custodia-test');
    expect(check).toMatchObject({ ok: true, id: transactionId(transaction.body) });
  });

  it('are refused with a reason code for each stateless failure', () => {
    const good = signed(body({ signers: [producer, carrier] }));
    const cases: Array<[string, unknown, string, string?]> = [
      ['malformed', { body: good.body }, 'malformed', 'signatures'],
      ['unknown field', { ...good, extra: 1 }, 'malformed'],
      ['bad type', signed(body({ type: 'Has Spaces' })), 'malformed', 'body.type'],
      ['upper-case hex', { ...good, signatures: [{ ...good.signatures[0]!, signature: good.signatures[0]!.signature.toUpperCase() }, good.signatures[1]] }, 'malformed', 'signatures.0.signature'],
      ['lone surrogate', { ...good, body: { ...good.body, payload: { note: '\ud800' } } }, 'not-canonical', 'body.payload.note'],
      ['too large', signed(body({ payload: 'x'.repeat(LEDGER_LIMITS.transactionBodyBytesMax) })), 'too-large'],
      ['other chain', signed(body({ chainId: 'other-chain' })), 'wrong-chain', 'body.chainId'],
      ['repeated signer name', signed(body({ signers: [producer, producer] }), [producer]), 'malformed', 'body.signers'],
      ['unexpected signer', signed(body(), [producer, carrier]), 'unexpected-signer', 'signatures.1.signer'],
      ['missing signer', signed(body({ signers: [producer, carrier] }), [producer]), 'missing-signature', 'signatures'],
      ['duplicate signature', { ...good, signatures: [good.signatures[0], good.signatures[0], good.signatures[1]] }, 'duplicate-signature', 'signatures.1.signer'],
      ['tampered body', { ...good, body: { ...good.body, nonce: 'n-9' } }, 'bad-signature', 'signatures.0.signature'],
      ['signature by another key', { ...good, signatures: [good.signatures[0], { ...good.signatures[1]!, publicKey: good.signatures[0]!.publicKey }] }, 'bad-signature', 'signatures.1.signature'],
    ];
    for (const [name, input, code, path] of cases) {
      const check = checkTransaction(input, 'custodia-test');
      expect(check.ok, name).toBe(false);
      if (check.ok) continue;
      expect(check.code, name).toBe(code);
      if (path !== undefined) expect(check.path, name).toBe(path);
      expect(check.message.length, name).toBeGreaterThan(0);
    }
  });

  it('carry signatures bound to their purpose and chain', () => {
    const transactionBody = body();
    const { seed, publicKey } = keyFor(producer);
    const id = sha256(canonicalBytes(transactionBody));
    for (const [purpose, chainId] of [['vote', 'custodia-test'], ['transaction', 'other-chain']] as const) {
      const replayed = {
        body: transactionBody,
        signatures: [{ signer: producer, publicKey: toHex(publicKey), signature: toHex(signFor(purpose, chainId, seed, id)) }],
      };
      expect(checkTransaction(replayed, 'custodia-test')).toMatchObject({ ok: false, code: 'bad-signature' });
    }
  });
});
