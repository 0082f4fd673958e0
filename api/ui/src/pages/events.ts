/// <reference lib="dom" />
/**
 * The events view: the recorded EPCIS 2.0 events (GET /v1/events, SimpleEventQuery), filtered
 * by event time (GE_eventTime / LT_eventTime, days in this browser's time zone), business step
 * and identifier, a page at a time in the order the node answers (event-time order when only a
 * time range is given).
 */
import { getJson, query } from '../api.js';
import { card, cell, empty, failureView, loading, pageHeader, table } from '../components.js';
import { element, routeLink, type Child } from '../dom.js';
import { dayStart, formatCelsius, formatPeriod, formatQuantity, formatTime, shortUrn, toCelsius, vocabulary } from '../format.js';
import { fill, show, type Page } from '../page.js';

interface EventsDocument {
  epcisBody?: { queryResults?: { resultsBody?: { eventList?: Array<Record<string, unknown>> } } };
  'custodia:nextPageToken'?: string;
}

const EVENTS_PER_PAGE = 50;
const BUSINESS_STEPS = ['commissioning', 'packing', 'loading', 'shipping', 'receiving', 'sensor_reporting', 'transforming', 'inspecting', 'holding', 'unpacking', 'destroying', 'decommissioning'];

type JsonRecord = Record<string, unknown>;

function record(value: unknown): JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonRecord) : {};
}

function itemLink(id: string): HTMLAnchorElement {
  return routeLink(`/item/${encodeURIComponent(id)}`, { class: 'mono', title: id }, shortUrn(id));
}

/** What an event names, with quantities where it counts a class. */
function what(event: JsonRecord): Child[] {
  const parts: Child[][] = [];
  const strings = (value: unknown) => (Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === 'string') : []);
  if (typeof event['parentID'] === 'string') parts.push([itemLink(event['parentID']), ' (container)']);
  for (const member of ['epcList', 'childEPCs', 'inputEPCList', 'outputEPCList']) for (const id of strings(event[member])) parts.push([itemLink(id)]);
  for (const member of ['quantityList', 'childQuantityList', 'inputQuantityList', 'outputQuantityList']) {
    const list = event[member];
    if (!Array.isArray(list)) continue;
    for (const entry of list.map(record)) {
      if (typeof entry['epcClass'] !== 'string') continue;
      const quantity = typeof entry['quantity'] === 'number' ? ` ${formatQuantity(entry['quantity'], typeof entry['uom'] === 'string' ? entry['uom'] : undefined)}` : '';
      parts.push([itemLink(entry['epcClass']), quantity, member.startsWith('input') ? ' in' : member.startsWith('output') ? ' out' : '']);
    }
  }
  const shown = parts.slice(0, 6);
  return [...shown.flatMap((part, index) => (index === 0 ? part : [element('br'), ...part])), parts.length > shown.length ? element('div', { class: 'timeline-time' }, `and ${parts.length - shown.length} more`) : null];
}

function readings(event: JsonRecord): string {
  const found: string[] = [];
  const elements = event['sensorElementList'];
  if (!Array.isArray(elements)) return '';
  for (const sensor of elements.map(record)) {
    const reports = sensor['sensorReport'];
    if (!Array.isArray(reports)) continue;
    for (const report of reports.map(record)) {
      const value = report['value'];
      if (typeof value !== 'number') continue;
      const type = typeof report['type'] === 'string' ? report['type'].replace(/^.*[:/-]/, '') : '';
      const uom = typeof report['uom'] === 'string' ? report['uom'] : undefined;
      found.push(type === 'Temperature' ? formatCelsius(toCelsius(value, uom)) : `${type} ${value}${uom === undefined ? '' : ` ${uom}`}`);
    }
  }
  return found.join(', ');
}

function eventRow(event: JsonRecord): HTMLTableRowElement {
  const time = typeof event['eventTime'] === 'string' ? event['eventTime'] : undefined;
  const location = typeof record(event['bizLocation'])['id'] === 'string' ? (record(event['bizLocation'])['id'] as string) : typeof record(event['readPoint'])['id'] === 'string' ? (record(event['readPoint'])['id'] as string) : undefined;
  return element(
    'tr',
    { 'data-event-time': time ?? '' },
    cell(formatTime(time)),
    cell(element('div', {}, vocabulary(typeof event['bizStep'] === 'string' ? event['bizStep'] : undefined) || '—', element('div', { class: 'timeline-time' }, `${String(event['type'] ?? '')}${typeof event['action'] === 'string' ? ` ${event['action']}` : ''}`))),
    cell(element('div', {}, ...what(event))),
    cell(location === undefined ? '—' : element('span', { title: location }, shortUrn(location)), { narrowHidden: true }),
    cell(vocabulary(typeof event['disposition'] === 'string' ? event['disposition'] : undefined) || '—', { narrowHidden: true }),
    cell(readings(event), { numeric: true }),
  );
}

export async function renderEvents(page: Page, parameters: URLSearchParams): Promise<void> {
  const day = (name: string) => (/^\d{4}-\d{2}-\d{2}$/.test(parameters.get(name) ?? '') ? parameters.get(name)! : '');
  const from = day('from');
  const to = day('to');
  const bizStep = parameters.get('bizStep') ?? '';
  const epc = (parameters.get('epc') ?? '').trim();
  const pageToken = parameters.get('page') ?? undefined;

  const fromInput = element('input', { type: 'date', name: 'from', value: from, 'aria-label': 'From (first day)', 'data-testid': 'events-from' });
  const toInput = element('input', { type: 'date', name: 'to', value: to, 'aria-label': 'To (last day, inclusive)', 'data-testid': 'events-to' });
  const stepSelect = element('select', { name: 'bizStep', 'aria-label': 'Business step', 'data-testid': 'events-step' }, element('option', { value: '' }, 'any step'), ...BUSINESS_STEPS.map((step) => element('option', { value: step, selected: step === bizStep }, vocabulary(step))));
  const epcInput = element('input', { type: 'text', name: 'epc', value: epc, placeholder: 'an EPC or lot URN (optional)', 'aria-label': 'Identifier', spellcheck: 'false', 'data-testid': 'events-epc' });
  const form = element(
    'form',
    { class: 'range-form events-form', 'data-testid': 'events-filter' },
    element('label', {}, 'From ', fromInput),
    element('label', {}, 'to ', toInput),
    element('label', {}, 'Step ', stepSelect),
    element('label', { class: 'grow' }, 'Naming ', epcInput),
    element('button', { type: 'submit', class: 'button primary' }, 'Show events'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    if (fromInput.value !== '') next.set('from', fromInput.value);
    if (toInput.value !== '') next.set('to', toInput.value);
    if (stepSelect.value !== '') next.set('bizStep', stepSelect.value);
    if (epcInput.value.trim() !== '') next.set('epc', epcInput.value.trim());
    location.hash = `#/events${next.toString() === '' ? '' : `?${next.toString()}`}`;
  });

  const body = element('div', {}, element('div', { class: 'card-body' }, loading()));
  const period = from === '' && to === '' ? 'all dates' : formatPeriod(from, to);
  show(
    page,
    pageHeader({ eyebrow: 'Events', title: 'Recorded events', subtitle: 'The EPCIS 2.0 events on the ledger, by event time, business step and the identifiers they name. Days are in your time zone.' }),
    element('div', { class: 'search-hero' }, form),
    card({ title: 'Events', hint: period, flush: true, testId: 'events-card' }, body),
  );

  const criteria: Record<string, string | number | undefined> = {
    GE_eventTime: from === '' ? undefined : dayStart(from),
    LT_eventTime: to === '' ? undefined : dayStart(to, 1),
    EQ_bizStep: bizStep === '' ? undefined : bizStep,
    ...(epc === '' ? {} : epc.startsWith('urn:epc:class:') ? { MATCH_anyEPCClass: epc } : { MATCH_anyEPC: epc }),
    perPage: EVENTS_PER_PAGE,
    nextPageToken: pageToken,
  };
  try {
    const document = await getJson<EventsDocument>(`/v1/events${query(criteria)}`);
    const events = (document.epcisBody?.queryResults?.resultsBody?.eventList ?? []).map(record);
    const next = document['custodia:nextPageToken'];
    const nextParameters = new URLSearchParams(parameters);
    if (next !== undefined) nextParameters.set('page', next);
    const firstParameters = new URLSearchParams(parameters);
    firstParameters.delete('page');
    fill(
      page,
      body,
      events.length === 0 ? element('div', { class: 'card-body' }, empty(next === undefined ? 'No recorded event you may see matches.' : 'None on this page; there are more to look through.')) : element('div', { 'data-testid': 'events-table' }, table(['Event time', 'Step', 'What', { label: 'Where', narrowHidden: true }, { label: 'Disposition', narrowHidden: true }, { label: 'Reading', numeric: true }], events.map(eventRow))),
      next === undefined && pageToken === undefined
        ? null
        : element(
            'div',
            { class: 'pager' },
            pageToken === undefined ? element('span', {}) : routeLink(`/events${firstParameters.toString() === '' ? '' : `?${firstParameters.toString()}`}`, { class: 'button' }, '← First page'),
            next === undefined ? element('span', {}) : routeLink(`/events?${nextParameters.toString()}`, { class: 'button', 'data-testid': 'events-more' }, 'More events →'),
          ),
    );
  } catch (error) {
    fill(page, body, element('div', { class: 'card-body' }, failureView(error)));
  }
}
