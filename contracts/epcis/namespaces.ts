/**
 * Namespaces of extension member names and custom vocabulary (EPCIS 2.0 user extensions and
 * user vocabulary in the JSON-LD binding; JSON-LD 1.1 section 4.1.5, compact IRIs). A name or
 * value written `prefix:name` whose prefix no @context in scope declares is, under JSON-LD, an
 * absolute IRI with `prefix` as its scheme, and GS1's schema accepts it: it is reported as a
 * warning (often a mistyped prefix), never refused (issue 14). A value that expands, through a
 * declared prefix, into GS1's own namespaces must be a word GS1 defines. Runs after the zod
 * schemas, on input they accepted, because the answer depends on the document's @context.
 */
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { declaredPrefixes, expandName, type PrefixMap } from './context.js';
import { errorAt, type EpcisValidationError, type PathSegment } from './errors.js';
import type { EpcisEvent } from './events.js';
import { isPlainObject } from './json-data.js';
import { readName } from './uri.js';
import { isInReservedNamespace, quote, standardWord, VOCABULARIES, type VocabularyKind } from './vocabulary.js';

function undeclaredPrefixMessage(prefix: string): string {
  return `uses the prefix "${prefix}", which no @context in scope declares, so it reads as a URI with scheme "${prefix}"; if a prefix was meant, declare it (for example {"${prefix}": "https://example.com/${prefix}/"})`;
}

/** What the namespace pass found: errors refuse the input, warnings only accompany it. */
export interface NamespaceFindings {
  errors: EpcisValidationError[];
  warnings: EpcisValidationError[];
}

/**
 * Every member name in `value` that reads as a compact IRI with an undeclared prefix is warned
 * about, at any depth, extension content included (JSON-LD expands names there too). A
 * @context met on the way applies to its object and everything inside it, as in JSON-LD.
 */
export function memberNameWarnings(
  value: JsonValue,
  inherited: PrefixMap,
  path: readonly PathSegment[],
  wholeInput: string,
  warnings: EpcisValidationError[],
): void {
  memberNamesUnder(value, inherited, [...path], wholeInput, warnings);
}

/** The walk of memberNameWarnings; `path` is extended and restored in place, copied only for a warning. */
function memberNamesUnder(value: JsonValue, inherited: PrefixMap, path: PathSegment[], wholeInput: string, warnings: EpcisValidationError[]): void {
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      path.push(index);
      memberNamesUnder(value[index]!, inherited, path, wholeInput, warnings);
      path.pop();
    }
    return;
  }
  if (!isPlainObject(value)) return;
  const context = value['@context'];
  const prefixes = context === undefined ? inherited : declaredPrefixes(context, inherited);
  for (const name of Object.keys(value)) {
    const member = value[name];
    if (name === '@context' || member === undefined) continue;
    path.push(name);
    const reading = readName(name);
    if (reading.kind === 'compact' && !prefixes.has(reading.prefix)) {
      warnings.push(errorAt(path, undeclaredPrefixMessage(reading.prefix), wholeInput));
    }
    memberNamesUnder(member, prefixes, path, wholeInput, warnings);
    path.pop();
  }
}

export interface VocabularyOccurrence {
  /** Relative to the event. */
  path: PathSegment[];
  kind: VocabularyKind;
  value: string;
}

/** Every vocabulary value an event carries, with where it sits. */
export function eventVocabularyValues(event: EpcisEvent): VocabularyOccurrence[] {
  const found: VocabularyOccurrence[] = [];
  const add = (path: PathSegment[], kind: VocabularyKind, value: string | undefined) => {
    if (value !== undefined) found.push({ path, kind, value });
  };
  add(['bizStep'], 'bizStep', event.bizStep);
  add(['disposition'], 'disposition', event.disposition);
  if (event.type === 'ObjectEvent' || event.type === 'TransformationEvent') {
    for (const side of ['set', 'unset'] as const) {
      event.persistentDisposition?.[side]?.forEach((value, index) => add(['persistentDisposition', side, index], 'disposition', value));
    }
  }
  event.bizTransactionList?.forEach((entry, index) => add(['bizTransactionList', index, 'type'], 'bizTransactionType', entry.type));
  event.sourceList?.forEach((entry, index) => add(['sourceList', index, 'type'], 'sourceDestinationType', entry.type));
  event.destinationList?.forEach((entry, index) => add(['destinationList', index, 'type'], 'sourceDestinationType', entry.type));
  add(['errorDeclaration', 'reason'], 'errorReason', event.errorDeclaration?.reason);
  event.sensorElementList?.forEach((element, elementIndex) => {
    element.sensorReport.forEach((report, reportIndex) => {
      const at = (member: string): PathSegment[] => ['sensorElementList', elementIndex, 'sensorReport', reportIndex, member];
      add(at('type'), 'measurementType', report.type);
      add(at('exception'), 'sensorAlertType', report.exception);
      add(at('component'), 'component', report.component);
    });
  });
  return found;
}

export type NamespaceProblem = { severity: 'error' | 'warning'; message: string };

/** What is wrong, or worth a warning, with a vocabulary value written as a compact IRI under `prefixes`; undefined when nothing. */
export function vocabularyNamespaceProblem(kind: VocabularyKind, value: string, prefixes: PrefixMap): NamespaceProblem | undefined {
  const reading = readName(value);
  if (reading.kind !== 'compact') return undefined;
  const expansion = expandName(value, prefixes);
  if (!expansion.ok) return { severity: 'warning', message: undeclaredPrefixMessage(expansion.prefix) };
  if (isInReservedNamespace(kind, expansion.iri) && standardWord(kind, expansion.iri) === undefined) {
    const vocabulary = VOCABULARIES[kind];
    return {
      severity: 'error',
      message: `must be a ${vocabulary.description} that ${vocabulary.source} defines; ${quote(value)} expands to ${quote(expansion.iri)}, which is not one`,
    };
  }
  return undefined;
}

/** Namespace findings of one event whose enclosing document declared `inherited`. */
export function eventNamespaceFindings(
  event: EpcisEvent,
  inherited: PrefixMap,
  path: readonly PathSegment[],
  wholeInput: string,
): NamespaceFindings {
  const findings: NamespaceFindings = { errors: [], warnings: [] };
  memberNameWarnings(event as JsonValue, inherited, path, wholeInput, findings.warnings);
  const prefixes = declaredPrefixes(event['@context'], inherited);
  for (const occurrence of eventVocabularyValues(event)) {
    const problem = vocabularyNamespaceProblem(occurrence.kind, occurrence.value, prefixes);
    if (problem === undefined) continue;
    const finding = errorAt([...path, ...occurrence.path], problem.message, wholeInput);
    (problem.severity === 'error' ? findings.errors : findings.warnings).push(finding);
  }
  return findings;
}
