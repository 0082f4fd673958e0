/// <reference lib="dom" />
/**
 * Resolves what the auditor typed: a transaction id opens the transaction, a height the block,
 * an EPC or lot its page. A bare GS1 key without its URN prefix (0614141.0012345.LOT42) is
 * tried as a lot, an item and a logistic unit. Anything else is looked up in the EPCIS event
 * indices (as an EPC, a class, a container or a transformation input or output), and the
 * identifiers those events name are listed.
 */
import { ApiFailure, getJson, getJsonOrMissing, pathComponent, query } from '../api.js';
import { card, cell, empty, notice, pageHeader, table } from '../components.js';
import { element, routeLink } from '../dom.js';
import { formatTime, identifierKind, TRANSACTION_ID_PATTERN, vocabulary } from '../format.js';
import { show, type Page } from '../page.js';
import type { History } from '../types.js';
import { searchForm } from './home.js';

interface EventsDocument {
  epcisBody?: { queryResults?: { resultsBody?: { eventList?: Array<Record<string, unknown>> } } };
}

const EVENT_CRITERIA = ['MATCH_anyEPC', 'MATCH_epcClass', 'MATCH_parentID', 'MATCH_inputEPC', 'MATCH_outputEPC'] as const;

function candidatesFor(text: string): string[] {
  if (/^[a-z][a-z0-9+.-]*:/i.test(text)) return [text];
  if (/^[0-9]+\.[0-9]+\.[^\s.]+$/.test(text)) return [`urn:epc:class:lgtin:${text}`, `urn:epc:id:sgtin:${text}`];
  if (/^[0-9]+\.[0-9]+$/.test(text)) return [`urn:epc:id:sscc:${text}`];
  return [];
}

function namedIdentifiers(event: Record<string, unknown>): string[] {
  const found: string[] = [];
  const strings = (value: unknown) => (Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === 'string') : []);
  const classes = (value: unknown) => (Array.isArray(value) ? value.flatMap((entry) => (typeof entry === 'object' && entry !== null && typeof (entry as { epcClass?: unknown }).epcClass === 'string' ? [(entry as { epcClass: string }).epcClass] : [])) : []);
  for (const member of ['epcList', 'childEPCs', 'inputEPCList', 'outputEPCList']) found.push(...strings(event[member]));
  for (const member of ['quantityList', 'childQuantityList', 'inputQuantityList', 'outputQuantityList']) found.push(...classes(event[member]));
  if (typeof event['parentID'] === 'string') found.push(event['parentID']);
  return found;
}

export async function renderSearch(page: Page, text: string): Promise<void> {
  const trimmed = text.trim();
  if (TRANSACTION_ID_PATTERN.test(trimmed.toLowerCase())) {
    location.replace(`#/tx/${trimmed.toLowerCase()}`);
    return;
  }
  if (/^[0-9]{1,15}$/.test(trimmed)) {
    location.replace(`#/blocks/${Number(trimmed)}`);
    return;
  }
  for (const candidate of candidatesFor(trimmed)) {
    const history = await getJsonOrMissing<History>(`/v1/items/${pathComponent(candidate)}/history`);
    if (page.stale()) return;
    if (history !== undefined) {
      location.replace(`#/item/${encodeURIComponent(candidate)}`);
      return;
    }
  }

  // Not an item the ledger tracks by that name: look for events that mention it.
  const matches = new Map<string, { identifier: string; event: Record<string, unknown> }>();
  if (/^[a-z][a-z0-9+.-]*:/i.test(trimmed)) {
    for (const criterion of EVENT_CRITERIA) {
      let document: EventsDocument;
      try {
        document = await getJson<EventsDocument>(`/v1/events${query({ [criterion]: trimmed, perPage: 50 })}`);
      } catch (error) {
        if (error instanceof ApiFailure && error.status === 400) continue;
        throw error;
      }
      for (const event of document.epcisBody?.queryResults?.resultsBody?.eventList ?? []) {
        for (const identifier of namedIdentifiers(event)) if (!matches.has(identifier)) matches.set(identifier, { identifier, event });
      }
    }
  }
  if (page.stale()) return;

  const header = pageHeader({ eyebrow: 'Search', title: trimmed, identifier: true });
  const form = element('div', { class: 'search-hero' }, searchForm(trimmed));
  if (matches.size === 0) {
    show(
      page,
      header,
      notice('neutral', 'Nothing found', element('p', {}, 'No item, lot, container or transaction on this ledger goes by that name, and no recorded event names it. Lots are EPC classes such as urn:epc:class:lgtin:0614141.0012345.LOT42; items are EPCs such as urn:epc:id:sgtin:0614141.0012345.1001; transaction ids are 64 hexadecimal digits.')),
      form,
    );
    return;
  }
  const rows = [...matches.values()].map(({ identifier, event }) =>
    element(
      'tr',
      {},
      cell(routeLink(`/item/${encodeURIComponent(identifier)}`, { class: 'mono' }, identifier)),
      cell(identifierKind(identifier)),
      cell(`${String(event['type'] ?? '')} ${vocabulary(typeof event['bizStep'] === 'string' ? event['bizStep'] : undefined)}`, { narrowHidden: true }),
      cell(formatTime(typeof event['eventTime'] === 'string' ? event['eventTime'] : undefined), { narrowHidden: true }),
    ),
  );
  show(page, header, form, card({ title: 'Identifiers named by matching events', hint: `${matches.size} found`, flush: true }, rows.length === 0 ? empty('None') : table(['Identifier', 'Kind', { label: 'First seen in', narrowHidden: true }, { label: 'Event time', narrowHidden: true }], rows)));
}
