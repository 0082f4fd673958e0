/**
 * Validation of EPCIS 2.0 input (EPCIS 2.0 JSON/JSON-LD binding, CBV 2.0 vocabularies): the zod
 * schemas for shape, then the namespace rules that depend on @context, then, for documents,
 * repeated events. Bad input is an expected event: every outcome is a value, never an exception.
 */
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { compileSchemaFastPath, UNSURE } from '../../ledger/encoding/schema-fast-path.js';
import { declaredPrefixes, NO_PREFIXES } from './context.js';
import { anyEpcisDocumentSchema, type AnyEpcisDocument } from './document.js';
import { locatedEvents } from './document-events.js';
import { duplicateEventErrors } from './duplicates.js';
import { errorAt, errorsFromIssues, failure, success, type EpcisValidation, type EpcisValidationError } from './errors.js';
import { epcisEventSchema, type EpcisEvent } from './events.js';
import { isPlainObject } from './json-data.js';
import { eventNamespaceFindings, memberNameWarnings } from './namespaces.js';

const DOCUMENT = 'document';
const EVENT = 'event';

/** Members whose names are checked by the per-event pass, not the document-level one. */
function documentWithoutEvents(document: AnyEpcisDocument): JsonValue {
  if (document.type === 'EPCISDocument') {
    return { ...document, epcisBody: { ...document.epcisBody, eventList: [] } } as JsonValue;
  }
  const queryResults = document.epcisBody.queryResults;
  return {
    ...document,
    epcisBody: { ...document.epcisBody, queryResults: { ...queryResults, resultsBody: { ...queryResults.resultsBody, eventList: [] } } },
  } as JsonValue;
}

/**
 * The document schema compiled into a direct walk of plain data (ledger/encoding/schema-fast-path.ts):
 * it answers "zod accepts this, and returns this" or "not sure", and zod's own machinery was most
 * of the cost of validating a valid document (docs/performance.md, "Levers"). Not sure (every
 * refusal, and anything unusual) goes to the schema, so every error is zod's, as before.
 * test/contracts/epcis/fast-path.test.ts compares the two on documents and mutations of them.
 */
/** Nesting of standard members the fast path follows (extension values are checked whole, by jsonData's own walk). */
const FAST_PATH_DEPTH_MAX = 64;

const fastDocumentParser = compileSchemaFastPath(anyEpcisDocumentSchema, { depthMax: FAST_PATH_DEPTH_MAX });

/** Whether the document fast path compiled: a test keeps a schema change from switching it off unnoticed. */
export const EPCIS_FAST_PATH_COMPILED = fastDocumentParser !== undefined;

/** What anyEpcisDocumentSchema.safeParse(value) returns as data when the fast path is sure zod accepts, or undefined. Exported for the tests. */
export function parseEpcisDocumentFast(value: unknown): AnyEpcisDocument | undefined {
  const parsed = fastDocumentParser === undefined ? UNSURE : fastDocumentParser(value);
  return parsed === UNSURE ? undefined : (parsed as AnyEpcisDocument);
}

/** Validates an EPCISDocument or an EPCISQueryDocument. */
export function validateEpcisDocument(value: unknown): EpcisValidation<AnyEpcisDocument> {
  let document = parseEpcisDocumentFast(value);
  if (document === undefined) {
    const parsed = anyEpcisDocumentSchema.safeParse(value, { reportInput: true });
    if (!parsed.success) return failure(errorsFromIssues(parsed.error.issues, DOCUMENT));
    document = parsed.data;
  }
  const errors: EpcisValidationError[] = [];
  const warnings: EpcisValidationError[] = [];
  memberNameWarnings(documentWithoutEvents(document), NO_PREFIXES, [], DOCUMENT, warnings);
  const documentPrefixes = declaredPrefixes(document['@context']);
  for (const { event, path } of locatedEvents(document)) {
    const findings = eventNamespaceFindings(event, documentPrefixes, path, DOCUMENT);
    errors.push(...findings.errors);
    warnings.push(...findings.warnings);
  }
  // Hashing for duplicates assumes vocabulary values are standard words where they claim to be, so it waits until they are.
  if (errors.length === 0) errors.push(...duplicateEventErrors(document, DOCUMENT));
  return errors.length === 0 ? success(document, warnings) : failure(errors);
}

/**
 * Validates one event on its own, outside a document. Like GS1's root schema for a lone event,
 * it must carry its @context, since nothing else declares its prefixes.
 */
export function validateEpcisEvent(value: unknown): EpcisValidation<EpcisEvent> {
  const parsed = epcisEventSchema.safeParse(value, { reportInput: true });
  const missingContext: EpcisValidationError[] =
    isPlainObject(value) && value['@context'] === undefined ? [errorAt(['@context'], 'is required for an event outside a document', EVENT)] : [];
  if (!parsed.success) return failure([...errorsFromIssues(parsed.error.issues, EVENT), ...missingContext]);
  if (missingContext.length > 0) return failure(missingContext);
  const findings = eventNamespaceFindings(parsed.data, NO_PREFIXES, [], EVENT);
  return findings.errors.length === 0 ? success(parsed.data, findings.warnings) : failure(findings.errors);
}
