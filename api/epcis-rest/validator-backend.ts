/**
 * The EPCIS binding's backend on a validator (backend.ts): captures are admitted exactly as
 * POST /v1/transactions admits a transaction (TransactionService.submit: the stateless checks,
 * admission of registered signers, overload control, the mempool), reads are authenticated by
 * the query API's ReadAccess and answered by its SimpleEventQuery engine, capture jobs are read
 * from the ledger, and the binding's own records live in `<dataDir>/epcis-rest`.
 *
 * A capture's signatures are verified by the validator and by every validator that votes for its
 * block; none is made here: a validator never holds a participant's key.
 */
import { join } from 'node:path';
import type { IncomingHttpHeaders } from 'node:http';
import type { Request } from 'express';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { LEDGER_LIMITS } from '../../ledger/limits.js';
import { transactionSchema, type Transaction } from '../../ledger/model/transaction.js';
import type { AnyEpcisDocument, EpcisValidation } from '../../contracts/epcis/index.js';
import { EVENT_HASH_PREFIX } from '../../contracts/epcis/event-hash.js';
import { readParticipant } from '../../contracts/participants.js';
import type { CaptureErrorBehaviour, CaptureOutcome } from '../../contracts/rules/capture.js';
import { stateKeys } from '../../contracts/state.js';
import { ApiError } from '../../node/http/errors.js';
import { submissionError } from '../../node/http/json-body.js';
import type { TransactionStatus } from '../../node/transactions.js';
import type { ValidatorContext } from '../../node/validator.js';
import { canReadEvent, readerOfParticipant, stateReader, type ReadAccess } from '../http/access.js';
import { eventsAtHeight } from '../http/block-events.js';
import { planEventQuery, runEventQuery, type EventQueryParameters } from '../http/event-query.js';
import type { CaptureAccepted, CaptureJob, EpcisBackend } from './backend.js';
import { captureTransaction, parseCaptureSignatureHeaders } from './capture-signature.js';
import { CAPTURE_EVENTS_MAX, ruleProblem, validatedDocument as validated } from './capture-validation.js';
import { BindingStore } from './store.js';


/** Refusals that say the request is not who it claims to be: 401 in the binding (SecurityException). */
const UNAUTHENTICATED = new Set(['bad-signature', 'missing-signature', 'unexpected-signer', 'duplicate-signature', 'unknown-participant', 'unknown-key', 'revoked-key']);

/** The binding's answer to a submission the validator did not take: the /v1 answer, with the binding's statuses. */
function captureRefusal(error: ApiError): ApiError {
  if (UNAUTHENTICATED.has(error.code)) return new ApiError(401, error.code, error.message, error.path, { 'WWW-Authenticate': 'Custodia-Signature realm="custodia"' });
  if (error.status === 422) return new ApiError(400, error.code, error.message, error.path);
  return error;
}

export function validatorBackend(context: ValidatorContext, access: ReadAccess): EpcisBackend {
  const { store, transactions, config } = context;
  const state = stateReader(store);

  const submit = async (transaction: Transaction, validation: EpcisValidation<AnyEpcisDocument>, behaviour: CaptureErrorBehaviour): Promise<CaptureAccepted> => {
    const submitted = await transactions.submit(transaction, validation);
    if (!submitted.ok) throw captureRefusal(submissionError(submitted));
    return { captureId: submitted.id, submitter: transaction.body.signers[0]!, behaviour };
  };

  const jobOf = async (captureId: string, status: TransactionStatus): Promise<CaptureJob | undefined> => {
    if (status.status === 'unknown') return undefined;
    const transaction = await transactions.find(captureId);
    if (transaction === undefined || transaction.body.type !== 'epcis.capture') return undefined;
    const payload = transaction.body.payload;
    const behaviour: CaptureErrorBehaviour = payload !== null && typeof payload === 'object' && !Array.isArray(payload) && payload['captureErrorBehaviour'] === 'proceed' ? 'proceed' : 'rollback';
    const job = { captureID: captureId, captureErrorBehaviour: behaviour };
    if (status.status === 'pending') return { ...job, running: true, success: true, errors: [] };
    const block = await store.getBlock(status.height);
    const createdAt = block === undefined ? {} : { createdAt: new Date(block.header.timestamp).toISOString() };
    if (status.result.status === 'rejected') return { ...job, ...createdAt, running: false, success: false, errors: [ruleProblem(status.result.code, status.result.message)] };
    const outcome = (await store.getState(stateKeys.captureOutcome(captureId))) as CaptureOutcome | undefined;
    const errors = (outcome?.refused ?? []).map((refused) => ruleProblem(refused.code, refused.message, { eventID: refused.eventId, eventIndex: refused.index }));
    if (outcome !== undefined && outcome.refusedCount > outcome.refused.length) errors.push(ruleProblem('more-refused', `${outcome.refusedCount - outcome.refused.length} more events were refused`));
    return { ...job, ...createdAt, running: false, success: errors.length === 0, errors };
  };

  return {
    limits: { eventsMax: CAPTURE_EVENTS_MAX, bytesMax: Math.min(config.api.bodyBytesMax, LEDGER_LIMITS.transactionBodyBytesMax) },
    authenticate: (request) => access.authenticate(request as Request),
    readerOf: async (participantId) => {
      const participant = await readParticipant(state, participantId);
      return participant === undefined || participant.status !== 'active' ? undefined : readerOfParticipant(participant, 'subscription');
    },
    captureDocument: async (document: JsonValue, behaviour: CaptureErrorBehaviour, headers: IncomingHttpHeaders) => {
      const signed = parseCaptureSignatureHeaders(headers);
      if (!signed.ok) throw new ApiError(401, signed.code, signed.message, signed.path, { 'WWW-Authenticate': 'Custodia-Signature realm="custodia"' });
      const validation = validated(document, 'document');
      return submit(captureTransaction(config.chainId, document, behaviour, signed), validation, behaviour);
    },
    captureTransaction: async (input: JsonValue) => {
      const shape = transactionSchema.safeParse(input);
      if (!shape.success) throw new ApiError(400, 'malformed', 'the body is not a signed Custodia transaction', '');
      if (shape.data.body.type !== 'epcis.capture') throw new ApiError(400, 'not-a-capture', `body.type is ${shape.data.body.type}; a capture is an epcis.capture transaction`, 'body.type');
      const payload = shape.data.body.payload as { document?: JsonValue; captureErrorBehaviour?: unknown } | null;
      const validation = validated(payload?.document ?? null, 'body.payload.document');
      return submit(input as unknown as Transaction, validation, payload?.captureErrorBehaviour === 'proceed' ? 'proceed' : 'rollback');
    },
    captureJob: async (captureId, waitMs) => jobOf(captureId, waitMs === undefined ? await transactions.status(captureId) : await transactions.waitForCommit(captureId, waitMs)),
    queryEvents: (reader, parameters, perPage, nextPageToken) => runEventQuery(store, planEventQuery(parameters, reader), perPage, nextPageToken),
    findEvent: async (reader, eventId) => {
      const byId = await runEventQuery(store, planEventQuery({ EQ_eventID: [eventId] } as EventQueryParameters, reader), 1, undefined);
      if (byId.events[0] !== undefined || !eventId.startsWith(EVENT_HASH_PREFIX)) return byId.events[0];
      // Captured without an eventID: the ledger files it under its content hash (contracts/epcis/event-hash.ts).
      const byHash = await store.queryEvents({ index: 'eventHash', value: eventId, pageSize: 1 });
      const found = byHash.ok ? byHash.events[0] : undefined;
      return found !== undefined && canReadEvent(reader, found) ? found : undefined;
    },
    feed: {
      head: () => store.head().height,
      eventsAt: (height) => eventsAtHeight(store, height),
      timeAt: async (height) => (await store.getBlock(height))?.header.timestamp,
      onHeight: (listener) => context.onExecuted((executed) => listener(executed.height)),
    },
    storage: new BindingStore(join(config.dataDir, 'epcis-rest')),
    warn: (fields, message) => context.logger.warn(fields, message),
  };
}
