/**
 * How values read in the UI: times in the auditor's locale with the UTC offset spelled out,
 * long hashes shortened (the full value stays in the title and the link), CBV words as words,
 * and parties by name when the node told us the name.
 */

export type Directory = Record<string, { name: string; roles: readonly string[] }>;

const dateTime = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' });

export function formatTime(value: string | number | undefined): string {
  if (value === undefined || value === '') return '—';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : dateTime.format(date);
}

export function shortHash(value: string, keep = 10): string {
  return value.length <= keep * 2 + 1 ? value : `${value.slice(0, keep)}…${value.slice(-6)}`;
}

/** `shipping`, `in_transit`, `urn:epcglobal:cbv:bizstep:shipping` -> "shipping", "in transit". */
export function vocabulary(value: string | undefined): string {
  if (value === undefined) return '';
  const bare = value.replace(/^urn:epcglobal:cbv:[a-z]+:/, '').replace(/^https:\/\/ref\.gs1\.org\/cbv\/[A-Za-z]+-/, '');
  return bare.replace(/_/g, ' ');
}

export function partyName(directory: Directory, id: string | undefined): string {
  if (id === undefined) return '—';
  return directory[id]?.name ?? id;
}

/** The short, human part of a GS1 URN: `urn:epc:id:sgln:0614141.00001.0` -> `sgln 0614141.00001.0`. */
export function shortUrn(value: string): string {
  const match = /^urn:epc:(?:id|class|idpat):([a-z0-9]+):(.+)$/.exec(value);
  return match === null ? value : `${match[1]} ${match[2]}`;
}

/** The kind of thing an identifier names, for headings. */
export function identifierKind(value: string): string {
  if (value.startsWith('urn:epc:class:lgtin:')) return 'Lot';
  if (value.startsWith('urn:epc:class:')) return 'Product class';
  if (value.startsWith('urn:epc:idpat:')) return 'Class pattern';
  if (value.startsWith('urn:epc:id:sscc:')) return 'Logistic unit';
  if (value.startsWith('urn:epc:id:')) return 'Item';
  return 'Identifier';
}

export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count.toLocaleString()} ${count === 1 ? singular : pluralForm}`;
}

/** The common UN/CEFACT Recommendation 20 codes EPCIS quantities use, as people write them; any other code is shown as it is. */
const UNITS: Record<string, string> = { KGM: 'kg', GRM: 'g', TNE: 't', LTR: 'L', EA: 'each', H87: 'each' };

export function unitName(uom: string | undefined): string | undefined {
  return uom === undefined ? undefined : (UNITS[uom] ?? uom);
}

/** `120` KGM -> "120 kg"; without a unit, the bare number. */
export function formatQuantity(quantity: number, uom: string | undefined): string {
  const unit = unitName(uom);
  return `${quantity.toLocaleString()}${unit === undefined ? '' : ` ${unit}`}`;
}

/**
 * One status for what an item is now, as the server's search says it (api/http/search-routes.ts
 * conditionOf): a recall says more than anything else, a quarantine more than "active".
 */
export type Condition = 'recalled' | 'quarantined' | 'active' | 'consumed' | 'destroyed';

export function conditionOf(record: { status?: 'active' | 'consumed' | 'destroyed'; recalls: readonly string[]; quarantine?: unknown; quarantined?: boolean }): Condition | undefined {
  if (record.recalls.length > 0) return 'recalled';
  if ((record.quarantine !== undefined || record.quarantined === true) && record.status === 'active') return 'quarantined';
  return record.status;
}

export const CONDITION_LABELS: Record<Condition, string> = { recalled: 'Recalled', quarantined: 'Quarantined', active: 'Active', consumed: 'Consumed', destroyed: 'Destroyed' };

const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
const shortDayFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
const clockFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

/** "Friday 27 November 2026": the heading of a day in a timeline. */
export function formatDay(value: number): string {
  return dayFormat.format(new Date(value));
}

/** "27 Nov": a date on a chart axis. */
export function formatShortDay(value: number): string {
  return shortDayFormat.format(new Date(value));
}

/** "14:00": a time of day. */
export function formatClock(value: number): string {
  return clockFormat.format(new Date(value));
}

/** Local midnight at the start of the day `value` falls in. */
export function startOfDay(value: number): number {
  const date = new Date(value);
  return new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();
}

/** A period of whole days (YYYY-MM-DD, either end open) in words: "Thursday 26 November 2026", "… to now". */
export function formatPeriod(from: string, to: string): string {
  const day = (date: string) => formatDay(Date.parse(dayStart(date) ?? date));
  if (from !== '' && from === to) return day(from);
  return `${from === '' ? 'the start' : day(from)} to ${to === '' ? 'now' : day(to)}`;
}

/** A date field's YYYY-MM-DD as the instant its day starts in this browser's time zone, `days` later. */
export function dayStart(date: string, days = 0): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (match === null) return undefined;
  const start = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + days);
  return Number.isNaN(start.getTime()) ? undefined : start.toISOString();
}

export function toCelsius(value: number, uom: string | undefined): number {
  return uom === 'FAH' ? ((value - 32) * 5) / 9 : value;
}

export function formatCelsius(value: number): string {
  return `${value.toFixed(1)} °C`;
}

export const TRANSACTION_ID_PATTERN = /^[0-9a-f]{64}$/;
