/**
 * The EPCIS 2.0 capture interface in Custodia's form (EPCIS 2.0 section 12.8, REST bindings:
 * POST /capture answers 202 with a capture job that is polled for its outcome). A capture is one
 * signed `epcis.capture` transaction, so its id is the transaction id and its events commit, or
 * are refused, together.
 *
 *   POST /v1/epcis/capture        body: a signed transaction whose payload is { document };
 *                                 ?wait=commit[&timeoutMs=] answers once it is committed or rejected
 *   GET  /v1/epcis/capture/:id    the capture's status and the status of each of its events
 */
import { Router } from 'express';
import { z } from 'zod';
import { transactionSchema, type Transaction } from '../../ledger/model/transaction.js';
import { eventContentHash, eventsOfDocument, validateEpcisDocument, type AnyEpcisDocument, type EpcisValidation } from '../../contracts/epcis/index.js';
import { ApiError } from '../../node/http/errors.js';
import { jsonBody, rawBody, submissionError } from '../../node/http/json-body.js';
import type { TransactionStatus } from '../../node/transactions.js';
import type { ValidatorContext } from '../../node/validator.js';
import type { Operation } from './operations.js';
import { hash, transactionResultSchema } from './schemas.js';
import { waitQuery } from './submission-operations.js';
import { parseRequestPart, transactionIdParameter } from './validation.js';

export const captureStatusSchema = z.object({
  captureId: hash,
  status: z.enum(['pending', 'committed', 'rejected']),
  height: z.number().int().optional(),
  result: transactionResultSchema.optional(),
  events: z.array(z.object({ eventId: z.string(), status: z.enum(['pending', 'committed', 'rejected']) })),
});
const captureParameters = z.strictObject({ id: transactionIdParameter.describe('the capture id (the id of its transaction)') });

export const captureOperations: Operation[] = [
  {
    method: 'post',
    path: '/v1/epcis/capture',
    operationId: 'capture',
    summary: 'capture an EPCIS 2.0 document signed by its submitter(s): one epcis.capture transaction',
    tags: ['submission'],
    access: 'signed-transaction',
    query: waitQuery,
    body: { contentType: 'application/json', schema: transactionSchema },
    responses: {
      200: { description: 'committed or rejected (with wait=commit, or a resubmission)', schema: captureStatusSchema },
      202: { description: 'accepted: poll GET /v1/epcis/capture/{id}', schema: captureStatusSchema },
    },
    errors: {
      400: ['bad-query', 'json-syntax', 'json-duplicate-key', 'json-too-deep', 'json-too-large'],
      413: ['too-large', 'body-too-large'],
      422: ['not-a-capture', 'invalid-document', 'malformed', 'not-canonical', 'wrong-chain', 'unexpected-signer', 'duplicate-signature', 'missing-signature', 'bad-signature'],
      503: ['mempool-full', 'overloaded'],
    },
  },
  {
    method: 'get',
    path: '/v1/epcis/capture/{id}',
    operationId: 'captureStatus',
    summary: 'the status of a capture and of each of its events',
    tags: ['submission'],
    access: 'public',
    params: captureParameters,
    responses: { 200: { description: 'the capture', schema: captureStatusSchema } },
    errors: { 400: ['bad-parameter'], 404: ['not-found'] },
  },
];

function captureStatus(transaction: Transaction, status: TransactionStatus, validation?: EpcisValidation<AnyEpcisDocument>): z.infer<typeof captureStatusSchema> {
  const eventStatus: 'pending' | 'committed' | 'rejected' = status.status === 'committed' || status.status === 'rejected' ? status.status : 'pending';
  const document = (transaction.body.payload as { document: unknown }).document;
  const validated = validation ?? validateEpcisDocument(document);
  const events = validated.ok ? eventsOfDocument(validated.value).map((event) => ({ eventId: event.eventID ?? eventContentHash(event), status: eventStatus })) : [];
  return {
    captureId: status.id,
    status: eventStatus,
    ...(status.status === 'committed' || status.status === 'rejected' ? { height: status.height, result: status.result } : {}),
    events,
  };
}

export function captureRoutes(context: ValidatorContext): Router {
  const router = Router();
  const bodyBytesMax = context.config.api.bodyBytesMax;

  router.post('/v1/epcis/capture', rawBody(bodyBytesMax), async (request, response) => {
    const query = parseRequestPart(waitQuery, request, 'query');
    const body = jsonBody(request, bodyBytesMax);
    const shape = transactionSchema.safeParse(body);
    if (shape.success && shape.data.body.type !== 'epcis.capture') {
      throw new ApiError(422, 'not-a-capture', `body.type is ${shape.data.body.type}; a capture is an epcis.capture transaction`, 'body.type');
    }
    let validated: EpcisValidation<AnyEpcisDocument> | undefined;
    if (shape.success) {
      validated = validateEpcisDocument((shape.data.body.payload as { document?: unknown } | null)?.document);
      if (!validated.ok) {
        const first = validated.errors[0]!;
        throw new ApiError(422, 'invalid-document', `body.payload.document.${first.path}: ${first.message}`, `body.payload.document.${first.path}`);
      }
    }
    // The validation is handed on: admission and execution use it rather than run it again.
    const submitted = await context.transactions.submit(body, validated);
    if (!submitted.ok) throw submissionError(submitted);
    const status = query.wait === 'commit' ? await context.transactions.waitForCommit(submitted.id, query.timeoutMs ?? 10_000) : await context.transactions.status(submitted.id);
    const transaction = await context.transactions.find(submitted.id);
    if (transaction === undefined) throw new ApiError(404, 'not-found', `capture ${submitted.id} is no longer known here`, '');
    response.status(status.status === 'pending' ? 202 : 200).setHeader('Location', `/v1/epcis/capture/${submitted.id}`).json(captureStatus(transaction, status, validated));
  });

  router.get('/v1/epcis/capture/:id', async (request, response) => {
    const { id } = parseRequestPart(captureParameters, request, 'params');
    const [transaction, status] = await Promise.all([context.transactions.find(id), context.transactions.status(id)]);
    if (transaction === undefined || status.status === 'unknown' || transaction.body.type !== 'epcis.capture') {
      throw new ApiError(404, 'not-found', `no capture ${id} is pending or committed here`, 'id');
    }
    response.json(captureStatus(transaction, status));
  });
  return router;
}
