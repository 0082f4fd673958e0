/// <reference lib="dom" />
/**
 * The start page: the search form, the certified head of the ledger, the latest blocks, and
 * lots and items recorded on the ledger to start from.
 */
import { getJson, query } from '../api.js';
import { badge, blockLink, card, cell, empty, failureView, hashLink, loading, table } from '../components.js';
import { element, routeLink } from '../dom.js';
import { formatTime, identifierKind, plural } from '../format.js';
import { fill, show, type Page } from '../page.js';
import type { BlockList, LedgerHead } from '../types.js';

export function searchForm(initial = ''): HTMLFormElement {
  const input = element('input', {
    type: 'search',
    name: 'query',
    value: initial,
    placeholder: 'urn:epc:class:lgtin:0614141.0012345.LOT42, an SGTIN, an SSCC or a transaction id',
    'aria-label': 'EPC, lot, class or transaction id',
    autocomplete: 'off',
    spellcheck: 'false',
    'data-testid': 'search-input',
  });
  const form = element('form', { class: 'search-form', role: 'search' }, input, element('button', { type: 'submit', class: 'button primary', 'data-testid': 'search-submit' }, 'Search'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = input.value.trim();
    if (value !== '') location.hash = `#/search/${encodeURIComponent(value)}`;
  });
  return form;
}

interface EventsDocument {
  epcisBody?: { queryResults?: { resultsBody?: { eventList?: Array<Record<string, unknown>> } } };
}

/** Identifiers commissioned by the first events of the ledger, as starting points. */
function commissionedIdentifiers(document: EventsDocument): string[] {
  const found: string[] = [];
  for (const event of document.epcisBody?.queryResults?.resultsBody?.eventList ?? []) {
    for (const entry of (event['quantityList'] as Array<{ epcClass?: unknown }> | undefined) ?? []) if (typeof entry.epcClass === 'string') found.push(entry.epcClass);
    for (const entry of (event['outputQuantityList'] as Array<{ epcClass?: unknown }> | undefined) ?? []) if (typeof entry.epcClass === 'string') found.push(entry.epcClass);
    for (const epc of (event['epcList'] as unknown[] | undefined) ?? []) if (typeof epc === 'string') found.push(epc);
  }
  return [...new Set(found)];
}

export async function renderHome(page: Page): Promise<void> {
  const stats = element('div', { class: 'stat-row' }, loading());
  const blocksBody = element('div', {}, loading());
  const examples = element('div', { class: 'examples', 'data-testid': 'examples' });
  show(
    page,
    element(
      'section',
      { class: 'search-hero' },
      element('h1', {}, 'Trace a lot, an item or a transaction'),
      element('p', {}, 'Search by EPC (SGTIN, SSCC), lot (LGTIN class), product class or transaction id. Every answer can be checked in this browser against the validators’ keys.'),
      searchForm(),
      examples,
    ),
    stats,
    card({ title: 'Latest blocks', actions: element('div', { class: 'actions' }, routeLink('/blocks?filter=transactions', { class: 'button' }, 'Blocks with transactions'), routeLink('/blocks', { class: 'button' }, 'Block explorer')), flush: true }, blocksBody),
  );

  const headLoad = getJson<LedgerHead>('/v1/ledger/head').then(
    (head) => {
      const stat = (label: string, value: string, mono = false) => element('div', { class: 'card stat' }, element('div', { class: 'stat-label' }, label), element('div', { class: mono ? 'stat-value mono' : 'stat-value' }, value));
      fill(
        page,
        stats,
        stat('Committed height', head.height.toLocaleString()),
        stat('Ledger entries', head.ledger.logSize.toLocaleString()),
        stat('Certified checkpoint', head.checkpoint === null ? 'none yet' : `#${head.checkpoint.header.height.toLocaleString()} · ${plural(head.checkpoint.certificate.signatures.length, 'signature')}`),
        stat('Chain', head.checkpoint?.header.chainId ?? '—', true),
      );
    },
    (error: unknown) => fill(page, stats, failureView(error)),
  );

  const blocksLoad = getJson<BlockList>(`/v1/blocks${query({ limit: 6 })}`).then(
    (list) => {
      const rows = [...list.blocks].reverse().map((block) =>
        element(
          'tr',
          { class: block.transactions.length === 0 ? 'quiet' : undefined },
          cell(blockLink(block.height)),
          cell(formatTime(block.header.timestamp)),
          cell(block.transactions.length === 0 ? '—' : block.transactions.length.toLocaleString(), { numeric: true }),
          cell(block.header.proposer, { narrowHidden: true }),
          cell(hashLink(`/blocks/${block.height}`, block.hash), { narrowHidden: true }),
        ),
      );
      fill(page, blocksBody, rows.length === 0 ? element('div', { class: 'card-body' }, empty('No blocks committed yet.')) : table(['Height', 'Time', { label: 'Transactions', numeric: true }, { label: 'Proposer', narrowHidden: true }, { label: 'Hash', narrowHidden: true }], rows));
    },
    (error: unknown) => fill(page, blocksBody, element('div', { class: 'card-body' }, failureView(error))),
  );

  // Needs a read credential; without one the page simply shows no starting points.
  const examplesLoad = getJson<EventsDocument>(`/v1/events${query({ EQ_bizStep: 'commissioning', perPage: 12 })}`).then(
    (document) => {
      const identifiers = commissionedIdentifiers(document).slice(0, 8);
      if (identifiers.length === 0) return;
      fill(
        page,
        examples,
        element('span', {}, 'On this ledger:'),
        ...identifiers.map((identifier) => routeLink(`/item/${encodeURIComponent(identifier)}`, { class: 'chip', title: `${identifierKind(identifier)} ${identifier}` }, identifier)),
      );
    },
    () => fill(page, examples, badge('Enter a read token to search', 'warn')),
  );
  await Promise.all([headLoad, blocksLoad, examplesLoad]);
}
