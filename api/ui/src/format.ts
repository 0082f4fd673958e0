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

/** UN/CEFACT Recommendation 20 codes EPCIS quantities use, as people write them. */
const UNITS: Record<string, string> = { KGM: 'kg', GRM: 'g', TNE: 't', LTR: 'L', MLT: 'mL', MTQ: 'm³', H87: 'pieces', EA: 'each', LBR: 'lb' };

export function formatQuantity(quantity: number, uom: string | undefined): string {
  return `${quantity.toLocaleString()}${uom === undefined ? '' : ` ${UNITS[uom] ?? uom}`}`;
}

export function toCelsius(value: number, uom: string | undefined): number {
  return uom === 'FAH' ? ((value - 32) * 5) / 9 : value;
}

export function formatCelsius(value: number): string {
  return `${value.toFixed(1)} °C`;
}

export const TRANSACTION_ID_PATTERN = /^[0-9a-f]{64}$/;
