/**
 * Transactions (docs/encoding.md, "Transaction").
 *
 * A transaction is a body plus signatures. Its id is SHA-256 of the body's RFC 8785 bytes, and
 * every signature covers `domainTag("transaction", chainId) || id`. The checks here are the
 * stateless ones every validator runs before it votes: shape, size, chain, and that exactly the
 * named signers signed. Whether a key belongs to a participant is a rule of contracts/.
 */
import { z } from 'zod';
import { CANONICAL_DEPTH_MAX, canonicalBytes, CanonicalJsonError, type JsonValue } from '../encoding/canonical-json.js';
import { fromHex, toHex } from '../encoding/hex.js';
import { compileSchemaFastPath, plainJsonCopy, UNSURE } from '../encoding/schema-fast-path.js';
import { sha256 } from '../crypto/sha256.js';
import { signFor, verifyFor } from '../crypto/signatures.js';
import { LEDGER_LIMITS } from '../limits.js';
import { chainId, identifier, jsonValue, publicKeyHex, signatureHex, unixMilliseconds } from './primitives.js';
import { describeZodError } from './zod-errors.js';

export const transactionBodySchema = z.strictObject({
  chainId,
  /** What the payload is, e.g. `epcis.capture`; contracts/ owns the list. */
  type: z
    .string()
    .max(LEDGER_LIMITS.transactionTypeLengthMax)
    .regex(/^[a-z][a-z0-9]*(?:[.-][a-z0-9]+)*$/, 'expected a dotted lowercase type such as epcis.capture'),
  /** Participants whose signatures the transaction needs, in the submitter's order. */
  signers: z.array(identifier).min(1).max(LEDGER_LIMITS.transactionSignersMax),
  /** Chosen by the client so that two otherwise equal submissions are distinct transactions. */
  nonce: z.string().min(1).max(LEDGER_LIMITS.transactionNonceLengthMax),
  createdAt: unixMilliseconds.optional(),
  payload: jsonValue,
});
export type TransactionBody = Omit<z.infer<typeof transactionBodySchema>, 'payload'> & { payload: JsonValue };

export const transactionSignatureSchema = z.strictObject({
  signer: identifier,
  publicKey: publicKeyHex,
  signature: signatureHex,
});
export type TransactionSignature = z.infer<typeof transactionSignatureSchema>;

export const transactionSchema = z.strictObject({
  body: transactionBodySchema,
  signatures: z.array(transactionSignatureSchema).min(1).max(LEDGER_LIMITS.transactionSignersMax),
});
export type Transaction = { body: TransactionBody; signatures: TransactionSignature[] };

export function transactionBodyBytes(body: TransactionBody): Uint8Array {
  return canonicalBytes(body);
}

/** The transaction id as raw bytes: SHA-256 of the body's canonical bytes. */
export function transactionIdBytes(body: TransactionBody): Uint8Array {
  return sha256(transactionBodyBytes(body));
}

export function transactionId(body: TransactionBody): string {
  return toHex(transactionIdBytes(body));
}

export interface TransactionSigner {
  participant: string;
  publicKey: Uint8Array;
  seed: Uint8Array;
}

/** Signs a body with each given key; used by clients, the CLI, the demo and tests. */
export function signTransaction(body: TransactionBody, signers: TransactionSigner[]): Transaction {
  const id = transactionIdBytes(body);
  return {
    body,
    signatures: signers.map((signer) => ({
      signer: signer.participant,
      publicKey: toHex(signer.publicKey),
      signature: toHex(signFor('transaction', body.chainId, signer.seed, id)),
    })),
  };
}

export type TransactionRejectionCode =
  | 'malformed'
  | 'not-canonical'
  | 'too-large'
  | 'wrong-chain'
  | 'unexpected-signer'
  | 'duplicate-signature'
  | 'missing-signature'
  | 'bad-signature';

export type TransactionCheck =
  | { ok: true; transaction: Transaction; id: string; bodyBytes: number }
  | TransactionRefusal;

export type TransactionRefusal = { ok: false; code: TransactionRejectionCode; message: string; path?: string };

/** A transaction whose shape, encoding, size, chain and signer list passed; its signatures are not checked yet. */
export type TransactionShape = { ok: true; transaction: Transaction; idBytes: Uint8Array; bodyBytes: number } | TransactionRefusal;

/**
 * The stateless checks, in order of cost: shape, canonical encoding and size, chain, the
 * signer list, then one ed25519 verification per signature.
 */
export function checkTransaction(input: unknown, expectedChainId: string): TransactionCheck {
  const shape = checkTransactionShape(input, expectedChainId);
  if (!shape.ok) return shape;
  return verifyTransactionSignatures(shape) ?? { ok: true, transaction: shape.transaction, id: toHex(shape.idBytes), bodyBytes: shape.bodyBytes };
}

/** Everything checkTransaction checks but the signatures: cheap, so that a node can refuse strangers before it spends a verification on them. */
export function checkTransactionShape(input: unknown, expectedChainId: string): TransactionShape {
  let transaction = parseTransactionFast(input);
  if (transaction === undefined) {
    // Not the plain shape the fast path takes: the schema decides, and names what is wrong.
    const parsed = transactionSchema.safeParse(input);
    if (!parsed.success) {
      const { path, message } = describeZodError(parsed.error);
      return { ok: false, code: 'malformed', message, path };
    }
    transaction = parsed.data as Transaction;
  }
  const { body, signatures } = transaction;

  let bytes: Uint8Array;
  try {
    bytes = transactionBodyBytes(body);
  } catch (error) {
    if (error instanceof CanonicalJsonError) {
      return { ok: false, code: 'not-canonical', message: error.message, path: `body${error.path.slice(1)}` };
    }
    throw error;
  }
  if (bytes.length > LEDGER_LIMITS.transactionBodyBytesMax) {
    return {
      ok: false,
      code: 'too-large',
      message: `transaction body is ${bytes.length} bytes; the limit is ${LEDGER_LIMITS.transactionBodyBytesMax}`,
    };
  }
  if (body.chainId !== expectedChainId) {
    return { ok: false, code: 'wrong-chain', message: `transaction is for chain ${body.chainId}, this is ${expectedChainId}`, path: 'body.chainId' };
  }
  if (new Set(body.signers).size !== body.signers.length) {
    return { ok: false, code: 'malformed', message: 'body.signers names a participant twice', path: 'body.signers' };
  }

  const named = new Set(body.signers);
  const signed = new Set<string>();
  for (const [position, entry] of signatures.entries()) {
    if (!named.has(entry.signer)) {
      return { ok: false, code: 'unexpected-signer', message: `${entry.signer} signed but is not in body.signers`, path: `signatures.${position}.signer` };
    }
    if (signed.has(entry.signer)) {
      return { ok: false, code: 'duplicate-signature', message: `${entry.signer} signed twice`, path: `signatures.${position}.signer` };
    }
    signed.add(entry.signer);
  }
  for (const signer of body.signers) {
    if (!signed.has(signer)) return { ok: false, code: 'missing-signature', message: `no signature from ${signer}`, path: 'signatures' };
  }
  return { ok: true, transaction, idBytes: sha256(bytes), bodyBytes: bytes.length };
}

/** One ed25519 verification per signature of a transaction whose shape passed; undefined when all verify. */
export function verifyTransactionSignatures(shape: Extract<TransactionShape, { ok: true }>): TransactionRefusal | undefined {
  const { body, signatures } = shape.transaction;
  for (const [position, entry] of signatures.entries()) {
    if (!verifyFor('transaction', body.chainId, fromHex(entry.publicKey), shape.idBytes, fromHex(entry.signature))) {
      return { ok: false, code: 'bad-signature', message: `signature of ${entry.signer} does not verify`, path: `signatures.${position}.signature` };
    }
  }
  return undefined;
}

// The shape check's fast path (ledger/encoding/schema-fast-path.ts): transactionSchema.safeParse
// walked the whole payload through zod's recursive z.json() union, which was most of
// checkTransactionShape's CPU (docs/performance.md, "Levers"). The schema is compiled once into a
// direct check-and-copy of plain data that answers only "zod accepts this, and returns this" or
// "not sure"; not sure (every refusal, and anything unusual) goes to the schema itself, so every
// refusal, with its code, path and message, still comes from zod.
// test/ledger/model/transaction-fast-path.test.ts compares the two on random and mutated inputs.

/**
 * Nesting the fast path follows, counted from the transaction; deeper input goes to the schema.
 * Above the canonical limit, so that everything canonicalisation accepts can take the fast path.
 */
const FAST_PATH_DEPTH_MAX = CANONICAL_DEPTH_MAX + 4;

const fastTransactionParser = compileSchemaFastPath(transactionSchema, {
  depthMax: FAST_PATH_DEPTH_MAX,
  special: new Map([[jsonValue, plainJsonCopy(FAST_PATH_DEPTH_MAX)]]),
});

/** Whether the fast path compiled: a test keeps a schema change from switching it off unnoticed. */
export const TRANSACTION_FAST_PATH_COMPILED = fastTransactionParser !== undefined;

/**
 * What transactionSchema.safeParse(input) returns as data when the fast path can tell that it
 * accepts, or undefined when it cannot (the schema must then decide). Exported for the tests.
 */
export function parseTransactionFast(input: unknown): Transaction | undefined {
  if (fastTransactionParser === undefined) return undefined;
  const parsed = fastTransactionParser(input);
  return parsed === UNSURE ? undefined : (parsed as Transaction);
}
