/**
 * The ledger's Merkle log in the C2SP transparency-log formats (docs/transparency.md), outside
 * /v1 because their paths are fixed by the specs:
 *
 * - GET /tlog/checkpoint (c2sp.org/tlog-tiles "Checkpoints", c2sp.org/tlog-checkpoint): the
 *   latest checkpoint a quorum of validators signed, with the witnesses' cosignatures;
 *   text/plain, cached for at most a few seconds. 503 until the first quorum gathered.
 * - GET /tlog/keys: the origin, the verifier keys (vkeys) of the validator set that signs
 *   checkpoints, the quorum, the configured witnesses' vkeys (a k-of-n policy), and the
 *   hand-overs from the genesis set to that set.
 * - GET /tlog/tile/<L>/<N>[.p/<W>] and /tlog/tile/entries/<N>[.p/<W>] (c2sp.org/tlog-tiles
 *   "Merkle Tree", "Log entries"): hash tiles and entry bundles, immutable (a tile's URL names
 *   its width, so its bytes never change), 404 beyond the log.
 *
 * And, under /v1 (in the OpenAPI document): GET /v1/proofs/transactions/:id/tlog-proof
 * (c2sp.org/tlog-proof), the transaction's ledger entry proven into the served checkpoint.
 * Everything here is hashes and signatures of the public log except the tlog-proof, whose entry
 * names a transaction id and its result: it follows the same party rule as the JSON proof.
 */
import { Router, type Response } from 'express';
import { z } from 'zod';
import { fromHex } from '../../ledger/encoding/hex.js';
import { ledgerEntryBytes } from '../../ledger/model/ledger-entry.js';
import { ledgerEntriesInRange } from '../../ledger/store/log-entries.js';
import { chainOrigin, validatorKeyName } from '../../ledger/tlog/checkpoint.js';
import { SIGNATURE_TYPE_ED25519 } from '../../ledger/tlog/note.js';
import { bundleRange, encodeEntryBundle, encodeTile, parseTilePath, tileExists, tileNodes, TILE_WIDTH } from '../../ledger/tlog/tiles.js';
import { formatTlogProof } from '../../ledger/tlog/tlog-proof.js';
import { formatVerifierKey, parseVerifierKey, verifierKeyOf } from '../../ledger/tlog/verifier-keys.js';
import { ApiError } from '../../node/http/errors.js';
import type { ValidatorContext } from '../../node/validator.js';
import type { ReadAccess } from './access.js';
import type { Operation } from './operations.js';
import { provableTransaction, readErrors, transactionProofParameters } from './proof-routes.js';

/** Entry bundles kept encoded (full ones only: they never change): 64 of at most ~100 KiB. */
const ENTRY_BUNDLES_CACHED = 64;
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** tlog-tiles: the checkpoint "SHOULD prevent caching beyond a few seconds". */
const CHECKPOINT_CACHE = 'public, max-age=2';
const RETRY_SECONDS = 1;

export const TLOG_PROOF_CONTENT_TYPE = 'text/plain; charset=utf-8';

export const tlogProofOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/proofs/transactions/{id}/tlog-proof',
    operationId: 'transactionTlogProof',
    summary: 'the transaction’s ledger entry proven into the validators’ C2SP checkpoint, as a c2sp.org/tlog-proof document',
    description:
      'Text: `c2sp.org/tlog-proof@v1`, `extra` (base64 of the canonical ledger entry, the RFC 9162 leaf input), `index`, the inclusion path, an empty line and the checkpoint signed by a quorum of validators (with witness cosignatures). Check offline with `custodia verify --proof FILE --genesis FILE` or any signed-note verifier holding the keys of GET /tlog/keys (docs/transparency.md).',
    tags: ['proofs'],
    access: 'read',
    params: transactionProofParameters,
    responses: { 200: { description: 'the tlog-proof document', contentType: 'text/plain', schema: z.string() } },
    errors: { 400: ['bad-parameter'], 401: readErrors, 403: ['not-a-party'], 404: ['not-found'], 409: ['not-yet-checkpointed'] },
  },
];

/** What the routes read: the chain, the configured witnesses, the store and the checkpoint the validators signed. */
export type TlogContext = Pick<ValidatorContext, 'config' | 'store'> & { checkpoints: Pick<ValidatorContext['checkpoints'], 'served'> };

/**
 * The policy a verifier applies to this chain's checkpoints now (docs/transparency.md, "Keys"),
 * with the hand-overs from the genesis set to the current one, so that a verifier holding only
 * the genesis keys can check the current keys for itself.
 */
export async function tlogKeys(context: TlogContext) {
  const origin = chainOrigin(context.config.chainId);
  const next = context.store.head().height + 1;
  const epoch = context.store.epochAt(next);
  return {
    origin,
    epoch: epoch.number,
    fromHeight: epoch.startHeight,
    quorum: epoch.validators.quorum,
    vkeys: epoch.validators.validators.map((validator) => formatVerifierKey(validatorKeyName(origin, validator.id), SIGNATURE_TYPE_ED25519, validator.publicKey)),
    witnesses: context.config.tlog.witnesses.flatMap((witness) => {
      const parsed = parseVerifierKey(witness.vkey);
      return parsed.ok ? [verifierKeyOf(parsed.verifier)] : [];
    }),
    epochChanges: await context.store.epochChanges(next),
  };
}

function sendBytes(response: Response, bytes: Uint8Array, cacheControl: string): void {
  response.setHeader('Cache-Control', cacheControl);
  response.type('application/octet-stream').send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

export function tlogRoutes(context: TlogContext, access: Pick<ReadAccess, 'require'>): Router {
  const router = Router();
  const { store, checkpoints } = context;
  const bundles = new Map<number, Uint8Array>();

  router.get('/tlog/checkpoint', (_request, response) => {
    const served = checkpoints.served();
    if (served === undefined) {
      throw new ApiError(503, 'no-checkpoint', 'no checkpoint has gathered a quorum of validator signatures yet', '', { 'Retry-After': String(RETRY_SECONDS) });
    }
    response.setHeader('Cache-Control', CHECKPOINT_CACHE);
    response.setHeader('Custodia-Epoch', String(served.checkpoint.epoch));
    response.type('text/plain; charset=utf-8').send(served.note);
  });

  router.get('/tlog/keys', async (_request, response) => {
    response.setHeader('Cache-Control', CHECKPOINT_CACHE);
    response.json(await tlogKeys(context));
  });

  router.get('/tlog/tile/*segments', async (request, response) => {
    const segments = (request.params as { segments: string[] }).segments;
    const tile = parseTilePath(segments);
    const size = store.head().logSize;
    if (tile === undefined || !tileExists(tile, size)) throw new ApiError(404, 'no-such-tile', `no tile ${request.path} in a log of ${size} entries`, '');
    if (tile.level !== 'entries') {
      sendBytes(response, encodeTile(await store.merkleNodeHashes(tileNodes(tile.level, tile.index, tile.width))), IMMUTABLE);
      return;
    }
    let bundle = tile.width === TILE_WIDTH ? bundles.get(tile.index) : undefined;
    if (bundle === undefined) {
      const { start, end } = bundleRange(tile.index, tile.width);
      bundle = encodeEntryBundle((await ledgerEntriesInRange(store, start, end)).map(ledgerEntryBytes));
      if (tile.width === TILE_WIDTH) {
        bundles.set(tile.index, bundle);
        if (bundles.size > ENTRY_BUNDLES_CACHED) bundles.delete(bundles.keys().next().value!);
      }
    }
    sendBytes(response, bundle, IMMUTABLE);
  });

  router.get('/v1/proofs/transactions/:id/tlog-proof', access.require, async (request, response) => {
    const record = await provableTransaction(store, request, response);
    const id = record.txId;
    const served = checkpoints.served();
    if (served === undefined || record.leafIndex >= served.checkpoint.size) {
      throw new ApiError(409, 'not-yet-checkpointed', `transaction ${id} is leaf ${record.leafIndex}; the validators have not yet signed a checkpoint that covers it; retry in a moment`, 'id', {
        'Retry-After': String(RETRY_SECONDS),
      });
    }
    const inclusion = await store.inclusionProof(id, served.checkpoint.size);
    if (inclusion === undefined || inclusion.logRoot !== served.checkpoint.rootHex) throw new Error(`the store cannot prove ${id} against the served checkpoint of size ${served.checkpoint.size}`);
    response.type(TLOG_PROOF_CONTENT_TYPE).send(
      formatTlogProof({ extra: ledgerEntryBytes(inclusion.entry), index: inclusion.leafIndex, path: inclusion.proof.map(fromHex), checkpoint: served.note }),
    );
  });

  return router;
}
