/// <reference lib="dom" />
/**
 * The page of one lot (EPC class) or item (EPC): where it is now, its custody timeline (who,
 * where, when, which parties signed), its temperature readings against its declared range, its
 * trace back and forward as graphs, the recalls that reach it, the approvals that concern it,
 * and the exports a regulator asks for.
 */
import { download, getJson, pathComponent, query } from '../api.js';
import { badge, blockLink, card, cell, empty, facts, failureView, loading, notice, pageHeader, table, transactionLink, type Tone } from '../components.js';
import { button, element, routeLink, type Child } from '../dom.js';
import { formatCelsius, formatQuantity, formatTime, identifierKind, partyName, plural, shortUrn, toCelsius, vocabulary, type Directory } from '../format.js';
import { fill, show, type Page } from '../page.js';
import { temperatureReadings, temperatureView } from '../temperature.js';
import { traceGraphView } from '../trace-graph.js';
import type { CustodyEvent, History, RecallScope, TraceGraph, TracedRecord } from '../types.js';
import { genesisDirectory } from '../verification.js';
import { approvalsConcerning, approvalView } from './approvals.js';

type Range = TracedRecord['temperatureRange'];

function itemLink(id: string, label: Child = id): HTMLAnchorElement {
  return routeLink(`/item/${encodeURIComponent(id)}`, { class: 'mono', title: id }, label);
}

function party(directory: Directory, id: string | undefined): HTMLElement {
  if (id === undefined) return element('span', {}, '—');
  return element('span', { title: id }, partyName(directory, id));
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
      return ['Packed', event.via === undefined ? '' : ' (with its container)'];
    case 'unpacked':
      return ['Unpacked'];
    case 'consumed':
      return [`Used as an input by ${name(event.signers[0])}`];
    case 'destroyed':
      return [`Taken out of use by ${name(event.signers[0])}`];
    case 'declared-in-error':
      return ['Correction: an earlier event declared in error'];
    case 'observed':
      return [event.bizStep === undefined ? 'Observed' : `${capitalise(vocabulary(event.bizStep))}`, ` by ${name(event.signers[0])}`];
  }
}

function capitalise(text: string): string {
  return text.length === 0 ? text : `${text[0]!.toUpperCase()}${text.slice(1)}`;
}

function eventTone(event: CustodyEvent, range: Range): Tone {
  const excursion = event.readings.some((reading) => {
    if (reading.type !== 'Temperature' || range === undefined) return false;
    return [reading.value, reading.minValue, reading.maxValue].some((value) => value !== undefined && (toCelsius(value, reading.uom) < range.minimum || toCelsius(value, reading.uom) > range.maximum));
  });
  if (excursion || event.step === 'destroyed') return 'bad';
  if (event.step === 'declared-in-error' || event.corrections.length > 0) return 'warn';
  if (event.step === 'handed-over' || event.step === 'received') return 'good';
  return 'neutral';
}

function timelineView(history: History): HTMLElement {
  const directory = history.participants;
  const range = history.current?.temperatureRange;
  if (history.events.length === 0) return empty('No events you may see name this item.');
  const list = element('ol', { class: 'timeline', 'data-testid': 'custody-timeline' });
  for (const event of history.events) {
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
    const meta: Child[] = [
      location === undefined ? null : element('span', { title: location }, `at ${shortUrn(location)}`),
      element('span', {}, 'block ', blockLink(event.height)),
      element('span', {}, 'transaction ', transactionLink(event.txId, 8)),
    ];
    const entry = element(
      'li',
      { class: 'timeline-entry', 'data-tone': tone, 'data-step': event.step },
      element('span', { class: 'timeline-dot', 'aria-hidden': 'true' }),
      element(
        'div',
        { class: 'timeline-heading' },
        element('span', { class: 'timeline-title' }, ...stepTitle(event, directory)),
        tone === 'bad' && event.readings.length > 0 ? badge('Temperature excursion', 'bad') : null,
        event.step === 'handed-over' ? badge('Both parties signed', 'good') : null,
        event.corrections.length > 0 ? badge('Corrected', 'warn') : null,
        element('span', { class: 'timeline-time' }, formatTime(event.eventTime)),
      ),
      details.length === 0 ? null : element('div', { class: 'timeline-detail' }, ...details.flatMap((detail, index) => (index === 0 ? [detail] : [' · ', detail]))),
      element('div', { class: 'timeline-meta' }, ...meta),
      element('div', { class: 'timeline-meta' }, element('span', {}, 'Signed by'), element('span', { class: 'signers' }, ...event.signers.map((signer) => element('span', { class: 'signer', title: signer }, partyName(directory, signer))))),
    );
    list.append(entry);
  }
  return list;
}

function holdingsView(record: TracedRecord, directory: Directory): Child {
  if (record.kind === 'instance') return party(directory, record.possessor);
  const entries = Object.entries(record.holdings ?? {}).filter(([, quantity]) => quantity > 0);
  if (entries.length === 0) return element('span', {}, 'nobody (all used or shipped)');
  return element('span', {}, ...entries.flatMap(([holder, quantity], index) => [index === 0 ? '' : ', ', party(directory, holder), ` ${quantity.toLocaleString()}`]));
}

function currentView(history: History): HTMLElement {
  const record = history.current;
  const directory = history.participants;
  if (record === null) return empty('The consortium keeps no custody record for this identifier.');
  const rows: Array<readonly [string, Child]> = [
    ['Status', record.status],
    [record.kind === 'instance' ? 'Held by' : 'Held (quantity)', holdingsView(record, directory)],
  ];
  if (record.inTransit.length > 0) {
    rows.push(['In transit', element('span', {}, ...record.inTransit.flatMap((shipment, index) => [index === 0 ? '' : '; ', `${partyName(directory, shipment.from)} → ${partyName(directory, shipment.to)}${shipment.quantity === undefined ? '' : ` (${shipment.quantity.toLocaleString()})`}`]))]);
  }
  rows.push(['Commissioned by', party(directory, record.commissionedBy)]);
  if (record.temperatureRange !== undefined) rows.push(['Allowed temperature', `${formatCelsius(record.temperatureRange.minimum)} to ${formatCelsius(record.temperatureRange.maximum)}`]);
  rows.push(['Excursions', record.excursions === 0 ? 'none' : element('span', {}, badge(plural(record.excursions, 'excursion'), 'bad'))]);
  if (record.quarantine !== undefined) rows.push(['Quarantine', element('span', {}, badge('Quarantined', 'warn'), ` ${record.quarantine.reason}`)]);
  if (record.parent !== undefined) rows.push(['Packed in', itemLink(record.parent, shortUrn(record.parent))]);
  if (record.children.length > 0) rows.push(['Contains', element('span', {}, ...record.children.flatMap((child, index) => [index === 0 ? '' : ', ', itemLink(child, shortUrn(child))]))]);
  if (record.derivedFrom.length > 0) rows.push(['Made from', element('span', {}, ...record.derivedFrom.flatMap((input, index) => [index === 0 ? '' : ', ', itemLink(input, shortUrn(input))]))]);
  if (record.derivedInto.length > 0) rows.push(['Made into', element('span', {}, ...record.derivedInto.flatMap((output, index) => [index === 0 ? '' : ', ', itemLink(output, shortUrn(output))]))]);
  return facts(rows);
}

function holderText(member: RecallScope['members'][number], directory: Directory): string {
  if ('redacted' in member) return 'not shared with you';
  if (member.inTransit.length > 0) return `in transit to ${member.inTransit.map((shipment) => partyName(directory, shipment.to)).join(', ')}`;
  if (member.kind === 'instance') return partyName(directory, member.possessor);
  const holders = Object.entries(member.holdings ?? {}).filter(([, quantity]) => quantity > 0);
  return holders.length === 0 ? '—' : holders.map(([holder, quantity]) => `${partyName(directory, holder)} (${quantity.toLocaleString()})`).join(', ');
}

export function recallView(recall: RecallScope, directory: Directory, subject?: string): HTMLElement {
  const rows = recall.members.map((member) =>
    element(
      'tr',
      { 'data-member': member.id },
      cell(member.id === subject ? element('strong', {}, itemLink(member.id, shortUrn(member.id))) : itemLink(member.id, shortUrn(member.id))),
      cell(identifierKind(member.id), { narrowHidden: true }),
      cell('redacted' in member ? '—' : member.status),
      cell(holderText(member, directory)),
      cell('redacted' in member || !member.quarantined ? '' : badge('Quarantined', 'warn')),
    ),
  );
  return element(
    'div',
    { 'data-testid': 'recall-scope' },
    element(
      'div',
      { class: 'card-body' },
      facts([
        ['Reason', recall.reason],
        ['Target', itemLink(recall.target, shortUrn(recall.target))],
        ['Issued by', element('span', {}, recall.issuedBy.map((id) => partyName(directory, id)).join(' and '))],
        ['When', element('span', {}, formatTime(recall.timestamp), ' · block ', blockLink(recall.height))],
        ['Recall id', routeLink(`/recalls/${recall.recallId}`, { class: 'mono' }, recall.recallId)],
      ]),
    ),
    table(['Recalled', { label: 'Kind', narrowHidden: true }, 'Status', 'Where it is now', ''], rows),
  );
}

export async function renderItem(page: Page, epc: string): Promise<void> {
  show(page, loading(`Loading ${epc}…`));
  const [history, known] = await Promise.all([getJson<History>(`/v1/items/${pathComponent(epc)}/history`), genesisDirectory()]);
  if (page.stale()) return;
  const record = history.current;
  const directory: Directory = { ...known, ...history.participants };

  const statusBadges: Child[] = [];
  if (record !== null) {
    if (record.recalls.length > 0) statusBadges.push(badge('Recalled', 'bad', { 'data-testid': 'badge-recalled' }));
    if (record.quarantine !== undefined) statusBadges.push(badge('Quarantined', 'warn'));
    if (record.excursions > 0) statusBadges.push(badge(plural(record.excursions, 'temperature excursion'), 'bad'));
    statusBadges.push(badge(record.status, record.status === 'active' ? 'good' : 'neutral'));
  }
  const exportStatus = element('span', { class: 'hint', role: 'status' });
  const exportButton = (label: string, path: string, fileName: string, accept: string) =>
    button(label, { class: 'button', 'data-testid': `export-${accept === 'text/csv' ? 'fsma204' : 'epcis'}` }, () => {
      exportStatus.textContent = '';
      download(path, fileName, accept).catch((error: unknown) => {
        exportStatus.textContent = `Export failed: ${(error as Error).message}`;
      });
    });
  const safeName = epc.replace(/[^A-Za-z0-9._-]+/g, '_');
  const header = pageHeader({
    eyebrow: identifierKind(epc),
    title: epc,
    identifier: true,
    subtitle: record === null ? undefined : `Commissioned by ${partyName(directory, record.commissionedBy)} · ${plural(history.events.length, 'recorded event')}${history.truncated ? ' (truncated)' : ''}`,
    badges: statusBadges,
    actions: [
      exportButton('Export EPCIS JSON', `/v1/exports/epcis${query({ epc })}`, `${safeName}.jsonld`, 'application/ld+json'),
      exportButton('Export FSMA 204 CSV', `/v1/exports/fsma204.csv${query({ epc })}`, `${safeName}-fsma204.csv`, 'text/csv'),
      exportStatus,
    ],
  });

  const readings = temperatureReadings(history.events, record?.temperatureRange);
  const traceBack = element('div', {}, loading());
  const traceForward = element('div', {}, loading());
  const recallBody = element('div', {}, loading());
  const approvalsBody = element('div', { class: 'card-body' }, loading('Looking for approvals that concern this item…'));
  const recallCount = record?.recalls.length ?? 0;

  show(
    page,
    header,
    recallCount > 0 ? notice('bad', 'This item is recalled', element('p', {}, 'Holders must stop using and shipping it. The recall scope below lists everything the recall reaches and who holds it now.')) : null,
    element(
      'div',
      { class: 'grid' },
      card({ title: 'Custody timeline', hint: 'who, where, when, and who signed', span: 7, testId: 'timeline-card' }, timelineView(history)),
      element(
        'div',
        { class: 'span-5 stack' },
        card({ title: 'Now', hint: 'custody as the ledger stands', testId: 'current-card' }, currentView(history)),
        card({ title: 'Temperature', hint: record?.temperatureRange === undefined ? 'no range declared' : `allowed ${formatCelsius(record.temperatureRange.minimum)} to ${formatCelsius(record.temperatureRange.maximum)}`, flush: true, testId: 'temperature-card' }, ...temperatureView(readings, record?.temperatureRange, directory)),
      ),
      card({ title: 'Trace back', hint: 'what it was made from and what it contains', span: 6, testId: 'trace-back-card' }, traceBack),
      card({ title: 'Trace forward', hint: 'what was made from it and what carried it', span: 6, testId: 'trace-forward-card' }, traceForward),
      recallCount > 0 ? card({ title: recallCount === 1 ? 'Recall' : `Recalls (${recallCount})`, span: 12, flush: true, testId: 'recall-card' }, recallBody) : null,
      card({ title: 'Approvals', hint: 'multi-party sign-offs that concern it', span: 12, testId: 'approvals-card' }, approvalsBody),
    ),
  );

  const traceLoad = async (direction: 'back' | 'forward', target: HTMLElement) => {
    try {
      const graph = await getJson<TraceGraph>(`/v1/items/${pathComponent(epc)}/trace${query({ direction })}`);
      const lonely = graph.nodes.length <= 1;
      fill(
        page,
        target,
        lonely ? empty(direction === 'back' ? 'Nothing: it was not made from anything recorded here and contains nothing.' : 'Nothing yet: nothing was made from it and it travels in no container.') : traceGraphView(graph),
        lonely ? null : element('div', { class: 'graph-legend' }, element('span', {}, element('span', { class: 'legend-swatch' }), 'made into'), element('span', {}, element('span', { class: 'legend-swatch dashed' }), 'packed in')),
        graph.truncated ? notice('warn', 'Trace truncated', element('p', {}, 'The trace reached its size limit.')) : null,
      );
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
      const found = await approvalsConcerning(epc);
      fill(
        page,
        approvalsBody,
        found.approvals.length === 0 ? empty(`No approval request in the latest ${plural(found.blocksSearched, 'block')} concerns this item.`) : null,
        ...found.approvals.map((approval) => approvalView(approval, directory)),
      );
    } catch (error) {
      fill(page, approvalsBody, failureView(error));
    }
  };

  await Promise.all([traceLoad('back', traceBack), traceLoad('forward', traceForward), recallLoad(), approvalsLoad()]);
}
