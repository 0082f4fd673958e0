/**
 * Validation of EPCIS 2.0 input (EPCIS 2.0 JSON/JSON-LD binding, CBV 2.0 vocabularies): the zod
 * schemas for shape, then the namespace rules that depend on @context, then, for documents,
 * repeated events. Bad input is an expected event: every outcome is a value, never an exception.
 */
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { declaredPrefixes, NO_PREFIXES } from './context.js';
import { anyEpcisDocumentSchema, type AnyEpcisDocument } from './document.js';
import { locatedEvents } from './document-events.js';
import { duplicateEventErrors } from './duplicates.js';
import { errorAt, errorsFromIssues, failure, type EpcisValidation, type EpcisValidationError } from './errors.js';
import { epcisEventSchema, type EpcisEvent } from './events.js';
import { isPlainObject } from './json-data.js';
import { eventNamespaceErrors, memberNameErrors } from './namespaces.js';

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

/** Validates an EPCISDocument or an EPCISQueryDocument. */
export function validateEpcisDocument(value: unknown): EpcisValidation<AnyEpcisDocument> {
  const parsed = anyEpcisDocumentSchema.safeParse(value, { reportInput: true });
  if (!parsed.success) return failure(errorsFromIssues(parsed.error.issues, DOCUMENT));
  const document = parsed.data;
  const errors: EpcisValidationError[] = [];
  memberNameErrors(documentWithoutEvents(document), NO_PREFIXES, [], DOCUMENT, errors);
  const documentPrefixes = declaredPrefixes(document['@context']);
  for (const { event, path } of locatedEvents(document)) {
    errors.push(...eventNamespaceErrors(event, documentPrefixes, path, DOCUMENT));
  }
  // Hashing for duplicates assumes namespaces resolve, so it waits until they do.
  if (errors.length === 0) errors.push(...duplicateEventErrors(document, DOCUMENT));
  return errors.length === 0 ? { ok: true, value: document } : failure(errors);
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
  const errors = eventNamespaceErrors(parsed.data, NO_PREFIXES, [], EVENT);
  return errors.length === 0 ? { ok: true, value: parsed.data } : failure(errors);
}
