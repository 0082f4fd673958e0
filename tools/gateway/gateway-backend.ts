/**
 * The EPCIS REST binding's backend on a participant gateway (api/epcis-rest/backend.ts; issue 14,
 * "The participant gateway"; docs/epcis.md): the gateway serves the binding to the participant's
 * own systems, which hold its bearer token (local-auth.ts), and signs for them.
 *
 * - Capture: the document (JSON-LD, or XML the binding converted) is validated, wrapped exactly as
 *   docs/encoding.md section 15 defines (`epcis.capture`, signers [participant], nonce, payload
 *   {document[, captureErrorBehaviour]}, no createdAt) and signed with the participant's key. The
 *   nonce is the client's Custodia-Nonce if it sent one, else derived from the payload, so the
 *   same document sent again is the same capture (one id, one record). The transaction id is the
 *   captureID; the signed transaction is in the durable outbox (outbox.ts) before the 202.
 * - Capture jobs come from the outbox: queued and submitted are running; committed and rejected
 *   carry the proven result (forwarder.ts), with `custodia:` members for the state, block and proof.
 *   A capture the outbox no longer holds is asked of a validator.
 * - Queries are forwarded to a validator as reads signed by the participant, so the validator's
 *   party rule applies to the participant itself, and answered by the binding as it would.
 * - Named queries and subscriptions are kept locally (in `storage`, the gateway's data folder); the
 *   subscriptions follow the validators' blocks through `feed` (block-feed.ts) and read as the
 *   participant, so they deliver what the participant may read.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import { canonicalize, type JsonValue } from '../../ledger/encoding/canonical-json.js';
import { LEDGER_LIMITS } from '../../ledger/limits.js';
import { checkTransaction, checkTransactionShape, signTransaction, type TransactionSigner } from '../../ledger/model/transaction.js';
import type { StoredEvent } from '../../ledger/store/records.js';
import type { CaptureErrorBehaviour } from '../../contracts/rules/capture.js';
import { ApiError } from '../../node/http/errors.js';
import type { Reader } from '../../api/http/access.js';
import type { EventQueryParameters } from '../../api/http/event-query.js';
import { NEXT_PAGE_MEMBER } from '../../api/http/paging.js';
import type { CaptureJob, EpcisBackend, EventFeed } from '../../api/epcis-rest/backend.js';
import { CAPTURE_NONCE_PATTERN, CAPTURE_SIGNATURE_HEADERS, captureTransactionBody } from '../../api/epcis-rest/capture-signature.js';
import { CAPTURE_EVENTS_MAX, ruleProblem, validatedDocument } from '../../api/epcis-rest/capture-validation.js';
import type { BindingStore } from '../../api/epcis-rest/store.js';
import type { Outbox, OutboxRecord } from './outbox.js';
import type { LocalAuthenticator } from './local-auth.js';
import { NoValidatorAvailable, type ValidatorAnswer, type ValidatorLink } from './validator-link.js';

/** Where the gateway serves a committed capture's transaction proof (outside the binding). */
export const GATEWAY_BASE_PATH = '/gateway';
export const proofPath = (captureId: string) => `${GATEWAY_BASE_PATH}/captures/${captureId}/proof`;

export interface GatewayBackendOptions {
  chainId: string;
  signer: TransactionSigner;
  outbox: Outbox;
  link: ValidatorLink;
  storage: BindingStore;
  /** New blocks' events that the participant may read, for subscriptions. */
  feed: EventFeed;
  authenticator: LocalAuthenticator;
  /** Called once a capture is durably accepted, so the forwarder goes at once. */
  accepted: () => void;
  warn: (fields: Record<string, unknown>, message: string) => void;
}

/** The binding's answer when a capture cannot be taken because the outbox is full. */
const OUTBOX_FULL_RETRY_AFTER_S = 30;

const queryAnswerSchema = z.object({
  epcisBody: z.object({ queryResults: z.object({ resultsBody: z.object({ eventList: z.array(z.unknown()) }) }) }),
  [NEXT_PAGE_MEMBER]: z.string().max(4096).optional(),
});
const problemAnswerSchema = z.object({ code: z.string().max(128).optional(), message: z.string().max(2048).optional(), detail: z.string().max(2048).optional(), path: z.string().max(512).optional() });
const captureJobSchema = z.object({
  captureID: z.string(),
  createdAt: z.string().optional(),
  running: z.boolean(),
  success: z.boolean(),
  captureErrorBehaviour: z.enum(['rollback', 'proceed']),
  errors: z.array(z.object({ type: z.string(), title: z.string(), status: z.number(), detail: z.string(), code: z.string(), path: z.string() }).passthrough()).max(1000),
});

/** The deterministic nonce of a capture the client gave none for: the same payload, the same capture. */
export function derivedNonce(document: JsonValue, behaviour: CaptureErrorBehaviour): string {
  return `gw-${createHash('sha256').update(canonicalize({ document, behaviour })).digest('hex').slice(0, 40)}`;
}

/** An event a validator served, as the binding handles stored events (only `event` is read from it on this path). */
function servedEvent(event: unknown): StoredEvent {
  return { reference: '', height: 0, position: 0, eventIndex: 0, txId: '', participants: [], event: event as JsonValue };
}

/** The query string of a SimpleEventQuery as /v1/events reads it: alternatives pipe-separated, times in RFC 3339. */
export function eventQueryString(parameters: EventQueryParameters, perPage: number, nextPageToken: string | undefined): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) {
    if (value === undefined || name === 'perPage' || name === 'nextPageToken') continue;
    if (name === 'GE_eventTime' || name === 'LT_eventTime') search.set(name, new Date(value as number).toISOString());
    else search.set(name, (value as string[]).join('|'));
  }
  search.set('perPage', String(perPage));
  if (nextPageToken !== undefined) search.set('nextPageToken', nextPageToken);
  return search.toString();
}

export function gatewayBackend(options: GatewayBackendOptions): EpcisBackend {
  const { chainId, signer, outbox, link } = options;
  const reader: Reader = { participant: signer.participant, roles: [], readsEverything: false, credential: 'token' };

  const accept = async (transaction: Parameters<Outbox['accept']>[0], id: string, behaviour: CaptureErrorBehaviour) => {
    const accepted = await outbox.accept(transaction, id, behaviour);
    if (!accepted.ok) throw new ApiError(503, `outbox-${accepted.reason}`, accepted.message, '', { 'Retry-After': String(OUTBOX_FULL_RETRY_AFTER_S) });
    if (!accepted.duplicate) options.accepted();
    return { captureId: id, submitter: transaction.body.signers[0]!, behaviour };
  };

  /** A validator's answer to a read, or the problem the binding answers with. */
  const forwardRead = async (path: string, accept?: string): Promise<ValidatorAnswer> => {
    try {
      return await link.read(path, accept === undefined ? {} : { accept });
    } catch (error) {
      if (!(error instanceof NoValidatorAvailable)) throw error;
      throw new ApiError(503, 'no-validator-reachable', `no validator answers the gateway now (${link.validators.length} tried); captures are still taken and queued`, '', { 'Retry-After': String(Math.max(1, Math.ceil(error.retryInMs / 1000))) });
    }
  };

  /** A validator's refusal of a forwarded read, as the binding's problem. */
  const refusal = (answer: ValidatorAnswer): ApiError => {
    const problem = problemAnswerSchema.safeParse(answer.json).data ?? {};
    const message = problem.detail ?? problem.message ?? `HTTP ${answer.status}`;
    // The validator refused the participant's own signed read: not the local client's fault.
    if (answer.status === 401 || answer.status === 403) return new ApiError(502, 'validator-refused-read', `the validator refused the participant's signed read: ${problem.code ?? answer.status}: ${message}`, '');
    if (answer.status >= 400 && answer.status < 500) return new ApiError(answer.status, problem.code ?? 'refused', message, problem.path ?? '');
    return new ApiError(502, 'bad-validator-answer', `a validator answered HTTP ${answer.status}`, '');
  };

  const jobOf = (record: OutboxRecord): CaptureJob => {
    const settled = record.state === 'committed' || record.state === 'rejected';
    const errors =
      record.state === 'rejected' && record.result?.status === 'rejected'
        ? [ruleProblem(record.result.code, record.result.message)]
        : (record.refused ?? []).map((refused) => ruleProblem(refused.code, refused.message, { ...(refused.eventID === undefined ? {} : { eventID: refused.eventID }), ...(refused.eventIndex === undefined ? {} : { eventIndex: refused.eventIndex }) }));
    const extensions: Record<string, JsonValue> = {
      'custodia:state': record.state,
      'custodia:attempts': record.attempts,
      ...(record.height === undefined ? {} : { 'custodia:height': record.height }),
      ...(record.blockHash === undefined ? {} : { 'custodia:blockHash': record.blockHash }),
      ...(record.proven === undefined ? {} : { 'custodia:proven': record.proven }),
      ...(record.state === 'committed' || (record.state === 'rejected' && record.proven === true) ? { 'custodia:proof': proofPath(record.id) } : {}),
      ...(record.lastError === undefined || settled ? {} : { 'custodia:lastError': record.lastError }),
      ...(record.settledAt === undefined ? {} : { 'custodia:settledAt': record.settledAt }),
    };
    return { captureID: record.id, createdAt: record.acceptedAt, running: !settled, success: record.state !== 'rejected' && errors.length === 0, captureErrorBehaviour: record.behaviour, errors, extensions };
  };

  return {
    limits: { eventsMax: CAPTURE_EVENTS_MAX, bytesMax: LEDGER_LIMITS.transactionBodyBytesMax },
    authenticate: async (request) => {
      options.authenticator.check(request.headers.authorization);
      return reader;
    },
    readerOf: async (participant) => (participant === signer.participant ? reader : undefined),
    captureDocument: async (document: JsonValue, behaviour: CaptureErrorBehaviour, headers: IncomingHttpHeaders) => {
      options.authenticator.check(headers.authorization);
      validatedDocument(document, 'document');
      const given = headers[CAPTURE_SIGNATURE_HEADERS.nonce];
      if (given !== undefined && (typeof given !== 'string' || !CAPTURE_NONCE_PATTERN.test(given))) throw new ApiError(400, 'bad-nonce', 'Custodia-Nonce must be 1-128 of A-Z a-z 0-9 . _ : -', CAPTURE_SIGNATURE_HEADERS.nonce);
      const body = captureTransactionBody(chainId, [signer.participant], given ?? derivedNonce(document, behaviour), document, behaviour);
      const transaction = signTransaction(body, [signer]);
      const shape = checkTransactionShape(transaction, chainId);
      if (!shape.ok) throw new ApiError(shape.code === 'too-large' ? 413 : 400, shape.code, shape.message, shape.path ?? '');
      return accept(transaction, Buffer.from(shape.idBytes).toString('hex'), behaviour);
    },
    captureTransaction: async (input: JsonValue) => {
      // A system that signs for itself may still use the outbox: its transaction must verify as the ledger would check it.
      const checked = checkTransaction(input, chainId);
      if (!checked.ok) throw new ApiError(checked.code === 'too-large' ? 413 : 400, checked.code, checked.message, checked.path ?? '');
      if (checked.transaction.body.type !== 'epcis.capture') throw new ApiError(400, 'not-a-capture', `body.type is ${checked.transaction.body.type}; a capture is an epcis.capture transaction`, 'body.type');
      const payload = checked.transaction.body.payload as { document?: JsonValue; captureErrorBehaviour?: unknown } | null;
      validatedDocument(payload?.document ?? null, 'body.payload.document');
      return accept(checked.transaction, checked.id, payload?.captureErrorBehaviour === 'proceed' ? 'proceed' : 'rollback');
    },
    captureJob: async (captureId, waitMs) => {
      const record = waitMs === undefined ? outbox.byId(captureId) : await outbox.waitSettled(captureId, waitMs);
      if (record !== undefined) return jobOf(record);
      // Forgotten here (or captured elsewhere): the validators' job.
      const answer = await forwardRead(`/epcis/capture/${captureId}`);
      if (answer.status === 404) return undefined;
      const job = captureJobSchema.safeParse(answer.json);
      if (answer.status !== 200 || !job.success) throw refusal(answer);
      return { ...job.data, errors: job.data.errors as CaptureJob['errors'] };
    },
    findEvent: async (_reader, eventId) => {
      const answer = await forwardRead(`/epcis/events/${encodeURIComponent(eventId)}`, 'application/ld+json');
      if (answer.status === 404) return undefined;
      const page = queryAnswerSchema.safeParse(answer.json);
      if (answer.status !== 200 || !page.success) throw refusal(answer);
      const event = page.data.epcisBody.queryResults.resultsBody.eventList[0];
      return event === undefined ? undefined : servedEvent(event);
    },
    queryEvents: async (_reader, parameters, perPage, nextPageToken) => {
      const answer = await forwardRead(`/v1/events?${eventQueryString(parameters, perPage, nextPageToken)}`);
      const page = queryAnswerSchema.safeParse(answer.json);
      if (answer.status !== 200 || !page.success) throw refusal(answer);
      const token = page.data[NEXT_PAGE_MEMBER];
      return { events: page.data.epcisBody.queryResults.resultsBody.eventList.slice(0, perPage).map(servedEvent), ...(token === undefined ? {} : { nextPageToken: token }) };
    },
    feed: options.feed,
    storage: options.storage,
    warn: options.warn,
  };
}
