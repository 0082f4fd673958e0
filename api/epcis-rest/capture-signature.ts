/**
 * How a plain EPCIS 2.0 client captures as a participant (docs/encoding.md, "Capture through the
 * EPCIS REST binding"; docs/epcis.md). The body stays the EPCIS document the binding defines
 * (EPCIS 2.0 section 12, REST bindings: POST /capture, POST /events); the participant's ed25519
 * signatures ride in headers over the id of the Custodia `epcis.capture` transaction that wraps
 * the document deterministically:
 *
 *   { chainId, type: "epcis.capture", signers: [each signer, in header order], nonce,
 *     payload: { document } }            (GS1-Capture-Error-Behaviour: rollback, the default)
 *   payload: { document, captureErrorBehaviour: "proceed" }   (GS1-Capture-Error-Behaviour: proceed)
 *
 *   Custodia-Nonce: <nonce>              1-128 of A-Z a-z 0-9 . _ : -
 *   Custodia-Signature: <signer> <publicKeyHex> <signatureHex>[, <signer> ...]
 *
 * with no createdAt. The validator rebuilds exactly this transaction from the body it parsed and
 * the headers, and admits it as POST /v1/transactions would; nothing else about the request is
 * signed, so the signature holds whatever whitespace or member order the body was sent with.
 * A single event (POST /events) is wrapped first into the document `singleEventDocument` makes.
 */
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { signTransaction, type Transaction, type TransactionBody, type TransactionSigner } from '../../ledger/model/transaction.js';
import { identifier } from '../../ledger/model/primitives.js';
import { LEDGER_LIMITS } from '../../ledger/limits.js';
import type { CaptureErrorBehaviour } from '../../contracts/rules/capture.js';
import { STANDARD_CONTEXT } from '../epcis-builders.js';

export const CAPTURE_SIGNATURE_HEADERS = { nonce: 'custodia-nonce', signature: 'custodia-signature' } as const;
export const CAPTURE_ERROR_BEHAVIOUR_HEADER = 'gs1-capture-error-behaviour';

export const CAPTURE_NONCE_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
const SIGNATURE_ITEM_PATTERN = /^(\S+) ([0-9a-f]{64}) ([0-9a-f]{128})$/;

/** The payload of the epcis.capture transaction that wraps `document`. */
export function capturePayload(document: JsonValue, behaviour: CaptureErrorBehaviour): JsonValue {
  return behaviour === 'proceed' ? { document, captureErrorBehaviour: 'proceed' } : { document };
}

export function captureTransactionBody(chainId: string, signers: readonly string[], nonce: string, document: JsonValue, behaviour: CaptureErrorBehaviour): TransactionBody {
  return { chainId, type: 'epcis.capture', signers: [...signers], nonce, payload: capturePayload(document, behaviour) };
}

/**
 * The EPCISDocument that POST /events captures one event in: the event's @context (or the
 * standard one) at the top, the event without it in the eventList, and its eventTime as the
 * creationDate, so the same event always makes the same document.
 */
export function singleEventDocument(event: JsonValue): JsonValue {
  const members = event !== null && typeof event === 'object' && !Array.isArray(event) ? event : {};
  const { ['@context']: context, ...rest } = members;
  const eventTime = rest['eventTime'];
  return {
    '@context': context ?? STANDARD_CONTEXT,
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: typeof eventTime === 'string' ? eventTime : '1970-01-01T00:00:00Z',
    epcisBody: { eventList: [rest] },
  };
}

export interface CaptureSignatureOptions {
  behaviour?: CaptureErrorBehaviour;
  /** Chosen at random unless given; the same document with the same nonce is the same capture. */
  nonce?: string;
}

/**
 * The request headers that capture `document` through the standard binding as the given
 * signers (the first is the submitter): Custodia-Nonce, Custodia-Signature and, for proceed,
 * GS1-Capture-Error-Behaviour. For POST /events, pass singleEventDocument(event).
 */
export function captureSignatureHeaders(chainId: string, document: JsonValue, signers: readonly TransactionSigner[], options: CaptureSignatureOptions = {}): Record<string, string> {
  const behaviour = options.behaviour ?? 'rollback';
  const nonce = options.nonce ?? globalThis.crypto.randomUUID();
  const body = captureTransactionBody(chainId, signers.map((signer) => signer.participant), nonce, document, behaviour);
  const signed = signTransaction(body, [...signers]);
  return {
    [CAPTURE_SIGNATURE_HEADERS.nonce]: nonce,
    [CAPTURE_SIGNATURE_HEADERS.signature]: signed.signatures.map((entry) => `${entry.signer} ${entry.publicKey} ${entry.signature}`).join(', '),
    ...(behaviour === 'proceed' ? { 'GS1-Capture-Error-Behaviour': 'proceed' } : {}),
  };
}

export type CaptureSignatureParse =
  | { ok: true; nonce: string; signatures: Transaction['signatures'] }
  | { ok: false; code: 'credential-required' | 'bad-credential'; message: string; path: string };

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The signers, keys and signatures a capture request carries; nothing is verified here. */
export function parseCaptureSignatureHeaders(headers: Record<string, string | string[] | undefined>): CaptureSignatureParse {
  const nonce = headerText(headers[CAPTURE_SIGNATURE_HEADERS.nonce]);
  const signatureText = headerText(headers[CAPTURE_SIGNATURE_HEADERS.signature]);
  if (nonce === undefined && signatureText === undefined) {
    return { ok: false, code: 'credential-required', message: 'a capture is signed by its participant: send Custodia-Nonce and Custodia-Signature (docs/epcis.md)', path: CAPTURE_SIGNATURE_HEADERS.signature };
  }
  if (nonce === undefined || !CAPTURE_NONCE_PATTERN.test(nonce)) {
    return { ok: false, code: 'bad-credential', message: 'Custodia-Nonce must be 1-128 of A-Z a-z 0-9 . _ : -', path: CAPTURE_SIGNATURE_HEADERS.nonce };
  }
  const items = (signatureText ?? '').split(',').map((item) => item.trim());
  if (signatureText === undefined || items.length > LEDGER_LIMITS.transactionSignersMax) {
    return { ok: false, code: 'bad-credential', message: `Custodia-Signature must list 1 to ${LEDGER_LIMITS.transactionSignersMax} "<signer> <publicKeyHex> <signatureHex>" entries`, path: CAPTURE_SIGNATURE_HEADERS.signature };
  }
  const signatures: Transaction['signatures'] = [];
  for (const item of items) {
    const match = SIGNATURE_ITEM_PATTERN.exec(item);
    if (match === null || !identifier.safeParse(match[1]).success) {
      return { ok: false, code: 'bad-credential', message: 'each Custodia-Signature entry is "<signer> <publicKeyHex> <signatureHex>": a participant id, 64 and 128 lowercase hex digits', path: CAPTURE_SIGNATURE_HEADERS.signature };
    }
    signatures.push({ signer: match[1]!, publicKey: match[2]!, signature: match[3]! });
  }
  return { ok: true, nonce, signatures };
}

/** The transaction a capture request stands for: its document wrapped as above, with the signatures from its headers. */
export function captureTransaction(chainId: string, document: JsonValue, behaviour: CaptureErrorBehaviour, signed: Extract<CaptureSignatureParse, { ok: true }>): Transaction {
  return { body: captureTransactionBody(chainId, signed.signatures.map((entry) => entry.signer), signed.nonce, document, behaviour), signatures: signed.signatures };
}
