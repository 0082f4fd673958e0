/// <reference lib="dom" />
/**
 * The start page: the search form, the certified head of the ledger, the transparency log's
 * checkpoint as this browser verified it (log-watch.ts), the latest blocks, and
 * lots and items recorded on the ledger to start from (asked for only once a read token is entered).
 */
import { ApiFailure, getJson, query, readToken } from '../api.js';
import { badge, blockLink, card, cell, empty, failureView, hashLink, loading, table } from '../components.js';
import { element, routeLink } from '../dom.js';
import { formatTime, identifierKind, plural } from '../format.js';
import { fill, show, type Page } from '../page.js';
import type { BusyBlocks, LedgerHead } from '../types.js';
import { logWatchCard } from '../log-watch.js';

export function searchForm(initial = ''): HTMLFormElement {
  const input = element('input', {
    type: 'search',
    name: 'query',
    value: initial,
    placeholder: 'A lot code, a GTIN, part of an identifier, an EPC or a transaction id',
    'aria-label': 'Lot code, GTIN, identifier or transaction id',
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
      element('p', {}, 'Type a lot code (SALAD-7), a GTIN, part of an identifier, a full EPC or lot URN, a transaction id or a block height. Every answer can be checked in this browser against the validators’ keys.'),
      searchForm(),
      examples,
    ),
    stats,
    logWatchCard(),
    card({ title: 'Latest blocks with transactions', actions: element('div', { class: 'actions' }, routeLink('/blocks', { class: 'button' }, 'Block explorer'), routeLink('/blocks?filter=all', { class: 'button' }, 'All blocks')), flush: true, testId: 'home-blocks' }, blocksBody),
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

  const blocksLoad = getJson<BusyBlocks>(`/v1/blocks-with-transactions${query({ limit: 6 })}`).then(
    (list) => {
      const rows = list.blocks.map((block) =>
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
      fill(page, blocksBody, rows.length === 0 ? element('div', { class: 'card-body' }, empty('No block carries a transaction yet.')) : table(['Height', 'Time', { label: 'Transactions', numeric: true }, { label: 'Proposer', narrowHidden: true }, { label: 'Hash', narrowHidden: true }], rows));
    },
    (error: unknown) => fill(page, blocksBody, element('div', { class: 'card-body' }, failureView(error))),
  );

  // Needs a read credential: without one, nothing is asked of the node (no refused request), and the page says what to do.
  if (readToken() === '') {
    fill(page, examples, badge('Enter a read token to search', 'warn'));
    await Promise.all([headLoad, blocksLoad]);
    return;
  }
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
    (error: unknown) => fill(page, examples, badge(error instanceof ApiFailure && error.needsCredential ? 'The node refused your read token: enter a valid one' : 'Starting points could not be loaded', 'warn')),
  );
  await Promise.all([headLoad, blocksLoad, examplesLoad]);
}
