/**
 * GET /v1/events: the EPCIS 2.0 query interface (EPCIS 2.0 section 8.2, SimpleEventQuery, in the
 * REST binding's form: query parameters, pipe-separated alternatives, perPage and nextPageToken).
 * The answer is an EPCISQueryDocument. The next page is linked as the REST binding does it (a
 * Link header with rel="next") and, for clients that read only the body, named in the extension
 * member custodia:nextPageToken. Participants who are not auditors or regulators see only events
 * to which they are a party: the query is silently narrowed to those.
 */
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { epcisQueryDocumentSchema } from '../../contracts/epcis/index.js';
import { STANDARD_CONTEXT, CUSTODIA_CONTEXT } from '../epcis-builders.js';
import type { ValidatorContext } from '../../node/validator.js';
import { readerOf, type ReadAccess } from './access.js';
import { EVENTS_PER_PAGE_DEFAULT, eventQuerySchema, planEventQuery, runEventQuery } from './event-query.js';
import type { Operation } from './operations.js';
import { NEXT_PAGE_MEMBER } from './paging.js';
import { parseRequestPart } from './validation.js';

/** Headers of the EPCIS 2.0 REST binding naming the standards' versions a response follows. */
export const EPCIS_VERSION_HEADERS = { 'GS1-EPCIS-Version': '2.0.0', 'GS1-CBV-Version': '2.0.0' } as const;
export const EPCIS_CONTENT_TYPE = 'application/ld+json; charset=utf-8';

export const eventQueryDocumentResponse = epcisQueryDocumentSchema.and(z.object({ [NEXT_PAGE_MEMBER]: z.string().optional() }));

export const eventOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/events',
    operationId: 'queryEvents',
    summary: 'EPCIS 2.0 SimpleEventQuery over the recorded events',
    description:
      'Every criterion given must hold; a criterion with alternatives a|b holds when any does. Results are in ledger order (event-time order when only a time range is given). ' +
      'A page may hold fewer than perPage events (even none) when the criteria match little: each page examines a bounded number of events. Follow nextPageToken until it is absent. ' +
      'Participants other than auditors and regulators see only events to which they are a party.',
    tags: ['queries'],
    access: 'read',
    query: eventQuerySchema,
    responses: {
      200: {
        description: 'an EPCISQueryDocument; custodia:nextPageToken and the Link header name the next page',
        contentType: 'application/ld+json',
        schema: eventQueryDocumentResponse,
        headers: { Link: '<...&nextPageToken=...>; rel="next" when there is a next page' },
      },
    },
    errors: { 400: ['bad-query', 'bad-page-token'], 401: ['credential-required', 'bad-credential', 'unknown-token', 'stale-signature', 'bad-signature', 'unknown-participant', 'participant-inactive'] },
  },
];

/** The URL of the next page: this request's path and query with nextPageToken replaced. */
function nextPageUrl(request: Request, token: string): string {
  const url = new URL(request.originalUrl, 'http://localhost');
  url.searchParams.set('nextPageToken', token);
  return `${url.pathname}${url.search}`;
}

/** An EPCISQueryDocument of these events; a named query's results name it, a subscription's delivery also the subscription. */
export function queryDocument(events: readonly JsonValue[], nextPageToken?: string, results: { queryName?: string; subscriptionID?: string } = {}): JsonValue {
  return {
    '@context': [STANDARD_CONTEXT, CUSTODIA_CONTEXT],
    type: 'EPCISQueryDocument',
    schemaVersion: '2.0',
    creationDate: new Date().toISOString(),
    epcisBody: {
      queryResults: {
        queryName: results.queryName ?? 'SimpleEventQuery',
        ...(results.subscriptionID === undefined ? {} : { subscriptionID: results.subscriptionID }),
        resultsBody: { eventList: [...events] },
      },
    },
    ...(nextPageToken === undefined ? {} : { [NEXT_PAGE_MEMBER]: nextPageToken }),
  };
}

export function eventRoutes(context: ValidatorContext, access: ReadAccess): Router {
  const router = Router();
  router.get('/v1/events', access.require, async (request, response) => {
    const parameters = parseRequestPart(eventQuerySchema, request, 'query');
    const plan = planEventQuery(parameters, readerOf(response));
    const page = await runEventQuery(context.store, plan, parameters.perPage ?? EVENTS_PER_PAGE_DEFAULT, parameters.nextPageToken);
    if (page.nextPageToken !== undefined) response.setHeader('Link', `<${nextPageUrl(request, page.nextPageToken)}>; rel="next"`);
    response.set(EPCIS_VERSION_HEADERS).type(EPCIS_CONTENT_TYPE).send(JSON.stringify(queryDocument(page.events.map((stored) => stored.event), page.nextPageToken)));
  });
  return router;
}
