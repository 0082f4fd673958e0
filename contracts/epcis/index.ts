/**
 * The EPCIS 2.0 / CBV 2.0 event layer of Custodia's contracts: schemas, validation, the
 * vocabulary normaliser and event content hashes. The rest of contracts/ and the node import
 * from here.
 */
export { validateEpcisDocument, validateEpcisEvent } from './validate.js';
export type { EpcisValidation, EpcisValidationError } from './errors.js';
export { eventsOfDocument, locatedEvents, type LocatedEvent } from './document-events.js';
export { canonicalEventContent, eventContentHash, EVENT_HASH_PATTERN } from './event-hash.js';
export {
  normalizeVocabularyValue,
  standardWord,
  vocabularyWebUri,
  VOCABULARIES,
  type BusinessStep,
  type Disposition,
  type VocabularyKind,
} from './vocabulary.js';
export { normalizeTimestamp, timestampMilliseconds } from './time.js';
export { STANDARD_EPCIS_CONTEXT_URL, declaredPrefixes, type PrefixMap } from './context.js';
export { EPCIS_LIMITS } from './limits.js';
export {
  epcisEventSchema,
  objectEventSchema,
  aggregationEventSchema,
  transactionEventSchema,
  transformationEventSchema,
  associationEventSchema,
  EVENT_TYPES,
  ACTIONS,
  type Action,
  type EventType,
  type EpcisEvent,
  type ObjectEvent,
  type AggregationEvent,
  type TransactionEvent,
  type TransformationEvent,
  type AssociationEvent,
} from './events.js';
export {
  anyEpcisDocumentSchema,
  epcisDocumentSchema,
  epcisQueryDocumentSchema,
  type AnyEpcisDocument,
  type EpcisDocument,
  type EpcisQueryDocument,
} from './document.js';
