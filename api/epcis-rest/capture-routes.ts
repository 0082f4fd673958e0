/**
 * Capture through the EPCIS REST binding (EPCIS 2.0 section 12; openapi.yaml: /capture,
 * /capture/{captureID}, POST /events):
 *
 *   POST /capture             an EPCISDocument (or EPCISQueryDocument), signed by its participant
 *                             in headers (capture-signature.ts), or a signed epcis.capture
 *                             transaction as application/vnd.custodia.transaction+json:
 *                             202, Location: the capture job
 *   GET  /capture             the reader's capture jobs (an auditor's: all), newest first, paged
 *   GET  /capture/{captureID} running, success, captureErrorBehaviour, errors: from the ledger
 *   POST /events              one event, signed over the document singleEventDocument makes; it
 *                             waits for the commit: 201 with the event and its Location, or the
 *                             rule's refusal, or 202 and its capture job if the wait ran out
 *
 * The limits advertised (GS1-EPCIS-Capture-Limit, GS1-EPCIS-Capture-File-Size-Limit) are the
 * ones enforced: more events is 413 before any signature is checked, a larger body 413 unread.
 */
import { raw, Router, type Request, type Response } from 'express';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { eventContentHash, eventsOfDocument, validateEpcisDocument } from '../../contracts/epcis/index.js';
import { CAPTURE_ERROR_BEHAVIOURS, type CaptureErrorBehaviour } from '../../contracts/rules/capture.js';
import { ApiError } from '../../node/http/errors.js';
import { parseJsonBytes } from '../../node/http/json-body.js';
import { parseRequestPart } from '../http/validation.js';
import type { CaptureJob, EpcisBackend } from './backend.js';
import { EPCIS_VERSION_HEADERS, LIST_PER_PAGE_DEFAULT, listPageQuery, nextPageLink, readerOf, requireReader, sendAnswer } from './binding-http.js';
import { CAPTURE_ERROR_BEHAVIOUR_HEADER, singleEventDocument } from './capture-signature.js';
import { mediaTypeOf, type EpcisMedia } from './media.js';
import type { CaptureJobRecord } from './store.js';

/** The media type of a capture body that is already a signed Custodia transaction. */
export const CUSTODIA_TRANSACTION_MEDIA_TYPE = 'application/vnd.custodia.transaction+json';
/** How long POST /events waits for its event's commit before answering with the capture job. */
export const SINGLE_EVENT_WAIT_MS = 10_000;

/** Headers that advertise the capture limits, on OPTIONS and on every capture answer. */
export function captureLimitHeaders(backend: EpcisBackend): Record<string, string> {
  return { 'GS1-EPCIS-Capture-Limit': String(backend.limits.eventsMax), 'GS1-EPCIS-Capture-File-Size-Limit': String(backend.limits.bytesMax) };
}

function behaviourOf(request: Request): CaptureErrorBehaviour {
  const value = request.headers[CAPTURE_ERROR_BEHAVIOUR_HEADER];
  if (value === undefined) return 'rollback';
  if (typeof value === 'string' && (CAPTURE_ERROR_BEHAVIOURS as readonly string[]).includes(value.trim().toLowerCase())) return value.trim().toLowerCase() as CaptureErrorBehaviour;
  throw new ApiError(400, 'bad-capture-error-behaviour', `GS1-Capture-Error-Behaviour is ${CAPTURE_ERROR_BEHAVIOURS.join(' or ')}`, CAPTURE_ERROR_BEHAVIOUR_HEADER);
}

/** How many events a capture body holds: an EPCISDocument's eventList or an EPCISQueryDocument's results. */
function eventCount(document: JsonValue): number {
  const member = (value: JsonValue | undefined, name: string) => (value !== null && typeof value === 'object' && !Array.isArray(value) ? value[name] : undefined);
  const body = member(document, 'epcisBody');
  const list = member(body, 'eventList') ?? member(member(member(body, 'queryResults'), 'resultsBody'), 'eventList');
  return Array.isArray(list) ? list.length : 0;
}

/** The content hash of a single event that was just recorded (so it validated). */
function contentHashOf(event: JsonValue): string {
  const validated = validateEpcisDocument(singleEventDocument(event));
  if (!validated.ok) throw new Error('a recorded event no longer validates');
  return eventContentHash(eventsOfDocument(validated.value)[0]!);
}

/** A stored job record and the ledger's word on it, as the binding shows a capture job. */
function jobView(job: CaptureJob, record: CaptureJobRecord | undefined): JsonValue {
  const createdAt = record?.createdAt ?? job.createdAt;
  return {
    captureID: job.captureID,
    ...(createdAt === undefined ? {} : { createdAt }),
    running: job.running,
    success: job.success,
    captureErrorBehaviour: record?.behaviour ?? job.captureErrorBehaviour,
    errors: job.errors as unknown as JsonValue,
    ...job.extensions,
  };
}

export function captureRoutes(backend: EpcisBackend, media: EpcisMedia): Router {
  const router = Router();
  const limitHeaders = captureLimitHeaders(backend);
  const body = raw({ type: () => true, limit: backend.limits.bytesMax });
  const advertiseLimits = (_request: Request, response: Response, next: () => void) => {
    response.set(limitHeaders);
    next();
  };
  const tooManyEvents = (count: number) =>
    new ApiError(413, 'capture-limit-exceeded', `a capture holds at most ${backend.limits.eventsMax} events (GS1-EPCIS-Capture-Limit); this one holds ${count}: split it`, 'epcisBody.eventList');

  router.post('/capture', advertiseLimits, body, async (request, response) => {
    media.answer(request, false);
    let accepted;
    if (mediaTypeOf(request) === CUSTODIA_TRANSACTION_MEDIA_TYPE) {
      accepted = await backend.captureTransaction(parseJsonBytes(Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0), backend.limits.bytesMax));
    } else {
      const behaviour = behaviourOf(request);
      const document = media.readDocument(request, backend.limits.bytesMax);
      const count = eventCount(document);
      if (count > backend.limits.eventsMax) throw tooManyEvents(count);
      accepted = await backend.captureDocument(document, behaviour, request.headers);
    }
    await backend.storage.addJob({ captureId: accepted.captureId, createdAt: new Date().toISOString(), submitter: accepted.submitter, behaviour: accepted.behaviour });
    response
      .status(202)
      .set(EPCIS_VERSION_HEADERS)
      .set('GS1-Capture-Error-Behaviour', accepted.behaviour)
      .location(`${request.baseUrl}/capture/${accepted.captureId}`)
      .end();
  });

  router.get('/capture', requireReader(backend), async (request, response) => {
    const page = parseRequestPart(listPageQuery, request, 'query');
    if (page.nextPageToken !== undefined && !/^[0-9]{1,16}$/.test(page.nextPageToken)) throw new ApiError(400, 'bad-page-token', 'the nextPageToken is not one this server issued', 'nextPageToken');
    const reader = readerOf(response);
    const listed = await backend.storage.jobs(reader.readsEverything ? undefined : reader.participant, page.perPage ?? LIST_PER_PAGE_DEFAULT, page.nextPageToken === undefined ? undefined : Number(page.nextPageToken));
    const jobs: JsonValue[] = [];
    for (const record of listed.jobs) {
      const job = await backend.captureJob(record.captureId);
      if (job !== undefined) jobs.push(jobView(job, record));
    }
    if (listed.next !== undefined) response.setHeader('Link', nextPageLink(request, String(listed.next)));
    sendAnswer(media, request, response, jobs);
  });

  router.get('/capture/:captureID', async (request, response) => {
    const captureId = String(request.params['captureID']);
    const job = /^[0-9a-f]{64}$/.test(captureId) ? await backend.captureJob(captureId) : undefined;
    if (job === undefined) throw new ApiError(404, 'not-found', `no capture job ${captureId.slice(0, 80)} is known here`, 'captureID');
    const record = await backend.storage.job(captureId);
    response.setHeader('GS1-Capture-Error-Behaviour', record?.behaviour ?? job.captureErrorBehaviour);
    sendAnswer(media, request, response, jobView(job, record));
  });

  router.post('/events', advertiseLimits, body, async (request, response) => {
    media.answer(request);
    if (mediaTypeOf(request) === CUSTODIA_TRANSACTION_MEDIA_TYPE) throw media.unsupported('POST /events takes one EPCIS event; a signed transaction goes to POST /capture');
    const event = media.readDocument(request, backend.limits.bytesMax);
    if (event === null || typeof event !== 'object' || Array.isArray(event) || typeof event['type'] !== 'string') {
      throw new ApiError(400, 'not-an-event', 'POST /events takes one EPCIS event: a JSON object with its type', '');
    }
    if (event['type'] === 'EPCISDocument' || event['type'] === 'EPCISQueryDocument') throw new ApiError(400, 'not-an-event', 'a document is captured with POST /capture; POST /events takes one event', 'type');
    const accepted = await backend.captureDocument(singleEventDocument(event), 'rollback', request.headers);
    await backend.storage.addJob({ captureId: accepted.captureId, createdAt: new Date().toISOString(), submitter: accepted.submitter, behaviour: 'rollback' });
    const job = await backend.captureJob(accepted.captureId, SINGLE_EVENT_WAIT_MS);
    if (job === undefined || job.running) {
      response.status(202).set(EPCIS_VERSION_HEADERS).location(`${request.baseUrl}/capture/${accepted.captureId}`).end();
      return;
    }
    const refusal = job.errors[0];
    if (!job.success) throw new ApiError(refusal?.code === 'duplicate-event' ? 409 : 400, refusal?.code ?? 'rejected', refusal?.detail ?? 'the event was refused', '');
    // Its id: its eventID, or else the content hash the ledger files it under.
    const id = typeof event['eventID'] === 'string' ? event['eventID'] : contentHashOf(event);
    response.location(`${request.baseUrl}/events/${encodeURIComponent(id)}`);
    sendAnswer(media, request, response, event, { status: 201, epcisDocument: true });
  });

  return router;
}
