/**
 * The words a person searches an item by (issue 11, "Search like a person"): the identifiers
 * events name (EPC and EPC class URNs of the GS1 EPC Tag Data Standard) split into lower-case
 * tokens, so that a lot code (`SALAD-7`), a part of one (`salad`), a company prefix, a GS1 key
 * without its URN prefix (`0614142.0077777.SALAD-7`) or a GTIN finds the item. The store keeps
 * one index row per (token, identifier).
 */

/** Separators inside identifiers: URN colons, GS1 key dots, and the hyphens and underscores of lot codes. */
const SEPARATORS = /[:.\-_/#*]+/;
/** Tokens one identifier is indexed under, at most; an identifier is short (a state key holds it). */
export const TOKENS_PER_IDENTIFIER_MAX = 32;
/** Characters of one token; a longer run is cut (search for its start). */
export const TOKEN_LENGTH_MAX = 64;

/** GS1 check digit (mod 10, weights 3 and 1 from the right) of a GTIN without it. */
function checkDigit(digits: string): number {
  let sum = 0;
  for (let index = 0; index < digits.length; index++) {
    const digit = Number(digits[digits.length - 1 - index]);
    sum += index % 2 === 0 ? digit * 3 : digit;
  }
  return (10 - (sum % 10)) % 10;
}

/** The GTIN-14 of an SGTIN or LGTIN (EPC Tag Data Standard section 6.3.1), or undefined. */
export function gtinOf(identifier: string): string | undefined {
  const match = /^urn:epc:(?:id:sgtin|class:lgtin|idpat:sgtin):([0-9]+)\.([0-9]+)\./.exec(identifier);
  if (match === null) return undefined;
  const [, companyPrefix, itemReference] = match as unknown as [string, string, string];
  const digits = `${itemReference.slice(0, 1)}${companyPrefix}${itemReference.slice(1)}`;
  if (digits.length !== 13) return undefined;
  return `${digits}${checkDigit(digits)}`;
}

/** The GS1 key of an EPC URN without its `urn:epc:<kind>:<scheme>:` prefix, e.g. `0614142.0077777.SALAD-7`. */
export function gs1KeyOf(identifier: string): string | undefined {
  const match = /^urn:epc:(?:id|class|idpat):[a-z0-9]+:(.+)$/.exec(identifier);
  return match?.[1];
}

/** The lot code or serial: the last part of a GS1 key (`SALAD-7`). */
export function lastPartOf(identifier: string): string | undefined {
  const key = gs1KeyOf(identifier);
  if (key === undefined) return undefined;
  const parts = key.split('.');
  return parts.length > 1 ? parts[parts.length - 1] : undefined;
}

/** A GTIN-14 as people also write it: without the leading zeros of a GTIN-13, GTIN-12 or GTIN-8. */
function gtinForms(gtin: string | undefined): string[] {
  if (gtin === undefined) return [];
  const forms = [gtin];
  for (const length of [13, 12, 8]) if (/^0+$/.test(gtin.slice(0, 14 - length))) forms.push(gtin.slice(14 - length));
  return forms;
}

/** The names an identifier is known by, lower-cased: the identifier, its GS1 key, its lot code or serial, and its GTIN. */
export function searchNames(identifier: string): string[] {
  const names = [identifier, gs1KeyOf(identifier), lastPartOf(identifier), ...gtinForms(gtinOf(identifier))];
  return unique(names);
}

/** The words of an identifier, lower-cased: its parts between separators. */
export function searchWords(identifier: string): string[] {
  return unique(identifier.split(SEPARATORS));
}

/** The query as typed (for names), and its words. */
export function queryTokens(query: string): { whole: string; words: string[] } | undefined {
  const trimmed = query.trim();
  if (trimmed === '') return undefined;
  return { whole: unique([trimmed])[0]!, words: unique(trimmed.split(/[\s:.\-_/#*]+/)) };
}

function unique(words: ReadonlyArray<string | undefined>): string[] {
  const cleaned = words.filter((word): word is string => word !== undefined && word !== '').map((word) => word.toLowerCase().slice(0, TOKEN_LENGTH_MAX));
  return [...new Set(cleaned)].slice(0, TOKENS_PER_IDENTIFIER_MAX);
}
