/**
 * GET /v1/proofs/state/:key (docs/encoding.md section 16, checked by ledger/verify/state-proof.ts):
 * a state key's value, or its absence, at the ledger height the head block's certified header
 * states, with the key's path in the state tree to that header's stateRoot, the header and its
 * quorum certificate, and the validator-set hand-overs below it, so that it checks from the genesis
 * keys alone. A state proof shows an item's current custodian, its quarantine and its recalls as
 * the consortium last certified them; the answer is as of that height, not the head's.
 *
 * Read access (docs/security.md, "Read access"): a proof reveals the value, so it follows what the
 * reads of the same records follow. Auditors and regulators read every key. An item's or a lot's
 * custody record (`item/<epc>`, `lot/<class>`) is read by those who may read its history, the
 * parties to one of its events (party-rule.ts). A recall (`recall/<id>`) is a public safety notice:
 * any credentialed reader. Every other key (participants, keys, approvals, transactions,
 * certificates, products, the consortium) only auditors and regulators: 403.
 */
import { Router } from 'express';
import { z } from 'zod';
import { STATE_KEY_LENGTH_MAX } from '../../ledger/model/state.js';
import { stateProofDocument } from '../../ledger/store/state-proof-document.js';
import { STATE_PROOF_FORMAT, stateTreeProofSchema } from '../../ledger/verify/state-proof.js';
import type { BlockStore } from '../../ledger/store/block-store.js';
import { ApiError } from '../../node/http/errors.js';
import type { ValidatorContext } from '../../node/validator.js';
import { forbidden, readerOf, type ReadAccess, type Reader } from './access.js';
import type { Operation } from './operations.js';
import { readableItems } from './party-rule.js';
import { readErrors } from './proof-routes.js';
import { blockHeaderSchema, quorumCertificateSchema } from './schemas.js';
import { noQuery, parseRequestPart } from './validation.js';

/** What a client waits before asking again while no block is certified yet. */
const CHECKPOINT_RETRY_SECONDS = 1;

export const stateProofParameters = z.strictObject({
  key: z
    .string()
    .min(1, 'must not be empty')
    .max(STATE_KEY_LENGTH_MAX, `must be at most ${STATE_KEY_LENGTH_MAX} characters`)
    .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not hold control characters')
    .describe('a state key, URL-encoded as one path segment: item/<epc>, lot/<epc class>, recall/<recall id>, ...'),
});

const certifiedHeader = z.object({ header: blockHeaderSchema, certificate: quorumCertificateSchema });

export const stateProofResponse = z.object({
  format: z.literal(STATE_PROOF_FORMAT),
  chainId: z.string(),
  key: z.string(),
  value: z.json().nullable().describe('the value at `height`; null when the key is absent'),
  height: z.number().int().describe('the ledger height the proof is at: checkpoint.header.ledgerHeight'),
  proof: stateTreeProofSchema.describe('the nodes on the path of SHA-256(key), from the root down, each with its other non-empty children (mask: bit 15 - nibble) in nibble order; `leaf` only when the path ends at another key’s leaf (an absence)'),
  checkpoint: certifiedHeader,
  epochChanges: z.array(certifiedHeader).describe('the blocks below the checkpoint that ended a validator-set epoch, oldest first; empty while the genesis set is unchanged'),
});

export const stateProofOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/proofs/state/{key}',
    operationId: 'stateProof',
    summary: 'a state key’s value or absence, proven against the state root of a certified checkpoint',
    description:
      'Check offline: SHA-256(key) leads through proof.levels to checkpoint.header.stateRoot from the key’s leaf (its value), from another key’s leaf or from an empty subtree (its absence); height equals checkpoint.header.ledgerHeight; the quorum certificate on the header verifies under the validator set of its epoch, reached from the genesis keys through epochChanges. Auditors and regulators read any key; others item/ and lot/ keys of things whose history they may read, and recall/ keys.',
    tags: ['proofs'],
    access: 'read',
    params: stateProofParameters,
    responses: { 200: { description: 'the proof document', schema: stateProofResponse } },
    errors: { 400: ['bad-parameter'], 401: readErrors, 403: ['not-a-party'], 409: ['not-yet-checkpointed', 'height-not-kept'] },
  },
];

const ITEM_PREFIXES = ['item/', 'lot/'];
const PUBLIC_NOTICE_PREFIXES = ['recall/'];

/** Whether `reader` may read the value of `key` (the rule in the module header). */
export async function canReadStateKey(store: BlockStore, reader: Reader, key: string): Promise<boolean> {
  if (reader.readsEverything) return true;
  if (PUBLIC_NOTICE_PREFIXES.some((prefix) => key.startsWith(prefix))) return true;
  const prefix = ITEM_PREFIXES.find((candidate) => key.startsWith(candidate));
  if (prefix === undefined) return false;
  const item = key.slice(prefix.length);
  return (await readableItems(store, reader, [item])).has(item);
}

export function stateProofRoutes(context: ValidatorContext, access: ReadAccess): Router {
  const router = Router();
  const { store } = context;

  router.get('/v1/proofs/state/:key', access.require, async (request, response) => {
    const { key } = parseRequestPart(stateProofParameters, request, 'params');
    parseRequestPart(noQuery, request, 'query');
    const reader = readerOf(response);
    if (!(await canReadStateKey(store, reader, key))) {
      throw forbidden(`${reader.participant} may not read ${key}: other participants than auditors and regulators read the records of items and lots whose history they may read, and recalls`, 'key');
    }
    const document = await stateProofDocument(store, key);
    if (!document.ok) {
      throw new ApiError(409, document.code === 'no-checkpoint' ? 'not-yet-checkpointed' : document.code, document.message, 'key', { 'Retry-After': String(CHECKPOINT_RETRY_SECONDS) });
    }
    response.json(document.proof satisfies z.input<typeof stateProofResponse>);
  });

  return router;
}
