/// <reference lib="dom" />
/**
 * Resolves what the auditor typed. A transaction id opens the transaction, a block height the
 * block, an EPC or lot URN (or its GS1 key without the URN prefix) its page. Anything else, a
 * lot code, a GTIN, part of an identifier (`SALAD`), goes to the node's search
 * (GET /v1/search), which ranks exact matches first and says what each result is: its kind,
 * its product and its one status. A URN the search does not know is looked up in the EPCIS
 * event indices, and the identifiers those events name are listed.
 */
import { ApiFailure, getJson, getJsonOrMissing, pathComponent, query } from '../api.js';
import { badge, blockLink, card, cell, empty, failureView, notice, pageHeader, statusBadge, table } from '../components.js';
import { element, routeLink } from '../dom.js';
import { formatTime, identifierKind, shortUrn, TRANSACTION_ID_PATTERN, vocabulary } from '../format.js';
import { show, type Page } from '../page.js';
import type { History, LedgerHead, SearchResult, SearchResults } from '../types.js';
import { searchForm } from './home.js';

interface EventsDocument {
  epcisBody?: { queryResults?: { resultsBody?: { eventList?: Array<Record<string, unknown>> } } };
}

const EVENT_CRITERIA = ['MATCH_anyEPC', 'MATCH_epcClass', 'MATCH_parentID', 'MATCH_inputEPC', 'MATCH_outputEPC'] as const;
const MATCH_RANK: Record<SearchResult['match'], number> = { exact: 0, word: 1, prefix: 2 };
const MATCH_LABELS: Record<SearchResult['match'], string> = { exact: 'exact', word: 'whole word', prefix: 'starts with it' };
const SEARCH_LIMIT = 50;

/** What a typed identifier may stand for: itself when it is a URN, the URNs a bare GS1 key may be. */
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

/** Identifiers named by events that name `identifier` (a location, a container, a class pattern...). */
async function eventMatches(identifier: string): Promise<Map<string, Record<string, unknown>>> {
  const matches = new Map<string, Record<string, unknown>>();
  for (const criterion of EVENT_CRITERIA) {
    let document: EventsDocument;
    try {
      document = await getJson<EventsDocument>(`/v1/events${query({ [criterion]: identifier, perPage: 50 })}`);
    } catch (error) {
      if (error instanceof ApiFailure && error.status === 400) continue;
      throw error;
    }
    for (const event of document.epcisBody?.queryResults?.resultsBody?.eventList ?? []) {
      for (const named of namedIdentifiers(event)) if (!matches.has(named)) matches.set(named, event);
    }
  }
  return matches;
}

function resultsTable(results: readonly SearchResult[]): HTMLElement {
  const rows = results.map((result) =>
    element(
      'tr',
      { 'data-id': result.id, 'data-match': result.match },
      cell(element('div', {}, routeLink(`/item/${encodeURIComponent(result.id)}`, { class: 'mono', title: result.id }, result.id))),
      cell(identifierKind(result.id)),
      cell(result.description ?? element('span', { class: 'timeline-time' }, 'no product description'), { narrowHidden: false }),
      cell(result.status === undefined ? '—' : statusBadge(result.status)),
      cell(badge(MATCH_LABELS[result.match], result.match === 'exact' ? 'info' : 'neutral'), { narrowHidden: true }),
    ),
  );
  return element('div', { 'data-testid': 'search-results' }, table(['Identifier', 'Kind', 'Product', 'Status', { label: 'Match', narrowHidden: true }], rows));
}

export async function renderSearch(page: Page, text: string): Promise<void> {
  const trimmed = text.trim();
  if (TRANSACTION_ID_PATTERN.test(trimmed.toLowerCase())) {
    location.replace(`#/tx/${trimmed.toLowerCase()}`);
    return;
  }
  // An identifier the ledger tracks opens its page.
  for (const candidate of candidatesFor(trimmed)) {
    let history: History | undefined;
    try {
      history = await getJsonOrMissing<History>(`/v1/items/${pathComponent(candidate)}/history`);
    } catch (error) {
      // Not a party to it, or no credential: the search below says what the reader may know.
      if (!(error instanceof ApiFailure && (error.status === 403 || error.status === 401 || error.status === 400))) throw error;
    }
    if (page.stale()) return;
    if (history !== undefined) {
      location.replace(`#/item/${encodeURIComponent(candidate)}`);
      return;
    }
  }

  const header = pageHeader({ eyebrow: 'Search', title: trimmed, identifier: true });
  const form = element('div', { class: 'search-hero' }, searchForm(trimmed));
  const number = /^[0-9]{1,15}$/.test(trimmed) ? Number(trimmed) : undefined;
  const [found, head] = await Promise.all([
    getJson<SearchResults>(`/v1/search${query({ q: trimmed.slice(0, 256), limit: SEARCH_LIMIT })}`).catch((error: unknown): Error => (error instanceof Error ? error : new Error(String(error)))),
    number === undefined ? undefined : getJson<LedgerHead>('/v1/ledger/head').catch(() => undefined),
  ]);
  if (page.stale()) return;
  const block = number !== undefined && head !== undefined && number >= 1 && number <= head.height ? number : undefined;
  const results = found instanceof Error ? [] : [...found.results].sort((left, right) => MATCH_RANK[left.match] - MATCH_RANK[right.match]);
  // A number is a block height unless it is also a GTIN (or serial) the search knows exactly.
  if (block !== undefined && !results.some((result) => result.match === 'exact')) {
    location.replace(`#/blocks/${block}`);
    return;
  }
  const blockHint = block === undefined ? null : notice('neutral', `Block ${block.toLocaleString()}`, element('p', {}, 'The number is also a block height: ', blockLink(block), '.'));

  if (found instanceof Error) {
    show(page, header, blockHint, failureView(found), form);
    return;
  }
  if (results.length > 0) {
    show(
      page,
      header,
      blockHint,
      form,
      card(
        { title: 'Items and lots', hint: `${results.length} found${found.complete ? '' : ', more matched: type more of it'}; exact matches first`, flush: true, testId: 'search-card' },
        resultsTable(results),
      ),
    );
    return;
  }

  // Not an item or lot by that name: a URN may still be named by events (a location, a class pattern).
  const matches = /^[a-z][a-z0-9+.-]*:/i.test(trimmed) ? await eventMatches(trimmed) : new Map<string, Record<string, unknown>>();
  if (page.stale()) return;
  if (matches.size === 0) {
    show(
      page,
      header,
      blockHint,
      notice(
        'neutral',
        'Nothing found',
        element('p', {}, 'No item, lot, container or transaction on this ledger goes by that name, and no recorded event names it. Try a lot code (SALAD-7), a GTIN (14 digits), part of an identifier, a full EPC or lot URN, or a transaction id (64 hexadecimal digits).'),
      ),
      form,
    );
    return;
  }
  const rows = [...matches.entries()].map(([identifier, event]) =>
    element(
      'tr',
      {},
      cell(routeLink(`/item/${encodeURIComponent(identifier)}`, { class: 'mono', title: identifier }, shortUrn(identifier))),
      cell(identifierKind(identifier)),
      cell(`${String(event['type'] ?? '')} ${vocabulary(typeof event['bizStep'] === 'string' ? event['bizStep'] : undefined)}`, { narrowHidden: true }),
      cell(formatTime(typeof event['eventTime'] === 'string' ? event['eventTime'] : undefined), { narrowHidden: true }),
    ),
  );
  show(page, header, form, card({ title: 'Identifiers named by matching events', hint: `${matches.size} found`, flush: true }, rows.length === 0 ? empty('None') : table(['Identifier', 'Kind', { label: 'First seen in', narrowHidden: true }, { label: 'Event time', narrowHidden: true }], rows)));
}
