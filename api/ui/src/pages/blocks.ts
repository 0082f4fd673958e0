/// <reference lib="dom" />
/**
 * The block explorer: the blocks that carry transactions (from the node's index, newest first,
 * a page at a time), every block in a range, a jump to any height, and one block with its
 * header, its transactions and their results, and the quorum certificate the validators signed
 * on it.
 * Blocks are public (headers, certificates and transaction ids carry no payload).
 */
import { getJson, query } from '../api.js';
import { badge, blockLink, card, cell, empty, facts, hashLink, loading, pageHeader, table, transactionLink } from '../components.js';
import { element, routeLink, type Child } from '../dom.js';
import { formatTime, plural, shortHash } from '../format.js';
import { show, type Page } from '../page.js';
import type { BlockList, BlockSummary, BusyBlocks, LedgerHead } from '../types.js';

const BLOCKS_PER_PAGE = 20;

function resultsSummary(block: BlockSummary): Child {
  const rejected = block.transactions.filter((transaction) => transaction.result.status === 'rejected').length;
  const accepted = block.transactions.length - rejected;
  if (block.transactions.length === 0) return element('span', { class: 'timeline-time' }, 'empty');
  return element('span', { class: 'badge-row' }, accepted > 0 ? badge(`${accepted} accepted`, 'good') : null, rejected > 0 ? badge(`${rejected} rejected`, 'bad') : null);
}

function pagerOf(newer: HTMLElement | null, older: HTMLElement | null): HTMLElement | null {
  if (newer === null && older === null) return null;
  return element('div', { class: 'pager' }, newer ?? element('span', {}), older ?? element('span', {}));
}

function blockRow(block: BlockSummary): HTMLTableRowElement {
  return element(
    'tr',
    { 'data-height': block.height, class: block.transactions.length === 0 ? 'quiet' : undefined },
    cell(blockLink(block.height)),
    cell(formatTime(block.header.timestamp)),
    cell(String(block.header.round), { numeric: true, narrowHidden: true }),
    cell(block.header.proposer, { narrowHidden: true }),
    cell(block.transactions.length === 0 ? '—' : block.transactions.length.toLocaleString(), { numeric: true }),
    cell(resultsSummary(block), { narrowHidden: true }),
    cell(`${block.certificate.signatures.length}`, { numeric: true, narrowHidden: true }),
    cell(hashLink(`/blocks/${block.height}`, block.hash, 8)),
  );
}

function jumpForm(head: number): HTMLFormElement {
  const input = element('input', { type: 'number', name: 'height', min: 1, max: Math.max(1, head), step: 1, placeholder: `1 to ${head.toLocaleString()}`, 'aria-label': 'Block height', 'data-testid': 'jump-height', inputmode: 'numeric' });
  const form = element('form', { class: 'jump-form', 'data-testid': 'jump-form' }, element('label', {}, 'Go to block ', input), element('button', { type: 'submit', class: 'button' }, 'Go'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const height = Number(input.value);
    if (Number.isSafeInteger(height) && height >= 1) location.hash = `#/blocks/${height}`;
  });
  return form;
}

const HEADINGS = ['Height', 'Time', { label: 'Round', numeric: true, narrowHidden: true }, { label: 'Proposer', narrowHidden: true }, { label: 'Transactions', numeric: true }, { label: 'Results', narrowHidden: true }, { label: 'QC signatures', numeric: true, narrowHidden: true }, 'Hash'];

export async function renderBlocks(page: Page, parameters: URLSearchParams): Promise<void> {
  show(page, loading());
  const allBlocks = parameters.get('filter') === 'all';
  const toggle = element(
    'div',
    { class: 'actions' },
    routeLink('/blocks', { class: allBlocks ? 'button' : 'button primary', 'aria-pressed': String(!allBlocks), 'data-testid': 'filter-transactions' }, 'With transactions'),
    routeLink('/blocks?filter=all', { class: allBlocks ? 'button primary' : 'button', 'aria-pressed': String(allBlocks), 'data-testid': 'filter-all' }, 'All blocks'),
  );
  const subtitle = (head: number) => `Head at height ${head.toLocaleString()}. Each block carries the quorum certificate its validators signed.`;

  if (!allBlocks) {
    const beforeParameter = Number(parameters.get('before'));
    const before = Number.isSafeInteger(beforeParameter) && beforeParameter > 1 ? beforeParameter : undefined;
    // The node's index of blocks that carry transactions: however many empty blocks lie between, none is missed.
    const result = await getJson<BusyBlocks>(`/v1/blocks-with-transactions${query({ before, limit: BLOCKS_PER_PAGE })}`);
    const pager = pagerOf(
      before === undefined ? null : routeLink('/blocks', { class: 'button', 'data-testid': 'blocks-newest' }, '← Newest'),
      result.before === undefined ? null : routeLink(`/blocks?before=${result.before}`, { class: 'button', 'data-testid': 'blocks-older' }, 'Older →'),
    );
    const newest = result.blocks[0]?.height;
    const oldest = result.blocks[result.blocks.length - 1]?.height;
    show(
      page,
      pageHeader({ eyebrow: 'Block explorer', title: 'Committed blocks', subtitle: subtitle(result.head), actions: [toggle, jumpForm(result.head)] }),
      card(
        { title: 'Blocks with transactions', hint: newest === undefined ? 'newest first' : `heights ${oldest!.toLocaleString()}–${newest.toLocaleString()}, newest first; empty blocks between are not listed`, flush: true, testId: 'block-list' },
        result.blocks.length === 0 ? element('div', { class: 'card-body' }, empty(before === undefined ? 'No block carries a transaction yet.' : 'No older block carries a transaction.')) : table(HEADINGS, result.blocks.map(blockRow)),
        pager,
      ),
    );
    return;
  }

  const fromParameter = Number(parameters.get('from'));
  const from = Number.isSafeInteger(fromParameter) && fromParameter >= 1 ? fromParameter : undefined;
  const list = await getJson<BlockList>(`/v1/blocks${query({ from, limit: BLOCKS_PER_PAGE })}`);
  const blocks = [...list.blocks].reverse();
  const oldest = list.blocks[0]?.height ?? 1;
  const newest = list.blocks[list.blocks.length - 1]?.height ?? 0;
  const pager = pagerOf(
    newest < list.head ? routeLink(`/blocks?filter=all&from=${Math.min(newest + 1, Math.max(1, list.head - BLOCKS_PER_PAGE + 1))}`, { class: 'button' }, '← Newer') : null,
    oldest > 1 ? routeLink(`/blocks?filter=all&from=${Math.max(1, oldest - BLOCKS_PER_PAGE)}`, { class: 'button' }, 'Older →') : null,
  );
  show(
    page,
    pageHeader({ eyebrow: 'Block explorer', title: 'Committed blocks', subtitle: subtitle(list.head), actions: [toggle, jumpForm(list.head)] }),
    card(
      { title: blocks.length === 0 ? 'No blocks' : `Blocks ${oldest.toLocaleString()}–${newest.toLocaleString()}`, flush: true, testId: 'block-list' },
      blocks.length === 0 ? element('div', { class: 'card-body' }, empty('No blocks committed yet.')) : table(HEADINGS, blocks.map(blockRow)),
      pager,
    ),
  );
}

export async function renderBlock(page: Page, height: number): Promise<void> {
  show(page, loading());
  const [block, head] = await Promise.all([getJson<BlockSummary>(`/v1/blocks/${height}`), getJson<LedgerHead>('/v1/ledger/head')]);
  const header = block.header;
  const transactions = block.transactions.map((transaction, position) =>
    element(
      'tr',
      {},
      cell(String(position), { numeric: true }),
      cell(transactionLink(transaction.id, 12)),
      cell(element('code', {}, transaction.type)),
      cell(transaction.result.status === 'accepted' ? badge('accepted', 'good') : element('span', {}, badge('rejected', 'bad'), ' ', element('code', {}, transaction.result.code), element('div', { class: 'timeline-time' }, transaction.result.message))),
    ),
  );
  const signatures = block.certificate.signatures.map((signature) => element('tr', {}, cell(signature.validator), cell(shortHash(signature.signature, 16), { mono: true })));
  show(
    page,
    pageHeader({
      eyebrow: 'Block',
      title: `Block ${height.toLocaleString()}`,
      subtitle: element('span', { class: 'mono' }, block.hash),
      badges: [badge(plural(block.transactions.length, 'transaction'), 'info'), badge(`certified by ${block.certificate.signatures.length}`, 'good')],
      actions: [
        height > 1 ? routeLink(`/blocks/${height - 1}`, { class: 'button' }, '← Previous') : null,
        height < head.height ? routeLink(`/blocks/${height + 1}`, { class: 'button' }, 'Next →') : null,
      ],
    }),
    element(
      'div',
      { class: 'grid' },
      card(
        { title: 'Header', span: 7, testId: 'block-header' },
        facts([
          ['Chain', element('span', { class: 'mono' }, header.chainId)],
          ['Height · round', `${header.height.toLocaleString()} · ${header.round.toLocaleString()}`],
          ['Time', formatTime(header.timestamp)],
          ['Proposer', header.proposer],
          ['Previous block', header.height > 1 ? routeLink(`/blocks/${header.height - 1}`, { class: 'mono', title: header.prevHash }, shortHash(header.prevHash, 16)) : element('span', { class: 'mono' }, `${shortHash(header.prevHash, 16)} (genesis)`)],
          ['Transaction root', element('span', { class: 'mono' }, header.txRoot)],
          ['Ledger as of', element('span', {}, header.ledgerHeight === 0 ? 'genesis' : blockLink(header.ledgerHeight), ` · ${plural(header.logSize, 'entry', 'entries')}`)],
          ['Log root', element('span', { class: 'mono' }, header.logRoot)],
          ['State root', element('span', { class: 'mono' }, header.stateRoot)],
        ]),
      ),
      card(
        { title: 'Quorum certificate', hint: `${plural(block.certificate.signatures.length, 'validator signature')} on the vote`, span: 5, flush: true, testId: 'block-certificate' },
        element('div', { class: 'card-body' }, facts([['Block hash', element('span', { class: 'mono' }, block.certificate.vote.blockHash)], ['Height · round', `${block.certificate.vote.height} · ${block.certificate.vote.round}`]])),
        table(['Validator', 'Signature'], signatures),
      ),
      card({ title: 'Transactions', span: 12, flush: true, testId: 'block-transactions' }, transactions.length === 0 ? element('div', { class: 'card-body' }, empty('An empty block: the chain advances even when nothing is submitted.')) : table([{ label: '#', numeric: true }, 'Transaction', 'Type', 'Result'], transactions)),
    ),
  );
}
