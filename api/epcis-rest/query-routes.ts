/**
 * Named queries and their subscriptions (EPCIS 2.0 section 12; openapi.yaml: /queries,
 * /queries/{queryName}, /queries/{queryName}/events, /queries/{queryName}/subscriptions and
 * /queries/{queryName}/subscriptions/{subscriptionID}).
 *
 * Each participant names its own queries (one participant's `myQuery` is not another's), so no
 * one can take a name from another or see another's definitions. A subscription is seen and
 * deleted only by the participant who made it, or by an auditor or regulator, and delivers only
 * what the party rule lets its owner read. Webhook subscriptions are `stream: true` (each new
 * matching event as its block executes); scheduled ones are refused (docs/epcis.md).
 */
import { randomUUID } from 'node:crypto';
import { raw, Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { timestampMilliseconds } from '../../contracts/epcis/index.js';
import { ApiError } from '../../node/http/errors.js';
import { parseJsonBytes } from '../../node/http/json-body.js';
import { describeZodError } from '../../ledger/model/zod-errors.js';
import { EVENTS_PER_PAGE_DEFAULT, eventQuerySchema } from '../http/event-query.js';
import { queryDocument } from '../http/event-routes.js';
import { parseRequestPart } from '../http/validation.js';
import type { Reader } from '../http/access.js';
import type { EpcisBackend } from './backend.js';
import { LIST_PER_PAGE_DEFAULT, listPageQuery, nextPageLink, readerOf, requireReader, sendAnswer } from './binding-http.js';
import { destinationRefusal } from './destinations.js';
import type { EpcisMedia } from './media.js';
import { namedQueryBody, queryNameSchema, queryParameters } from './queries.js';
import type { NamedQueryRecord, SubscriptionRecord } from './store.js';
import type { SubscriptionService } from './subscriptions.js';

/** Bytes of a query definition or subscription request. */
const DEFINITION_BYTES_MAX = 64 * 1024;

const subscriptionBody = z
  .strictObject({
    dest: z
      .string()
      .max(2048)
      .refine((value) => URL.canParse(value), 'dest must be an http or https URL'),
    signatureToken: z.string().min(1).max(256).optional(),
    /** The name EPCIS 2.0.0's openapi.yaml gave the token. */
    secret: z.string().min(1).max(256).optional(),
    stream: z.boolean().optional(),
    schedule: z.record(z.string(), z.unknown()).optional(),
    reportIfEmpty: z.boolean().optional(),
    initialRecordTime: z.string().max(64).optional(),
  })
  .refine((body) => body.signatureToken === undefined || body.secret === undefined, { message: 'give signatureToken or secret, not both', path: ['secret'] });

/** A JSON body, strictly parsed (node/http/json-body.ts); anything else is 415. */
function jsonRequestBody(media: EpcisMedia, request: Request): unknown {
  if (!media.isJson(request)) throw new ApiError(415, 'unsupported-media-type', 'this body is JSON (Content-Type: application/json)', 'content-type', { 'Accept-Post': 'application/json' });
  return parseJsonBytes(Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0), DEFINITION_BYTES_MAX);
}

function parseBody<Schema extends z.ZodType>(schema: Schema, value: unknown, code: string): z.output<Schema> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const { path, message } = describeZodError(parsed.error);
    throw new ApiError(400, code, message, path);
  }
  return parsed.data;
}

function subscriptionView(record: SubscriptionRecord, delivery?: { failedDeliveries: number; lastError?: string; lastNotifiedAt?: string }): JsonValue {
  // The token is a secret between the subscriber and this node: never shown again.
  return {
    subscriptionID: record.subscriptionID,
    queryName: record.queryName,
    dest: record.dest,
    stream: true,
    reportIfEmpty: record.reportIfEmpty,
    createdAt: record.createdAt,
    ...(record.initialRecordTime === undefined ? {} : { initialRecordTime: record.initialRecordTime }),
    ...(delivery?.lastNotifiedAt === undefined ? {} : { lastNotifiedAt: delivery.lastNotifiedAt }),
    ...(delivery === undefined ? {} : { failedDeliveries: delivery.failedDeliveries, ...(delivery.lastError === undefined ? {} : { lastError: delivery.lastError }) }),
  };
}

function visibleTo(reader: Reader, record: SubscriptionRecord): boolean {
  return reader.readsEverything || record.owner === reader.participant;
}

export function queryRoutes(backend: EpcisBackend, media: EpcisMedia, subscriptions: SubscriptionService): Router {
  const router = Router();
  const read = requireReader(backend);
  const body = raw({ type: () => true, limit: DEFINITION_BYTES_MAX });

  const nameOf = (request: Request) => {
    const name = queryNameSchema.safeParse(request.params['queryName']);
    if (!name.success) throw new ApiError(404, 'not-found', 'no such query: a query name is 1-64 of A-Z a-z 0-9 . _ -', 'queryName');
    return name.data;
  };
  const ownQuery = async (request: Request, response: Response): Promise<NamedQueryRecord> => {
    const name = nameOf(request);
    const reader = readerOf(response);
    const query = await backend.storage.query(reader.participant, name);
    if (query === undefined) throw new ApiError(404, 'not-found', `${reader.participant} has no query named ${name}`, 'queryName');
    return query;
  };

  router.get('/queries', read, async (request, response) => {
    const page = parseRequestPart(listPageQuery, request, 'query');
    const listed = await backend.storage.queries(readerOf(response).participant, page.perPage ?? LIST_PER_PAGE_DEFAULT, page.nextPageToken);
    if (listed.next !== undefined) response.setHeader('Link', nextPageLink(request, listed.next));
    sendAnswer(media, request, response, listed.queries.map((query) => ({ name: query.name, query: query.query, createdAt: query.createdAt })));
  });

  router.post('/queries', read, body, async (request, response) => {
    const definition = parseBody(namedQueryBody, jsonRequestBody(media, request), 'bad-query');
    queryParameters(definition.query);
    const reader = readerOf(response);
    const added = await backend.storage.addQuery({ owner: reader.participant, name: definition.name, query: definition.query, createdAt: new Date().toISOString() });
    if (added === 'exists') throw new ApiError(409, 'query-exists', `${reader.participant} already has a query named ${definition.name}; delete it first`, 'name');
    if (added !== 'created') throw new ApiError(409, 'too-many-queries', added === 'limit' ? 'this node holds as many named queries as it keeps' : `${reader.participant} has as many named queries as one participant may`, 'name');
    response.location(`${request.baseUrl}/queries/${definition.name}`);
    sendAnswer(media, request, response, { name: definition.name, query: definition.query }, { status: 201 });
  });

  router.get('/queries/:queryName', read, async (request, response) => {
    const query = await ownQuery(request, response);
    sendAnswer(media, request, response, { name: query.name, query: query.query, createdAt: query.createdAt });
  });

  router.delete('/queries/:queryName', read, async (request, response) => {
    const reader = readerOf(response);
    const name = nameOf(request);
    const deleted = await backend.storage.deleteQuery(reader.participant, name);
    if (deleted === undefined) throw new ApiError(404, 'not-found', `${reader.participant} has no query named ${name}`, 'queryName');
    for (const subscription of deleted) subscriptions.stopWorker(subscription.subscriptionID);
    subscriptions.closeLive(reader.participant, name);
    response.status(204).end();
  });

  router.get('/queries/:queryName/events', read, async (request, response) => {
    const query = await ownQuery(request, response);
    const paging = parseRequestPart(eventQuerySchema.pick({ perPage: true, nextPageToken: true }), request, 'query');
    const parameters = { ...queryParameters(query.query), ...paging };
    const page = await backend.queryEvents(readerOf(response), parameters, paging.perPage ?? EVENTS_PER_PAGE_DEFAULT, paging.nextPageToken);
    if (page.nextPageToken !== undefined) response.setHeader('Link', nextPageLink(request, page.nextPageToken));
    sendAnswer(media, request, response, queryDocument(page.events.map((stored) => stored.event), page.nextPageToken, { queryName: query.name }), { epcisDocument: true });
  });

  router.post('/queries/:queryName/subscriptions', read, body, async (request, response) => {
    const query = await ownQuery(request, response);
    const wanted = parseBody(subscriptionBody, jsonRequestBody(media, request), 'subscription-controls');
    if (wanted.schedule !== undefined) throw new ApiError(400, 'subscription-controls', 'scheduled subscriptions are not offered here: subscribe with "stream": true to receive each new matching event', 'schedule');
    if (wanted.stream !== true) throw new ApiError(400, 'subscription-controls', 'a subscription sets "stream": true (scheduled subscriptions are not offered here)', 'stream');
    const initialRecordTimeMs = wanted.initialRecordTime === undefined ? undefined : timestampMilliseconds(wanted.initialRecordTime);
    if (wanted.initialRecordTime !== undefined && initialRecordTimeMs === undefined) throw new ApiError(400, 'subscription-controls', 'initialRecordTime is an RFC 3339 date-time with its zone', 'initialRecordTime');
    const refusal = destinationRefusal(new URL(wanted.dest), subscriptions.options.privateDestinations);
    if (refusal !== undefined) throw new ApiError(400, 'destination-not-allowed', refusal, 'dest');
    const reader = readerOf(response);
    const token = wanted.signatureToken ?? wanted.secret;
    const record: SubscriptionRecord = {
      subscriptionID: randomUUID(),
      owner: reader.participant,
      queryName: query.name,
      query: query.query,
      dest: wanted.dest,
      ...(token === undefined ? {} : { signatureToken: token }),
      reportIfEmpty: wanted.reportIfEmpty ?? false,
      createdAt: new Date().toISOString(),
      ...(wanted.initialRecordTime === undefined ? {} : { initialRecordTime: wanted.initialRecordTime }),
    };
    const delivery = { height: await subscriptions.startHeight(initialRecordTimeMs), failedDeliveries: 0 };
    const added = await backend.storage.addSubscription(record, delivery);
    if (added !== 'created') {
      throw new ApiError(409, 'too-many-subscriptions', added === 'limit' ? 'this node holds as many subscriptions as it keeps' : `${reader.participant} has as many subscriptions as one participant may`, '');
    }
    subscriptions.startWorker(record, delivery);
    response.location(`${request.baseUrl}/queries/${query.name}/subscriptions/${record.subscriptionID}`);
    sendAnswer(media, request, response, subscriptionView(record), { status: 201 });
  });

  router.get('/queries/:queryName/subscriptions', read, async (request, response) => {
    const name = nameOf(request);
    const page = parseRequestPart(listPageQuery, request, 'query');
    const reader = readerOf(response);
    const all = (await backend.storage.subscriptions()).filter((record) => record.queryName === name && visibleTo(reader, record)).sort((a, b) => a.subscriptionID.localeCompare(b.subscriptionID));
    const start = page.nextPageToken === undefined ? 0 : all.findIndex((record) => record.subscriptionID > page.nextPageToken!);
    const perPage = page.perPage ?? LIST_PER_PAGE_DEFAULT;
    const shown = start < 0 ? [] : all.slice(start, start + perPage);
    if (start >= 0 && start + perPage < all.length) response.setHeader('Link', nextPageLink(request, shown[shown.length - 1]!.subscriptionID));
    sendAnswer(media, request, response, shown.map((record) => subscriptionView(record)));
  });

  const visibleSubscription = async (request: Request, response: Response) => {
    const name = nameOf(request);
    const id = String(request.params['subscriptionID']);
    const record = /^[0-9a-f-]{36}$/.test(id) ? await backend.storage.subscription(id) : undefined;
    // Another participant's subscription is as absent as none.
    if (record === undefined || record.queryName !== name || !visibleTo(readerOf(response), record)) throw new ApiError(404, 'not-found', `no subscription ${id.slice(0, 64)} to ${name} that this reader may see`, 'subscriptionID');
    return record;
  };

  router.get('/queries/:queryName/subscriptions/:subscriptionID', read, async (request, response) => {
    const record = await visibleSubscription(request, response);
    sendAnswer(media, request, response, subscriptionView(record, await backend.storage.delivery(record.subscriptionID)));
  });

  router.delete('/queries/:queryName/subscriptions/:subscriptionID', read, async (request, response) => {
    const record = await visibleSubscription(request, response);
    subscriptions.stopWorker(record.subscriptionID);
    await backend.storage.deleteSubscription(record.subscriptionID);
    response.status(204).end();
  });

  return router;
}
