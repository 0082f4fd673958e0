/// <reference lib="dom" />
/**
 * The page of one lot (EPC class) or item (EPC): its one status and how it came to it, where it
 * is now, its timeline (the custody events and the rule-driven changes, quarantine, release,
 * recall, certificate, correction, in ledger order, each with who signed it and its
 * transaction), its temperature readings against its declared range, its trace back and forward
 * as graphs, the recalls that reach it, the approvals about it, and the exports a regulator asks
 * for. "Verify custody" fetches the state proof of its record (custodian, quarantine, recalls) and
 * checks it in this browser against the genesis keys, with the transaction pages' verifier panel
 * (verify.ts). The page prints as a report (styles.css, @media print).
 */
import { download, getJson, pathComponent, query } from '../api.js';
import { badge, blockLink, card, empty, facts, failureView, loading, notice, pageHeader, statusBadge, table, cell, transactionLink, type Tone } from '../components.js';
import { element, button, routeLink, type Child } from '../dom.js';
import {
  conditionOf,
  dayStart,
  formatCelsius,
  formatDay,
  formatPeriod,
  formatQuantity,
  formatTime,
  identifierKind,
  partyName,
  plural,
  shortHash,
  shortUrn,
  startOfDay,
  toCelsius,
  unitName,
  vocabulary,
  type Directory,
} from '../format.js';
import { fill, show, type Page } from '../page.js';
import { temperatureReadings, temperatureView } from '../temperature.js';
import { traceGraphView } from '../trace-graph.js';
import type { CustodyEvent, History, RecallScope, SearchResults, StateChange, TraceGraph, TracedRecord } from '../types.js';
import { genesisDirectory } from '../verification.js';
import { approvalsListed, approvalView } from './approvals.js';
import { proofVerifier } from './verify.js';
import { isClassIdentifier } from '../../../../contracts/rules/inventory.js';
import { stateKeys } from '../../../../contracts/state.js';

type Range = TracedRecord['temperatureRange'];

function itemLink(id: string, label: Child = id): HTMLAnchorElement {
  return routeLink(`/item/${encodeURIComponent(id)}`, { class: 'mono', title: id }, label);
}

function party(directory: Directory, id: string | undefined): HTMLElement {
  if (id === undefined) return element('span', {}, '—');
  return element('span', { title: id }, partyName(directory, id));
}

function names(directory: Directory, ids: readonly string[]): string {
  const named = ids.map((id) => partyName(directory, id));
  return named.length <= 1 ? (named[0] ?? 'nobody') : `${named.slice(0, -1).join(', ')} and ${named[named.length - 1]}`;
}

function capitalise(text: string): string {
  return text.length === 0 ? text : `${text[0]!.toUpperCase()}${text.slice(1)}`;
}

function stepTitle(event: CustodyEvent, directory: Directory): Child[] {
  const name = (id: string | undefined) => partyName(directory, id);
  switch (event.step) {
    case 'commissioned':
      return [`Commissioned by ${name(event.to ?? event.signers[0])}`];
    case 'produced':
      return [`Produced by ${name(event.to ?? event.signers[0])}`];
    case 'shipped':
      return [`Shipped by ${name(event.from)} to ${name(event.to)}`];
    case 'handed-over':
      return [`Handed over by ${name(event.from)} to ${name(event.to)}`];
    case 'received':
      return [`Received by ${name(event.to)} from ${name(event.from)}`];
    case 'packed':
      return [`Packed by ${name(event.signers[0])}`, event.via === undefined ? '' : ' (with its container)'];
    case 'unpacked':
      return [`Unpacked by ${name(event.signers[0])}`];
    case 'consumed':
      return [`Used as an input by ${name(event.signers[0])}`];
    case 'destroyed':
      return [`Taken out of use by ${name(event.signers[0])}`];
    case 'declared-in-error':
      return ['Correction: an earlier event declared in error'];
    case 'observed':
      return [event.bizStep === undefined ? 'Observed' : capitalise(vocabulary(event.bizStep)), ` by ${name(event.signers[0])}`];
  }
}

function outOfRange(event: CustodyEvent, range: Range): boolean {
  return event.readings.some((reading) => {
    if (reading.type !== 'Temperature' || range === undefined) return false;
    return [reading.value, reading.minValue, reading.maxValue].some((value) => value !== undefined && (toCelsius(value, reading.uom) < range.minimum || toCelsius(value, reading.uom) > range.maximum));
  });
}

function eventTone(event: CustodyEvent, range: Range): Tone {
  if (outOfRange(event, range) || event.step === 'destroyed') return 'bad';
  if (event.step === 'declared-in-error' || event.corrections.length > 0) return 'warn';
  if (event.step === 'handed-over' || event.step === 'received') return 'good';
  return 'neutral';
}

function signedBy(directory: Directory, signers: readonly string[], note?: string): HTMLElement {
  return element(
    'div',
    { class: 'timeline-meta' },
    element('span', {}, 'Signed by'),
    element('span', { class: 'signers' }, ...signers.map((signer) => element('span', { class: 'signer', title: signer }, partyName(directory, signer)))),
    note === undefined ? null : element('span', {}, note),
  );
}

function eventEntry(event: CustodyEvent, directory: Directory, range: Range): HTMLLIElement {
  const tone = eventTone(event, range);
  const details: Child[] = [];
  if (event.quantity !== undefined) details.push(formatQuantity(event.quantity.quantity, event.quantity.uom));
  if (event.disposition !== undefined) details.push(`now ${vocabulary(event.disposition)}`);
  for (const reading of event.readings) {
    const value = reading.value ?? reading.maxValue ?? reading.minValue;
    if (reading.type === 'Temperature' && value !== undefined) details.push(`${formatCelsius(toCelsius(value, reading.uom))}${tone === 'bad' ? ' — excursion' : ''}`);
    else if (value !== undefined) details.push(`${reading.type} ${value}${reading.uom === undefined ? '' : ` ${reading.uom}`}`);
  }
  if (event.via !== undefined) details.push(element('span', {}, 'in container ', itemLink(event.via, shortUrn(event.via))));
  const location = event.bizLocation ?? event.readPoint;
  return element(
    'li',
    { class: 'timeline-entry', 'data-tone': tone, 'data-kind': 'event', 'data-step': event.step },
    element('span', { class: 'timeline-dot', 'aria-hidden': 'true' }),
    element(
      'div',
      { class: 'timeline-heading' },
      element('span', { class: 'timeline-title' }, ...stepTitle(event, directory)),
      tone === 'bad' && event.readings.length > 0 ? badge('Temperature excursion', 'bad') : null,
      event.step === 'handed-over' ? badge('Both parties signed', 'good') : null,
      event.corrections.length > 0 ? badge('Corrected', 'warn') : null,
      element('time', { class: 'timeline-time', datetime: event.eventTime, title: `event time; recorded ${formatTime(event.recordedAt)}` }, formatTime(event.eventTime)),
    ),
    details.length === 0 ? null : element('div', { class: 'timeline-detail' }, ...details.flatMap((detail, index) => (index === 0 ? [detail] : [' · ', detail]))),
    element(
      'div',
      { class: 'timeline-meta' },
      location === undefined ? null : element('span', { title: location }, `at ${shortUrn(location)}`),
      element('span', {}, 'block ', blockLink(event.height)),
      element('span', {}, 'transaction ', transactionLink(event.txId, 8)),
    ),
    signedBy(directory, event.signers),
  );
}

const CHANGE_TONES: Record<StateChange['kind'], Tone> = { quarantined: 'warn', released: 'good', recalled: 'bad', certified: 'good', corrected: 'warn' };

function changeTitle(change: StateChange, directory: Directory): string {
  switch (change.kind) {
    case 'quarantined':
      return 'Quarantined by the consortium’s rules';
    case 'released':
      return `Released from quarantine by ${names(directory, change.signers)}`;
    case 'recalled':
      return `Recalled by ${names(directory, change.signers)}`;
    case 'certified':
      return `Certificate recorded: ${change.detail.replace(/[-_]/g, ' ')}`;
    case 'corrected':
      return 'Corrected';
  }
}

/** A recall's reason, and the recall's target when it reached this item from another: "(recall of urn:…)" as the rules write it. */
function recallDetail(detail: string): { reason: string; through?: string } {
  const match = /^(.*) \(recall of (\S+)\)$/s.exec(detail);
  return match === null ? { reason: detail } : { reason: match[1]!, through: match[2]! };
}

function changeDetail(change: StateChange): Child {
  if (change.kind === 'certified') return null;
  if (change.kind === 'quarantined') return capitalise(change.detail);
  if (change.kind !== 'recalled') return `“${change.detail}”`;
  const { reason, through } = recallDetail(change.detail);
  return element('span', {}, `“${reason}”`, through === undefined ? '' : element('span', {}, ' — through the recall of ', itemLink(through, shortUrn(through))));
}

function changeEntry(change: StateChange, directory: Directory): HTMLLIElement {
  const links: Child[] = [];
  if (change.kind === 'recalled' && change.reference !== undefined) links.push(routeLink(`/recalls/${change.reference}`, { 'data-testid': 'change-recall-link' }, 'the recall and its scope'));
  if (change.approvalId !== undefined) links.push(routeLink(`/approvals/${change.approvalId}`, { 'data-testid': 'change-approval-link' }, 'the approval and its signatures'));
  if (change.kind === 'certified' && change.reference !== undefined) links.push(element('span', { class: 'mono', title: change.reference }, `document ${shortHash(change.reference, 8)}`));
  const detail = changeDetail(change);
  const signerNote = change.kind === 'quarantined' ? '(the reading that caused it)' : change.approvalId !== undefined ? '(the last approval; the approval lists every signature)' : undefined;
  return element(
    'li',
    { class: 'timeline-entry change', 'data-tone': CHANGE_TONES[change.kind], 'data-kind': 'change', 'data-change': change.kind, 'data-testid': 'timeline-change' },
    element('span', { class: 'timeline-dot', 'aria-hidden': 'true' }),
    element(
      'div',
      { class: 'timeline-heading' },
      element('span', { class: 'timeline-title' }, changeTitle(change, directory)),
      badge(capitalise(change.kind), CHANGE_TONES[change.kind]),
      element('time', { class: 'timeline-time', datetime: new Date(change.recordedAt).toISOString(), title: 'block time: when the ledger recorded it' }, `recorded ${formatTime(change.recordedAt)}`),
    ),
    detail === null ? null : element('div', { class: 'timeline-detail', 'data-testid': 'change-detail' }, detail),
    element(
      'div',
      { class: 'timeline-meta' },
      ...links.map((link) => element('span', {}, link)),
      element('span', {}, 'block ', blockLink(change.height)),
      element('span', {}, 'transaction ', transactionLink(change.txId, 8)),
    ),
    signedBy(directory, change.signers, signerNote),
  );
}

type Entry = { kind: 'event'; event: CustodyEvent; order: [number, number, number] } | { kind: 'change'; change: StateChange; order: [number, number, number] };

/**
 * Events and changes in ledger order, the order the rules saw them in: a change follows the
 * events of the transaction that caused it (a quarantine right after its excursion reading).
 */
function ledgerOrder(history: History): Entry[] {
  const entries: Entry[] = [
    ...history.events.map((event, index): Entry => ({ kind: 'event', event, order: [event.height, event.position, index] })),
    ...history.changes.map((change, index): Entry => ({ kind: 'change', change, order: [change.height, change.position, history.events.length + index] })),
  ];
  return entries.sort((left, right) => left.order[0] - right.order[0] || left.order[1] - right.order[1] || left.order[2] - right.order[2]);
}

function timelineView(history: History, directory: Directory): HTMLElement {
  const range = history.current?.temperatureRange;
  const entries = ledgerOrder(history);
  if (entries.length === 0) return empty('No events or changes you may see name this item in this period.');
  const list = element('ol', { class: 'timeline', 'data-testid': 'custody-timeline' });
  // Days head the events they hold; a change sits under the day of the event before it.
  let day: number | undefined;
  let first: number | undefined;
  for (const entry of entries) {
    const at = entry.kind === 'event' ? Date.parse(entry.event.eventTime) : day === undefined ? entry.change.recordedAt : undefined;
    if (at !== undefined && !Number.isNaN(at) && startOfDay(at) !== day) {
      day = startOfDay(at);
      first ??= day;
      const dayNumber = Math.round((day - first) / 86_400_000) + 1;
      list.append(element('li', { class: 'timeline-day', 'data-testid': 'timeline-day' }, element('span', {}, formatDay(day)), element('span', { class: 'timeline-day-number' }, `day ${dayNumber}`)));
    }
    list.append(entry.kind === 'event' ? eventEntry(entry.event, directory, range) : changeEntry(entry.change, directory));
  }
  return list;
}

/** Quantities of a lot, each with its unit: "Metro Food Distribution 360 kg, Corner Grocer 120 kg". */
function holdingsView(record: TracedRecord, directory: Directory): Child {
  if (record.kind === 'instance') return party(directory, record.possessor);
  const entries = Object.entries(record.holdings ?? {}).filter(([, quantity]) => quantity > 0);
  if (entries.length === 0) return element('span', {}, 'nobody (all used or shipped)');
  return element('span', { 'data-testid': 'holdings' }, ...entries.flatMap(([holder, quantity], index) => [index === 0 ? '' : ', ', party(directory, holder), ` ${formatQuantity(quantity, record.unit)}`]));
}

/** The status, and how the item came to it: its rule-driven changes in order. */
function statusView(record: TracedRecord, changes: readonly StateChange[], directory: Directory): HTMLElement {
  const condition = conditionOf(record);
  const latestRecall = [...changes].reverse().find((change) => change.kind === 'recalled');
  const explanation: Child =
    condition === 'recalled'
      ? latestRecall === undefined
        ? element('span', {}, ` by ${plural(record.recalls.length, 'recall')}`)
        : element('span', {}, ` by ${names(directory, latestRecall.signers)}, ${formatTime(latestRecall.recordedAt)}`, element('div', { class: 'status-detail' }, changeDetail(latestRecall)))
      : condition === 'quarantined'
        ? element('div', { class: 'status-detail' }, capitalise(record.quarantine?.reason ?? ''))
        : null;
  return element('span', { 'data-testid': 'current-status' }, statusBadge(condition), explanation);
}

function statusHistory(changes: readonly StateChange[], directory: Directory): HTMLElement | null {
  if (changes.length === 0) return null;
  return element(
    'ol',
    { class: 'status-history', 'data-testid': 'status-history' },
    ...changes.map((change) =>
      element('li', { 'data-change': change.kind }, badge(capitalise(change.kind), CHANGE_TONES[change.kind]), ` ${formatTime(change.recordedAt)} · ${names(directory, change.signers)} · `, transactionLink(change.txId, 6)),
    ),
  );
}

function currentView(history: History, directory: Directory, product: HTMLElement): HTMLElement {
  const record = history.current;
  if (record === null) return empty('The consortium keeps no custody record for this identifier.');
  const rows: Array<readonly [string, Child]> = [
    ['Status', statusView(record, history.changes, directory)],
    ['Product', product],
    [record.kind === 'instance' ? 'Held by' : 'Held (quantity)', holdingsView(record, directory)],
  ];
  if (record.inTransit.length > 0) {
    rows.push([
      'In transit',
      element('span', {}, ...record.inTransit.flatMap((shipment, index) => [index === 0 ? '' : '; ', `${partyName(directory, shipment.from)} → ${partyName(directory, shipment.to)}${shipment.quantity === undefined ? '' : ` (${formatQuantity(shipment.quantity, record.unit)})`}`])),
    ]);
  }
  if (record.kind === 'class' && record.unit !== undefined) rows.push(['Counted in', `${unitName(record.unit)}${unitName(record.unit) === record.unit ? '' : ` (${record.unit})`}`]);
  rows.push(['Commissioned by', party(directory, record.commissionedBy)]);
  if (record.temperatureRange !== undefined) rows.push(['Allowed temperature', `${formatCelsius(record.temperatureRange.minimum)} to ${formatCelsius(record.temperatureRange.maximum)}`]);
  rows.push(['Excursions', record.excursions === 0 ? 'none' : element('span', {}, badge(plural(record.excursions, 'excursion'), 'bad'))]);
  if (record.parent !== undefined) rows.push(['Packed in', itemLink(record.parent, shortUrn(record.parent))]);
  if ((record.containers ?? []).length > 0) rows.push(['In containers', element('span', {}, ...record.containers!.flatMap((container, index) => [index === 0 ? '' : ', ', itemLink(container, shortUrn(container))]))]);
  if (record.children.length > 0) rows.push(['Contains', element('span', {}, ...record.children.flatMap((child, index) => [index === 0 ? '' : ', ', itemLink(child, shortUrn(child))]))]);
  if (record.derivedFrom.length > 0) rows.push(['Made from', element('span', {}, ...record.derivedFrom.flatMap((input, index) => [index === 0 ? '' : ', ', itemLink(input, shortUrn(input))]))]);
  if (record.derivedInto.length > 0) rows.push(['Made into', element('span', {}, ...record.derivedInto.flatMap((output, index) => [index === 0 ? '' : ', ', itemLink(output, shortUrn(output))]))]);
  const changesSeen = statusHistory(history.changes, directory);
  if (changesSeen !== null) rows.push(['Status history', changesSeen]);
  return facts(rows);
}

function holderText(member: RecallScope['members'][number], directory: Directory): string {
  if ('redacted' in member) return 'not shared with you';
  if (member.inTransit.length > 0) return `in transit to ${member.inTransit.map((shipment) => `${partyName(directory, shipment.to)}${shipment.quantity === undefined ? '' : ` (${formatQuantity(shipment.quantity, member.unit)})`}`).join(', ')}`;
  if (member.kind === 'instance') return partyName(directory, member.possessor);
  const holders = Object.entries(member.holdings ?? {}).filter(([, quantity]) => quantity > 0);
  return holders.length === 0 ? `nobody (${member.status === 'consumed' ? 'all used' : 'none left'})` : holders.map(([holder, quantity]) => `${partyName(directory, holder)} (${formatQuantity(quantity, member.unit)})`).join(', ');
}

/** The spreadsheet of a recall's scope: fetched with the credential and handed over as a file. */
export function recallCsvButton(recall: RecallScope, status: HTMLElement): HTMLButtonElement {
  return button('Download scope as CSV', { class: 'button', 'data-testid': 'recall-csv' }, () => {
    status.textContent = '';
    download(`/v1/recalls/${recall.recallId}/scope.csv`, `recall-${recall.recallId.slice(0, 12)}.csv`, 'text/csv').catch((error: unknown) => {
      status.textContent = `Download failed: ${(error as Error).message}`;
    });
  });
}

export function recallView(recall: RecallScope, directory: Directory, subject?: string): HTMLElement {
  const rows = recall.members.map((member) =>
    element(
      'tr',
      { 'data-member': member.id },
      cell(member.id === subject ? element('strong', {}, itemLink(member.id, shortUrn(member.id))) : itemLink(member.id, shortUrn(member.id))),
      cell(identifierKind(member.id), { narrowHidden: true }),
      // Everything in a recall's scope is recalled: one status, whatever else it was.
      cell(statusBadge('recalled')),
      cell(holderText(member, directory)),
      cell('redacted' in member || !member.quarantined ? '' : badge('Also quarantined', 'warn')),
    ),
  );
  const status = element('span', { class: 'hint', role: 'status' });
  return element(
    'div',
    { 'data-testid': 'recall-scope', 'data-recall': recall.recallId },
    element(
      'div',
      { class: 'card-body' },
      facts([
        ['Reason', recall.reason],
        ['Target', itemLink(recall.target, shortUrn(recall.target))],
        ['Issued by', element('span', {}, recall.issuedBy.map((id) => partyName(directory, id)).join(' and '))],
        ['When', element('span', {}, formatTime(recall.timestamp), ' · block ', blockLink(recall.height))],
        ['Recall', routeLink(`/recalls/${recall.recallId}`, { class: 'mono', title: recall.recallId, 'data-testid': 'recall-link' }, shortHash(recall.recallId, 16))],
        ['Reaches', plural(recall.scope.length, 'identifier')],
      ]),
      element('div', { class: 'actions' }, recallCsvButton(recall, status), status),
    ),
    table(['Recalled', { label: 'Kind', narrowHidden: true }, 'Status', 'Where it is now', ''], rows),
  );
}

function rangeForm(epc: string, from: string, to: string): HTMLFormElement {
  const fromInput = element('input', { type: 'date', name: 'from', value: from, 'aria-label': 'From (first day)', 'data-testid': 'history-from' });
  const toInput = element('input', { type: 'date', name: 'to', value: to, 'aria-label': 'To (last day, inclusive)', 'data-testid': 'history-to' });
  const form = element(
    'form',
    { class: 'range-form', 'data-testid': 'history-range' },
    element('label', {}, 'From ', fromInput),
    element('label', {}, 'to ', toInput),
    element('button', { type: 'submit', class: 'button' }, 'Show'),
    from === '' && to === '' ? null : routeLink(`/item/${encodeURIComponent(epc)}`, { class: 'button', 'data-testid': 'history-range-clear' }, 'All dates'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const parameters = new URLSearchParams();
    if (fromInput.value !== '') parameters.set('from', fromInput.value);
    if (toInput.value !== '') parameters.set('to', toInput.value);
    const search = parameters.toString();
    location.hash = `#/item/${encodeURIComponent(epc)}${search === '' ? '' : `?${search}`}`;
  });
  return form;
}

function traceLegend(): HTMLElement {
  return element('div', { class: 'graph-legend' }, element('span', {}, element('span', { class: 'legend-swatch' }), 'made into'), element('span', {}, element('span', { class: 'legend-swatch dashed' }), 'packed in'));
}

/**
 * The item's or lot's state record proven against the state root of the last certified
 * checkpoint: present with its value, or absent, and the height it is proven at.
 */
function stateVerifyCard(epc: string): HTMLElement {
  const key = isClassIdentifier(epc) ? stateKeys.lot(epc) : stateKeys.item(epc);
  const verifier = proofVerifier();
  const status = element('div', { class: 'hint', role: 'status' });
  const verify = button('Verify in this browser', { class: 'button primary', 'data-testid': 'verify-state-button' }, () => {
    status.textContent = 'Fetching its state proof…';
    getJson<unknown>(`/v1/proofs/state/${pathComponent(key)}`).then(
      (proof) => {
        status.textContent = '';
        verifier.setProof(proof, `custodia-state-proof-${epc.replace(/[^A-Za-z0-9._-]+/g, '_')}.json`);
        return verifier.verifyText();
      },
      (error: unknown) => {
        status.replaceChildren(failureView(error));
      },
    );
  });
  // An interactive check, not part of the printed report.
  return element(
    'div',
    { class: 'screen-only' },
    card(
      { title: 'Verify custody', hint: `${key}, proven against a certified state root`, testId: 'state-verify-card' },
      element('div', { class: 'actions verify-actions' }, verify),
      status,
      verifier.verdictArea,
      element('details', {}, element('summary', {}, 'Proof document'), verifier.editor),
    ),
  );
}

export async function renderItem(page: Page, epc: string, parameters: URLSearchParams = new URLSearchParams()): Promise<void> {
  show(page, loading(`Loading ${epc}…`));
  const fromDay = /^\d{4}-\d{2}-\d{2}$/.test(parameters.get('from') ?? '') ? parameters.get('from')! : '';
  const toDay = /^\d{4}-\d{2}-\d{2}$/.test(parameters.get('to') ?? '') ? parameters.get('to')! : '';
  const filtered = fromDay !== '' || toDay !== '';
  const historyPath = `/v1/items/${pathComponent(epc)}/history`;
  // Days in this browser's time zone, as the page shows times: from its first instant, to the first instant after it.
  const rangeQuery = query({ from: fromDay === '' ? undefined : dayStart(fromDay), to: toDay === '' ? undefined : dayStart(toDay, 1) });
  const [history, period, known] = await Promise.all([getJson<History>(historyPath), filtered ? getJson<History>(`${historyPath}${rangeQuery}`) : undefined, genesisDirectory()]);
  if (page.stale()) return;
  const shown = period ?? history;
  const record = history.current;
  const directory: Directory = { ...known, ...history.participants, ...shown.participants };
  const condition = record === null ? undefined : conditionOf(record);

  const exportStatus = element('span', { class: 'hint', role: 'status' });
  const exportButton = (label: string, path: string, fileName: string, accept: string) =>
    button(label, { class: 'button', 'data-testid': `export-${accept === 'text/csv' ? 'fsma204' : 'epcis'}` }, () => {
      exportStatus.textContent = '';
      download(path, fileName, accept).catch((error: unknown) => {
        exportStatus.textContent = `Export failed: ${(error as Error).message}`;
      });
    });
  const safeName = epc.replace(/[^A-Za-z0-9._-]+/g, '_');
  const product = element('span', { 'data-testid': 'product' }, element('span', { class: 'timeline-time' }, 'not described in its maker’s master data'));
  const subtitleProduct = element('span', {});
  const header = pageHeader({
    eyebrow: identifierKind(epc),
    title: epc,
    identifier: true,
    subtitle:
      record === null
        ? undefined
        : element('span', {}, subtitleProduct, `Commissioned by ${partyName(directory, record.commissionedBy)} · ${plural(history.events.length, 'recorded event')}${history.changes.length === 0 ? '' : ` and ${plural(history.changes.length, 'rule-driven change')}`}${history.truncated ? ' (truncated)' : ''}`),
    badges: record === null ? [] : [statusBadge(condition, { 'data-testid': 'item-status' }), record.excursions > 0 ? badge(plural(record.excursions, 'temperature excursion'), 'bad') : null],
    actions: [
      button('Print report', { class: 'button', 'data-testid': 'print-report' }, () => window.print()),
      exportButton('Export EPCIS JSON', `/v1/exports/epcis${query({ epc })}`, `${safeName}.jsonld`, 'application/ld+json'),
      exportButton('Export FSMA 204 CSV', `/v1/exports/fsma204.csv${query({ epc })}`, `${safeName}-fsma204.csv`, 'text/csv'),
      exportStatus,
    ],
  });

  const readings = temperatureReadings(shown.events, record?.temperatureRange);
  const traceBack = element('div', {}, loading());
  const traceForward = element('div', {}, loading());
  const recallBody = element('div', {}, loading());
  const approvalsBody = element('div', { class: 'card-body' }, loading('Looking for approvals about this item…'));
  const recallCount = record?.recalls.length ?? 0;
  const periodText = filtered ? formatPeriod(fromDay, toDay) : undefined;

  show(
    page,
    element('div', { class: 'print-only print-heading' }, `Custodia audit report · printed ${formatTime(Date.now())} from ${location.host}`),
    header,
    recallCount > 0
      ? notice(
          'bad',
          'This item is recalled',
          element('p', {}, 'Holders must stop using and shipping it. ', ...record!.recalls.flatMap((recallId, index) => [index === 0 ? '' : ', ', routeLink(`/recalls/${recallId}`, { 'data-testid': 'recalled-notice-link' }, recallCount === 1 ? 'The recall' : `recall ${shortHash(recallId, 6)}`)]), ' lists everything it reaches and who holds it now.'),
        )
      : null,
    condition === 'quarantined' ? notice('warn', 'This item is quarantined', element('p', {}, `${record!.quarantine?.reason ?? ''}. It cannot be shipped until a laboratory, inspector or regulator releases it.`)) : null,
    element(
      'div',
      { class: 'grid' },
      card(
        { title: 'Timeline', hint: periodText === undefined ? 'custody events and rule-driven changes, in ledger order, with who signed each' : periodText, span: 7, testId: 'timeline-card' },
        rangeForm(epc, fromDay, toDay),
        timelineView(shown, directory),
      ),
      element(
        'div',
        { class: 'span-5 stack' },
        card({ title: 'Now', hint: 'custody as the ledger stands', testId: 'current-card' }, currentView(history, directory, product)),
        stateVerifyCard(epc),
        card({ title: 'Temperature', hint: record?.temperatureRange === undefined ? 'no range declared' : `allowed ${formatCelsius(record.temperatureRange.minimum)} to ${formatCelsius(record.temperatureRange.maximum)}`, flush: true, testId: 'temperature-card' }, ...temperatureView(readings, record?.temperatureRange, directory)),
      ),
      card({ title: 'Trace back', hint: 'what it was made from and what it contains', span: 6, testId: 'trace-back-card' }, traceBack),
      card({ title: 'Trace forward', hint: 'what was made from it and what carried it', span: 6, testId: 'trace-forward-card' }, traceForward),
      recallCount > 0 ? card({ title: recallCount === 1 ? 'Recall' : `Recalls (${recallCount})`, span: 12, flush: true, testId: 'recall-card' }, recallBody) : null,
      card({ title: 'Approvals', hint: 'multi-party sign-offs about it, any age or status', span: 12, testId: 'approvals-card' }, approvalsBody),
    ),
  );

  const productLoad = async () => {
    try {
      const found = await getJson<SearchResults>(`/v1/search${query({ q: epc, limit: 5 })}`);
      const description = found.results.find((result) => result.id === epc)?.description;
      if (description === undefined) return;
      fill(page, product, description);
      fill(page, subtitleProduct, `${description} · `);
    } catch {
      // The product's name is a courtesy; the page stands without it.
    }
  };

  const traceLoad = async (direction: 'back' | 'forward', target: HTMLElement) => {
    try {
      const graph = await getJson<TraceGraph>(`/v1/items/${pathComponent(epc)}/trace${query({ direction })}`);
      const lonely = graph.nodes.length <= 1;
      fill(
        page,
        target,
        lonely ? empty(direction === 'back' ? 'Nothing: it was not made from anything recorded here and contains nothing.' : 'Nothing yet: nothing was made from it and it travels in no container.') : traceGraphView(graph),
        lonely ? null : traceLegend(),
        graph.truncated ? notice('warn', 'Trace truncated', element('p', {}, 'The trace reached its size limit.')) : null,
      );
      // A trace back ends at this item, on the right: a graph wider than its card opens there.
      const frame = target.querySelector<HTMLElement>('.graph-frame');
      if (direction === 'back' && frame !== null) frame.scrollLeft = frame.scrollWidth;
    } catch (error) {
      fill(page, target, failureView(error));
    }
  };

  const recallLoad = async () => {
    if (record === null || recallCount === 0) return;
    try {
      const recalls = await Promise.all(record.recalls.map((recallId) => getJson<RecallScope>(`/v1/recalls/${recallId}/scope`)));
      fill(page, recallBody, ...recalls.map((recall) => recallView(recall, directory, epc)));
    } catch (error) {
      fill(page, recallBody, element('div', { class: 'card-body' }, failureView(error)));
    }
  };

  const approvalsLoad = async () => {
    try {
      const found = await approvalsListed({ subject: epc });
      fill(
        page,
        approvalsBody,
        found.approvals.length === 0 ? empty('No approval request is about this item.') : null,
        ...found.approvals.map((approval) => approvalView(approval, directory)),
        found.complete ? null : notice('warn', 'More approval requests', element('p', {}, 'This item has more approval requests than one page lists.')),
      );
    } catch (error) {
      fill(page, approvalsBody, failureView(error));
    }
  };

  await Promise.all([productLoad(), traceLoad('back', traceBack), traceLoad('forward', traceForward), recallLoad(), approvalsLoad()]);
}
