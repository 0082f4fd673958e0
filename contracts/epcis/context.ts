/**
 * JSON-LD @context handling for EPCIS 2.0 documents (EPCIS 2.0 JSON-LD binding;
 * JSON-LD 1.1 sections 4.1 and 4.2 for term and prefix definitions). Custodia never fetches a
 * remote context: prefixes count as declared when they are defined inline in a context object
 * or come from the standard EPCIS 2.0 context, whose prefixes are listed here (a test compares
 * them with test/fixtures/gs1/context/epcis-context-root.jsonld).
 */
import { canonicalize, type JsonValue } from '../../ledger/encoding/canonical-json.js';
import { readName } from './uri.js';

/** Addresses under which GS1 publishes the EPCIS 2.0 JSON-LD context. */
export const STANDARD_EPCIS_CONTEXT_URLS: readonly string[] = [
  'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld',
  'https://ref.gs1.org/standards/epcis/epcis-context.jsonld',
  'https://gs1.github.io/EPCIS/epcis-context.jsonld',
];

/** The address documents should cite; what `eventsOfDocument` and tests use. */
export const STANDARD_EPCIS_CONTEXT_URL = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';

/** Prefixes the standard EPCIS 2.0 context declares. */
export const STANDARD_CONTEXT_PREFIXES: Readonly<Record<string, string>> = {
  epcis: 'https://ref.gs1.org/epcis/',
  cbv: 'https://ref.gs1.org/cbv/',
  cbvmda: 'urn:epcglobal:cbv:mda:',
  gs1: 'https://gs1.org/voc/',
  rdfs: 'http://www.w3.org/2000/01/rdf-schema#',
  owl: 'http://www.w3.org/2002/07/owl#',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
  dcterms: 'http://purl.org/dc/terms/',
};

/** Prefix name to the IRI it abbreviates. */
export type PrefixMap = ReadonlyMap<string, string>;

export const NO_PREFIXES: PrefixMap = new Map();

/** JSON-LD 1.1 section 4.1.5: a simple term definition ending in a gen-delim character can serve as a prefix. */
const PREFIX_IRI_ENDING = /[:/?#[\]@]$/;

function isPlainObject(value: unknown): value is Record<string, JsonValue> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function addDefinitions(prefixes: Map<string, string>, definitions: Record<string, JsonValue>): void {
  for (const [term, definition] of Object.entries(definitions)) {
    // Keywords configure the context; terms with a colon define a compact IRI's type, not a prefix.
    if (term.startsWith('@') || term.includes(':')) continue;
    if (typeof definition === 'string' && PREFIX_IRI_ENDING.test(definition)) {
      prefixes.set(term, definition);
    } else if (isPlainObject(definition) && definition['@prefix'] === true && typeof definition['@id'] === 'string') {
      prefixes.set(term, definition['@id']);
    }
  }
}

/**
 * What the standard context defines, in its order, worked out once: nearly every document cites
 * it, and its prefixes were looked up again for every document and event (docs/performance.md,
 * "Levers").
 */
const STANDARD_DEFINITIONS: ReadonlyArray<readonly [string, string]> = (() => {
  const prefixes = new Map<string, string>();
  addDefinitions(prefixes, STANDARD_CONTEXT_PREFIXES);
  return [...prefixes];
})();

/** The prefixes of a context that is the standard context alone; shared, so never to be changed (a PrefixMap is read-only). */
const STANDARD_PREFIXES: PrefixMap = new Map(STANDARD_DEFINITIONS);

/**
 * The prefixes in scope after applying `context` on top of `inherited`. Later entries override
 * earlier ones, as JSON-LD processes a context array in order. Accepts any JSON so that it can
 * be used on input that has not been validated yet.
 */
export function declaredPrefixes(context: JsonValue | undefined, inherited: PrefixMap = NO_PREFIXES): PrefixMap {
  if (context === undefined) return inherited;
  if (typeof context === 'string' && inherited.size === 0) return STANDARD_EPCIS_CONTEXT_URLS.includes(context) ? STANDARD_PREFIXES : NO_PREFIXES;
  const prefixes = new Map(inherited);
  for (const entry of Array.isArray(context) ? context : [context]) {
    if (typeof entry === 'string') {
      if (STANDARD_EPCIS_CONTEXT_URLS.includes(entry)) for (const [term, iri] of STANDARD_DEFINITIONS) prefixes.set(term, iri);
    } else if (isPlainObject(entry)) {
      addDefinitions(prefixes, entry);
    }
  }
  return prefixes;
}

export type Expansion = { ok: true; iri: string } | { ok: false; prefix: string };

/**
 * A member name or vocabulary value as a full IRI: compact IRIs expanded with a declared
 * prefix, absolute IRIs and bare words unchanged. A compact IRI with an undeclared prefix
 * has no expansion.
 */
export function expandName(name: string, prefixes: PrefixMap): Expansion {
  const reading = readName(name);
  if (reading.kind !== 'compact') return { ok: true, iri: name };
  const namespace = prefixes.get(reading.prefix);
  return namespace === undefined ? { ok: false, prefix: reading.prefix } : { ok: true, iri: namespace + reading.suffix };
}

/** One entry of a JSON-LD @context: a context's URI or an inline context object. */
export type ContextEntry = string | Record<string, JsonValue>;
export type LdContext = ContextEntry | ContextEntry[];

function contextEntries(context: LdContext | undefined): ContextEntry[] {
  if (context === undefined) return [];
  return Array.isArray(context) ? context : [context];
}

/**
 * The context of an event taken out of its document: the document's entries, then the event's
 * own (JSON-LD: an embedded context applies on top of the enclosing one). Entries repeated
 * (as equal JSON, whatever the member order) are kept once, since GS1's schema requires a
 * context array's items to be unique.
 */
export function mergeContexts(outer: LdContext | undefined, inner: LdContext | undefined): ContextEntry[] {
  const merged: ContextEntry[] = [];
  const seen = new Set<string>();
  for (const entry of [...contextEntries(outer), ...contextEntries(inner)]) {
    const key = canonicalize(entry);
    if (seen.has(key)) continue;
    seen.add(key);
    merged.push(entry);
  }
  return merged;
}
