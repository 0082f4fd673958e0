/// <reference lib="dom" />
/** Building blocks every page shares: cards, badges, fact lists, notices and error views. */
import { ApiFailure, readToken } from './api.js';
import { element, routeLink, type Child } from './dom.js';
import { CONDITION_LABELS, shortHash, type Condition } from './format.js';

export type Tone = 'good' | 'bad' | 'warn' | 'info' | 'neutral';

export function badge(label: string, tone: Tone = 'neutral', attributes: Record<string, string> = {}): HTMLSpanElement {
  return element('span', { class: tone === 'neutral' ? 'badge' : `badge ${tone}`, ...attributes }, label);
}

const CONDITION_TONES: Record<Condition, Tone> = { recalled: 'bad', quarantined: 'warn', active: 'good', consumed: 'neutral', destroyed: 'neutral' };

/** The one status of an item (format.ts conditionOf), wherever it is shown. */
export function statusBadge(condition: Condition | undefined, attributes: Record<string, string> = {}): HTMLSpanElement {
  if (condition === undefined) return badge('Unknown', 'neutral', { 'data-status': 'unknown', ...attributes });
  return badge(CONDITION_LABELS[condition], CONDITION_TONES[condition], { 'data-status': condition, ...attributes });
}

export function card(options: { title: string; hint?: Child; actions?: Child; span?: number; flush?: boolean; testId?: string }, ...body: Child[]): HTMLElement {
  const header = element('div', { class: 'card-header' }, element('h2', {}, options.title), options.hint === undefined ? null : element('span', { class: 'hint' }, options.hint), options.actions ?? null);
  return element(
    'section',
    { class: `card${options.span === undefined ? '' : ` span-${options.span}`}`, 'data-testid': options.testId },
    header,
    element('div', { class: options.flush === true ? 'card-body flush' : 'card-body' }, ...body),
  );
}

export function facts(entries: ReadonlyArray<readonly [string, Child]>): HTMLDListElement {
  const list = element('dl', { class: 'facts' });
  for (const [term, value] of entries) list.append(element('dt', {}, term), element('dd', {}, value));
  return list;
}

export function empty(text: string): HTMLParagraphElement {
  return element('p', { class: 'empty' }, text);
}

export function loading(text = 'Loading…'): HTMLDivElement {
  return element('div', { class: 'loading', role: 'status' }, text);
}

export function hashLink(route: string, value: string, keep = 10): HTMLAnchorElement {
  return routeLink(route, { class: 'mono', title: value }, shortHash(value, keep));
}

export function transactionLink(id: string, keep = 10): HTMLAnchorElement {
  return hashLink(`/tx/${id}`, id, keep);
}

export function blockLink(height: number): HTMLAnchorElement {
  return routeLink(`/blocks/${height}`, {}, `#${height.toLocaleString()}`);
}

export function table(headings: ReadonlyArray<string | { label: string; numeric?: boolean; narrowHidden?: boolean }>, rows: HTMLTableRowElement[]): HTMLDivElement {
  const headRow = element('tr');
  for (const heading of headings) {
    const spec = typeof heading === 'string' ? { label: heading } : heading;
    const classes = [spec.numeric === true ? 'numeric' : '', spec.narrowHidden === true ? 'hide-narrow' : ''].filter(Boolean).join(' ');
    headRow.append(element('th', { scope: 'col', class: classes || undefined }, spec.label));
  }
  return element('div', { class: 'table-wrap' }, element('table', {}, element('thead', {}, headRow), element('tbody', {}, ...rows)));
}

export function cell(content: Child, options: { numeric?: boolean; narrowHidden?: boolean; mono?: boolean } = {}): HTMLTableCellElement {
  const classes = [options.numeric === true ? 'numeric' : '', options.narrowHidden === true ? 'hide-narrow' : '', options.mono === true ? 'mono' : ''].filter(Boolean).join(' ');
  return element('td', { class: classes || undefined }, content);
}

export function notice(tone: 'bad' | 'warn' | 'neutral', title: string, ...body: Child[]): HTMLDivElement {
  return element('div', { class: tone === 'neutral' ? 'notice' : `notice ${tone}`, role: tone === 'bad' ? 'alert' : undefined }, element('h3', {}, title), ...body);
}

/** What a failed request means for the auditor, in words, with the API's own message. */
export function failureView(error: unknown): HTMLDivElement {
  if (error instanceof ApiFailure) {
    if (error.needsCredential && readToken() !== '') {
      return notice('bad', 'Your read token was refused', element('p', {}, `The node answered: ${error.message} (${error.code}). Enter a valid read token in the field at the top right.`));
    }
    if (error.needsCredential) {
      return notice('warn', 'A read credential is needed', element('p', {}, `Reading this needs a credential: ${error.message}. Enter your organisation's read token in the field at the top right; it is kept for this browser tab only.`));
    }
    if (error.status === 403) return notice('warn', 'Not visible to your organisation', element('p', {}, error.message));
    if (error.status === 404) return notice('neutral', 'Not found', element('p', {}, error.message));
    return notice('bad', `The node answered ${error.status === 0 ? 'nothing' : error.status} (${error.code})`, element('p', {}, error.message));
  }
  return notice('bad', 'Something went wrong', element('p', {}, error instanceof Error ? error.message : String(error)));
}

export function pageHeader(options: { eyebrow: string; title: Child; identifier?: boolean; subtitle?: Child; badges?: Child[]; actions?: Child[] }): HTMLElement {
  const heading = element('h1', { class: options.identifier === true ? 'identifier' : undefined }, options.title);
  return element(
    'div',
    { class: 'page-header' },
    element(
      'div',
      {},
      element('div', { class: 'eyebrow' }, options.eyebrow),
      heading,
      options.subtitle === undefined ? null : element('div', { class: 'subtitle' }, options.subtitle),
      options.badges === undefined || options.badges.length === 0 ? null : element('div', { class: 'badges' }, ...options.badges),
    ),
    options.actions === undefined ? null : element('div', { class: 'actions' }, ...options.actions),
  );
}

export function prettyJson(value: unknown): HTMLPreElement {
  return element('pre', { class: 'json' }, JSON.stringify(value, null, 2));
}
