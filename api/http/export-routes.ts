/**
 * Exports for auditors and regulators:
 *
 * - GET /v1/exports/epcis?epc=...: an EPCIS 2.0 EPCISDocument (EPCIS 2.0 JSON-LD binding) of the
 *   full recorded history of an item or lot: every event naming it and those of the container
 *   it travelled in, in ledger order, as they were captured.
 * - GET /v1/exports/fsma204.csv?epc=...|from=&to=: the FSMA 204 sortable spreadsheet of the
 *   shipping and receiving key data elements (fsma204.ts) for one lot, or for every lot shipped
 *   or received in a date range.
 *
 * Participants other than auditors and regulators export only events to which they are a party,
 * and an item's export only if they are a party to one of its events.
 */
import { Router, type Response } from 'express';
import { z } from 'zod';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { TIME_INDEX_NAME } from '../../ledger/store/event-index.js';
import type { StoredEvent } from '../../ledger/store/records.js';
import { epcisDocumentSchema, timestampMilliseconds } from '../../contracts/epcis/index.js';
import { readParticipant } from '../../contracts/participants.js';
import { readTracedRecord } from '../../contracts/queries.js';
import { productOf } from '../../contracts/rules/master-data.js';
import { ApiError } from '../../node/http/errors.js';
import type { ValidatorContext } from '../../node/validator.js';
import { CUSTODIA_CONTEXT, STANDARD_CONTEXT } from '../epcis-builders.js';
import { canReadEvent, readerOf, stateReader, type ReadAccess } from './access.js';
import { blockCache } from './block-cache.js';
import { classList, member, partyList, strings, text } from './event-fields.js';
import { EPCIS_CONTENT_TYPE, EPCIS_VERSION_HEADERS } from './event-routes.js';
import { criticalTrackingEvent, fsma204Rows, sortRows, toCsv, type Fsma204Row } from './fsma204.js';
import { collectItemEvents, visibleItemEvents } from './item-events.js';
import type { Operation } from './operations.js';
import { identifierParameter, parseRequestPart, rangeEndParameter, rangeStartParameter } from './validation.js';

/** Events one date-range export examines; a wider range is refused rather than half exported. */
export const FSMA204_EVENTS_SCANNED_MAX = 50_000;
const STORE_PAGE_EVENTS = 1000;
export const epcisExportQuery = z.strictObject({ epc: identifierParameter.describe('the item (EPC) or lot (EPC class) to export') });
export const fsma204Query = z.strictObject({
  epc: identifierParameter.optional().describe('one lot (EPC class) or item; or give a date range'),
  from: rangeStartParameter.describe('first day (or instant) of the range, inclusive'),
  to: rangeEndParameter.describe('last day of the range, inclusive (an instant: exclusive)'),
});

export const exportOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/exports/epcis',
    operationId: 'exportEpcis',
    summary: 'an EPCIS 2.0 document of the full history of an item or lot',
    tags: ['exports'],
    access: 'read',
    query: epcisExportQuery,
    responses: { 200: { description: 'an EPCISDocument', contentType: 'application/ld+json', schema: epcisDocumentSchema } },
    errors: { 400: ['bad-query'], 401: ['credential-required', 'bad-credential', 'unknown-token', 'stale-signature', 'bad-signature', 'unknown-participant', 'participant-inactive'], 403: ['not-a-party'], 404: ['not-found'] },
  },
  {
    method: 'get',
    path: '/v1/exports/fsma204.csv',
    operationId: 'exportFsma204',
    summary: 'FSMA 204 sortable spreadsheet (CSV) of shipping and receiving key data elements',
    description: 'For one lot (epc) or a date range (from, to); both narrow to the lot within the range. One row per lot or item per shipping or receiving event, sorted by time.',
    tags: ['exports'],
    access: 'read',
    query: fsma204Query,
    responses: { 200: { description: 'RFC 4180 CSV with a header row', contentType: 'text/csv', schema: z.string() } },
    errors: {
      400: ['bad-query'],
      401: ['credential-required', 'bad-credential', 'unknown-token', 'stale-signature', 'bad-signature', 'unknown-participant', 'participant-inactive'],
      403: ['not-a-party'],
      422: ['range-too-large'],
    },
  },
];

function fileName(identifier: string, extension: string): string {
  return `${identifier.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 120)}.${extension}`;
}

function attachment(response: Response, name: string): void {
  response.setHeader('Content-Disposition', `attachment; filename="${name}"`);
}

export function exportRoutes(context: ValidatorContext, access: ReadAccess): Router {
  const router = Router();
  const { store } = context;
  const state = stateReader(store);

  router.get('/v1/exports/epcis', access.require, async (request, response) => {
    const { epc } = parseRequestPart(epcisExportQuery, request, 'query');
    const collected = await collectItemEvents(store, epc);
    const visible = visibleItemEvents(readerOf(response), epc, collected);
    if (visible.length === 0) throw new ApiError(404, 'not-found', `no event names ${epc}`, 'epc');
    const document: JsonValue = {
      '@context': [STANDARD_CONTEXT, CUSTODIA_CONTEXT],
      type: 'EPCISDocument',
      schemaVersion: '2.0',
      creationDate: new Date().toISOString(),
      epcisBody: { eventList: visible.map((entry) => entry.stored.event) },
    };
    attachment(response, fileName(epc, 'jsonld'));
    response.set(EPCIS_VERSION_HEADERS).type(EPCIS_CONTENT_TYPE).send(JSON.stringify(document));
  });

  router.get('/v1/exports/fsma204.csv', access.require, async (request, response) => {
    const query = parseRequestPart(fsma204Query, request, 'query');
    if (query.epc === undefined && query.from === undefined && query.to === undefined) throw new ApiError(400, 'bad-query', 'epc: give a lot (epc), or a date range (from, to)', 'epc');
    const reader = readerOf(response);
    const { from, to } = query;
    if (from !== undefined && to !== undefined && to <= from) throw new ApiError(400, 'bad-query', 'to: must be after from', 'to');

    let events: Array<{ stored: StoredEvent; subjects?: Set<string> }>;
    if (query.epc !== undefined) {
      const epc = query.epc;
      const visible = visibleItemEvents(reader, epc, await collectItemEvents(store, epc));
      events = visible.map((entry) => ({ stored: entry.stored, subjects: new Set([epc, ...(entry.via === undefined ? [] : [entry.via])]) }));
      events = events.filter(({ stored }) => {
        const time = timestampMilliseconds(text(stored.event, 'eventTime') ?? '');
        return time === undefined || ((from === undefined || time >= from) && (to === undefined || time < to));
      });
    } else {
      events = [];
      let cursor: string | undefined;
      let scanned = 0;
      for (;;) {
        const page = await store.queryEvents({ index: TIME_INDEX_NAME, ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }), pageSize: STORE_PAGE_EVENTS, ...(cursor === undefined ? {} : { cursor }) });
        if (!page.ok) throw new Error(`event-time index scan failed: ${page.message}`);
        scanned += page.events.length;
        if (scanned > FSMA204_EVENTS_SCANNED_MAX) {
          throw new ApiError(422, 'range-too-large', `the range holds more than ${FSMA204_EVENTS_SCANNED_MAX} events; export a shorter range or one lot`, 'from');
        }
        for (const stored of page.events) if (criticalTrackingEvent(stored.event) !== undefined && canReadEvent(reader, stored)) events.push({ stored });
        if (page.nextCursor === undefined) break;
        cursor = page.nextCursor;
      }
    }

    const blockAt = blockCache(store);
    const names = new Map<string, string>();
    const sources = new Map<string, string | undefined>();
    const products = new Map<string, string | undefined>();
    const rows: Fsma204Row[] = [];
    for (const { stored, subjects } of events) {
      if (criticalTrackingEvent(stored.event) === undefined) continue;
      const recordedBy = (await blockAt(stored.height)).transactions[stored.position]?.body.signers[0];
      const parties = [...partyList(stored.event, 'sourceList'), ...partyList(stored.event, 'destinationList')].map((entry) => entry.id);
      const subjectIds = [...strings(member(stored.event, 'epcList')), ...classList(member(stored.event, 'quantityList'))];
      for (const id of subjectIds) {
        if (!sources.has(id)) sources.set(id, (await readTracedRecord(state, id))?.commissionedBy);
        if (!products.has(id)) products.set(id, (await productOf(state, id))?.description);
      }
      for (const id of [...parties, ...(recordedBy === undefined ? [] : [recordedBy]), ...[...sources.values()].filter((id): id is string => id !== undefined)]) {
        if (!names.has(id)) names.set(id, (await readParticipant(state, id))?.name ?? '');
      }
      rows.push(
        ...fsma204Rows({
          event: stored.event,
          eventId: text(stored.event, 'eventID') ?? stored.eventHash ?? stored.reference,
          txId: stored.txId,
          recordedBy,
          ...(subjects === undefined ? {} : { subjects }),
          describeParty: (id) => (names.get(id) ? `${names.get(id)} (${id})` : id),
          sourceOf: (id) => sources.get(id),
          productOf: (id) => products.get(id),
        }),
      );
    }
    attachment(response, query.epc === undefined ? 'fsma204.csv' : fileName(query.epc, 'fsma204.csv'));
    response.type('text/csv; charset=utf-8; header=present').send(toCsv(sortRows(rows)));
  });

  return router;
}
