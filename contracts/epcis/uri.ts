/**
 * URI syntax (RFC 3986 section 3 and appendix A) and the JSON-LD 1.1 reading of names that
 * contain a colon (JSON-LD 1.1 section 4.1.5, compact IRIs). EPCIS 2.0's JSON-LD binding
 * types identifiers, custom vocabulary and extension member names as IRIs.
 */

// RFC 3986 appendix A, composed from its named rules so that each piece can be checked against the RFC.
const UNRESERVED = "A-Za-z0-9\\-._~";
const SUB_DELIMITERS = "!$&'()*+,;=";
const PERCENT_ENCODED = '%[0-9A-Fa-f]{2}';
const PATH_CHARACTER = `(?:[${UNRESERVED}${SUB_DELIMITERS}:@]|${PERCENT_ENCODED})`;
const SCHEME = '[A-Za-z][A-Za-z0-9+\\-.]*';
const USER_INFORMATION = `(?:[${UNRESERVED}${SUB_DELIMITERS}:]|${PERCENT_ENCODED})*`;
// IP-literal is kept loose (any hex digits, colons and dots in brackets): EPCIS identifiers never use it.
const IP_LITERAL = `\\[[0-9A-Fa-f:.vV${UNRESERVED}${SUB_DELIMITERS}]+\\]`;
const REGISTERED_NAME = `(?:[${UNRESERVED}${SUB_DELIMITERS}]|${PERCENT_ENCODED})*`;
const AUTHORITY = `(?:${USER_INFORMATION}@)?(?:${IP_LITERAL}|${REGISTERED_NAME})(?::[0-9]*)?`;
const PATH_ABEMPTY = `(?:/${PATH_CHARACTER}*)*`;
const PATH_ABSOLUTE = `/(?:${PATH_CHARACTER}+(?:/${PATH_CHARACTER}*)*)?`;
const PATH_ROOTLESS = `${PATH_CHARACTER}+(?:/${PATH_CHARACTER}*)*`;
// path-empty ("scheme:" alone) is left out on purpose: it names nothing, and GS1's validator refuses it too.
const HIERARCHICAL_PART = `(?://${AUTHORITY}${PATH_ABEMPTY}|${PATH_ABSOLUTE}|${PATH_ROOTLESS})`;
const QUERY_OR_FRAGMENT = `(?:${PATH_CHARACTER}|[/?])*`;
const ABSOLUTE_URI_PATTERN = new RegExp(`^${SCHEME}:${HIERARCHICAL_PART}(?:\\?${QUERY_OR_FRAGMENT})?(?:#${QUERY_OR_FRAGMENT})?$`);

/** True when `text` is a URI with a scheme (RFC 3986 section 3), ASCII only. */
export function isAbsoluteUri(text: string): boolean {
  return ABSOLUTE_URI_PATTERN.test(text);
}

/**
 * Schemes that are read as absolute even without `//`. JSON-LD reads any undeclared `x:y` as an
 * absolute IRI, which would let a mistyped prefix through unnoticed; Custodia instead treats
 * `x:y` as a compact IRI whose prefix must be declared, except for these registered schemes
 * that EPCIS data uses without an authority.
 */
export const SCHEMES_ABSOLUTE_WITHOUT_AUTHORITY: readonly string[] = ['urn', 'tag', 'ni', 'mailto', 'did'];

export type NameReading =
  | { kind: 'bare' }
  | { kind: 'absolute' }
  | { kind: 'compact'; prefix: string; suffix: string };

// Shared answers: every member name of every document is read, most of them bare words.
const BARE: NameReading = Object.freeze({ kind: 'bare' });
const ABSOLUTE: NameReading = Object.freeze({ kind: 'absolute' });

/** How a member name or vocabulary value with or without a colon is to be read. */
export function readName(name: string): NameReading {
  const colon = name.indexOf(':');
  if (colon <= 0) return BARE;
  // JSON-LD 1.1 section 4.1.5: a suffix starting with "//" makes the whole name an IRI, never a compact IRI.
  if (name.startsWith('//', colon + 1)) return ABSOLUTE;
  const prefix = name.slice(0, colon);
  if (SCHEMES_ABSOLUTE_WITHOUT_AUTHORITY.includes(prefix.toLowerCase())) return ABSOLUTE;
  return { kind: 'compact', prefix, suffix: name.slice(colon + 1) };
}
