/**
 * The normalisation under which an EPCIS document converted from XML is compared with GS1's
 * JSON-LD version of the same example, and a JSON-LD document with itself after a trip through
 * XML (docs/epcis-xml.md, "Comparing with JSON-LD"). Each step is a difference of spelling
 * the two bindings allow, never of content:
 *  - @context: only the prefixes it declares and the document uses (in a member name or a
 *    value) count, each IRI without a final "/", "#" or ":" (GS1's XML examples write
 *    http://ns.example.com/epcis where the JSON-LD ones write http://ns.example.com/epcis/);
 *    the standard context's own prefixes are left out, and so is a prefix nothing uses, since
 *    XML declares only the namespaces it uses;
 *  - timestamps: compared as instants (normalizeTimestamp), since XML and JSON-LD examples
 *    write the same time in different zones and precisions;
 *  - empty lists: left out (the XML schema requires epcList and childEPCs even when empty);
 *  - member order: ignored (the comparison is by member name).
 * Two more steps apply only where one side cannot carry the member: the document `id` (no XML
 * form), and, for round trips, a one-entry list of an extension member or certificationInfo
 * (XML cannot tell one repeated element from a single one).
 */
import type { JsonValue } from '../../../../ledger/encoding/canonical-json.js';
import { declaredPrefixes, STANDARD_CONTEXT_PREFIXES } from '../../../../contracts/epcis/context.js';
import { normalizeTimestamp } from '../../../../contracts/epcis/index.js';

type JsonObject = { [key: string]: JsonValue };

const TIMESTAMP_MEMBERS: ReadonlySet<string> = new Set(['eventTime', 'recordTime', 'declarationTime', 'creationDate', 'time', 'startTime', 'endTime']);

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every `prefix` written `prefix:rest` in a member name or string value. */
function usedPrefixes(value: JsonValue, found = new Set<string>()): Set<string> {
  const note = (text: string): void => {
    const colon = text.indexOf(':');
    if (colon > 0) found.add(text.slice(0, colon));
  };
  if (typeof value === 'string') note(value);
  else if (Array.isArray(value)) for (const item of value) usedPrefixes(item, found);
  else if (isObject(value)) {
    for (const [name, member] of Object.entries(value)) {
      if (name === '@context') continue;
      note(name);
      usedPrefixes(member, found);
    }
  }
  return found;
}

function contextPrefixes(context: JsonValue | undefined, used: ReadonlySet<string>): JsonObject {
  const prefixes: JsonObject = {};
  for (const [prefix, iri] of declaredPrefixes(context)) {
    if (STANDARD_CONTEXT_PREFIXES[prefix] === iri || !used.has(prefix)) continue;
    prefixes[prefix] = iri.replace(/[/#:]$/, '');
  }
  return prefixes;
}

export interface NormaliseOptions {
  /** Collapse one-entry lists of extension members and certificationInfo (XML round trips). */
  collapseSingletonLists?: boolean;
}

function normaliseValue(value: JsonValue, name: string, options: NormaliseOptions): JsonValue | undefined {
  if (Array.isArray(value)) {
    if (value.length === 0) return undefined;
    const items = value.map((item) => normaliseValue(item, name, options) ?? null);
    const collapsible = name === 'certificationInfo' || name.includes(':');
    return options.collapseSingletonLists === true && collapsible && items.length === 1 ? items[0]! : items;
  }
  if (isObject(value)) {
    const result: JsonObject = {};
    for (const [member, memberValue] of Object.entries(value)) {
      if (member === '@context') continue;
      const normalised = normaliseValue(memberValue, member, options);
      if (normalised !== undefined) result[member] = normalised;
    }
    return result;
  }
  if (typeof value === 'string' && TIMESTAMP_MEMBERS.has(name)) return normalizeTimestamp(value) ?? value;
  return value;
}

export function normaliseDocument(document: JsonValue, options: NormaliseOptions = {}): JsonObject {
  const source = isObject(document) ? document : {};
  const normalised = normaliseValue(source, '', options) as JsonObject;
  delete normalised['id'];
  normalised['@context'] = contextPrefixes(source['@context'], usedPrefixes(source));
  return normalised;
}

/** Paths (a.b[2].c) at which two JSON values differ: a member on one side only, or different scalars. */
export function differences(left: JsonValue | undefined, right: JsonValue | undefined, path = ''): string[] {
  if (Array.isArray(left) && Array.isArray(right)) {
    const paths: string[] = [];
    for (let index = 0; index < Math.max(left.length, right.length); index++) paths.push(...differences(left[index], right[index], `${path}[${index}]`));
    return paths;
  }
  if (isObject(left) && isObject(right)) {
    const names = [...new Set([...Object.keys(left), ...Object.keys(right)])].sort();
    return names.flatMap((name) => differences(left[name], right[name], path === '' ? name : `${path}.${name}`));
  }
  return JSON.stringify(left) === JSON.stringify(right) ? [] : [path];
}
