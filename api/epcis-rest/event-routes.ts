/**
 * Reading events through the EPCIS REST binding (EPCIS 2.0 sections 8.2.7 and 12; openapi.yaml:
 * /events, /events/{eventID}, /eventTypes, /epcs, /bizSteps, /bizLocations, /readPoints,
 * /dispositions and their /{value}/events). Every read needs a read credential (a token or a
 * signed read, as for /v1) and runs the SimpleEventQuery engine of /v1/events with its party
 * rule: participants other than auditors and regulators see only events they are a party to.
 *
 * A resource path fixes one criterion (`/bizSteps/shipping/events` is EQ_bizStep=shipping); the
 * query string adds the rest, and naming the fixed criterion there too is 412. The top-level
 * lists (/epcs, /bizSteps, ...) name the values found in the reader's events, one page of events
 * (EVENTS_PER_PAGE_DEFAULT) at a time, at most VALUES_PER_PAGE_MAX values: a value may appear
 * again on a later page.
 */
import { Router, type Request, type Response } from 'express';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { eventIndexEntries, type EventIndexName } from '../../ledger/store/event-index.js';
import { EVENT_TYPES } from '../../contracts/epcis/index.js';
import { ApiError } from '../../node/http/errors.js';
import { EVENTS_PER_PAGE_DEFAULT, eventQuerySchema, type EventQueryParameters } from '../http/event-query.js';
import { queryDocument } from '../http/event-routes.js';
import { parseRequestPart } from '../http/validation.js';
import { STANDARD_CONTEXT } from '../epcis-builders.js';
import type { EpcisBackend } from './backend.js';
import { nextPageLink, readerOf, requireReader, sendAnswer } from './binding-http.js';
import type { EpcisMedia } from './media.js';

/** The top-level resources with one criterion each: path, the query parameter it fixes, the item list it lists. */
export const TOP_LEVEL_RESOURCES = {
  epcs: { parameter: 'MATCH_anyEPC', index: 'anyEpc', list: 'EPCList', member: 'epc' },
  bizSteps: { parameter: 'EQ_bizStep', index: 'bizStep', list: 'BizStepItemList', member: 'bizStep' },
  bizLocations: { parameter: 'EQ_bizLocation', index: 'bizLocation', list: 'BizLocationItemList', member: 'bizLocation' },
  readPoints: { parameter: 'EQ_readPoint', index: 'readPoint', list: 'ReadPointItemList', member: 'readPoint' },
  dispositions: { parameter: 'EQ_disposition', index: 'disposition', list: 'DispositionItemList', member: 'disposition' },
} as const satisfies Record<string, { parameter: keyof EventQueryParameters; index: EventIndexName; list: string; member: string }>;

/** Values one page of a top-level list names (its events may name more EPCs than this: the rest are left out). */
export const VALUES_PER_PAGE_MAX = 10_000;

/** A path value (an EPC, a CBV word or URI, a location): bounded, without control characters. */
function pathValue(request: Request, name: string): string {
  const value = String(request.params[name] ?? '');
  if (value === '' || value.length > 512 || /[\u0000-\u001f\u007f|]/.test(value)) throw new ApiError(400, 'bad-parameter', `${name}: expected a value of 1-512 characters without control characters or |`, name);
  return value;
}

export function eventRoutes(backend: EpcisBackend, media: EpcisMedia): Router {
  const router = Router();
  const read = requireReader(backend);

  /** One page of events for this request's query string, with `fixed` criteria from the path. */
  const answerEvents = async (request: Request, response: Response, fixed: Partial<EventQueryParameters> = {}) => {
    const parameters = parseRequestPart(eventQuerySchema, request, 'query');
    for (const name of Object.keys(fixed) as Array<keyof EventQueryParameters>) {
      const clash = name === 'EQ_type' || name === 'eventType' ? (parameters.EQ_type ?? parameters.eventType) : parameters[name];
      if (clash !== undefined) throw new ApiError(412, 'parameter-conflicts-with-path', `${name} is fixed by the path; the query string may not name it too`, name);
    }
    const query = { ...parameters, ...fixed } as EventQueryParameters;
    const page = await backend.queryEvents(readerOf(response), query, query.perPage ?? EVENTS_PER_PAGE_DEFAULT, query.nextPageToken);
    if (page.nextPageToken !== undefined) response.setHeader('Link', nextPageLink(request, page.nextPageToken));
    sendAnswer(media, request, response, queryDocument(page.events.map((stored) => stored.event), page.nextPageToken), { epcisDocument: true });
  };

  router.get('/', (request, response) => sendAnswer(media, request, response, ['events', 'eventTypes', 'epcs', 'bizSteps', 'bizLocations', 'readPoints', 'dispositions', 'capture', 'queries']));

  router.get('/events', read, (request, response) => answerEvents(request, response));

  router.get('/events/:eventID', read, async (request, response) => {
    const eventId = pathValue(request, 'eventID');
    parseRequestPart(eventQuerySchema.pick({}), request, 'query');
    const found = await backend.findEvent(readerOf(response), eventId);
    // An event the reader may not read is as absent as one never recorded.
    if (found === undefined) throw new ApiError(404, 'not-found', `no event ${eventId.slice(0, 128)} that this reader may read`, 'eventID');
    sendAnswer(media, request, response, queryDocument([found.event]), { epcisDocument: true });
  });

  router.get('/eventTypes', read, (request, response) => sendAnswer(media, request, response, { '@context': STANDARD_CONTEXT, type: 'EventTypeItemList', eventType: [...EVENT_TYPES] }));

  const eventType = (request: Request) => {
    const type = String(request.params['eventType']);
    if (!(EVENT_TYPES as readonly string[]).includes(type)) throw new ApiError(404, 'not-found', `no event type ${JSON.stringify(type.slice(0, 64))}; the types are ${EVENT_TYPES.join(', ')}`, 'eventType');
    return type;
  };
  router.get('/eventTypes/:eventType', read, (request, response) => {
    eventType(request);
    sendAnswer(media, request, response, ['events']);
  });
  router.get('/eventTypes/:eventType/events', read, (request, response) => answerEvents(request, response, { eventType: [eventType(request)] }));

  for (const [resource, definition] of Object.entries(TOP_LEVEL_RESOURCES)) {
    router.get(`/${resource}`, read, async (request, response) => {
      const { perPage: _perPage, ...query } = parseRequestPart(eventQuerySchema.pick({ nextPageToken: true, perPage: true }), request, 'query');
      // The values found in the next page of the reader's events.
      const page = await backend.queryEvents(readerOf(response), query as EventQueryParameters, EVENTS_PER_PAGE_DEFAULT, query.nextPageToken);
      const values = new Set<string>();
      for (const stored of page.events) {
        for (const entry of eventIndexEntries(stored.event, stored.participants, stored.eventHash)) if (entry.index === definition.index && values.size < VALUES_PER_PAGE_MAX) values.add(entry.value);
      }
      if (page.nextPageToken !== undefined) response.setHeader('Link', nextPageLink(request, page.nextPageToken));
      const list: JsonValue = { '@context': STANDARD_CONTEXT, type: definition.list, [definition.member]: [...values], ...(page.nextPageToken === undefined ? {} : { 'custodia:nextPageToken': page.nextPageToken }) };
      sendAnswer(media, request, response, list);
    });
    router.get(`/${resource}/:value`, read, (request, response) => {
      pathValue(request, 'value');
      sendAnswer(media, request, response, ['events']);
    });
    router.get(`/${resource}/:value/events`, read, (request, response) => answerEvents(request, response, { [definition.parameter]: [pathValue(request, 'value')] }));
  }

  return router;
}
