/**
 * Events repeated within one document (EPCIS 2.0 eventID; CBV 2.0 event hash, see
 * event-hash.ts). The ledger records each event once, so a document that lists one event twice
 * is refused at once rather than half-applied. An event and the declaration that it was in
 * error share a content hash by design, so declarations are compared only with declarations.
 */
import { canonicalize } from '../../ledger/encoding/canonical-json.js';
import type { AnyEpcisDocument } from './document.js';
import { detachEvent, locatedEvents } from './document-events.js';
import { errorAt, fieldLabel, type EpcisValidationError, type PathSegment } from './errors.js';
import { canonicalEventContent, eventHashOfCanonicalContent } from './event-hash.js';

export function duplicateEventErrors(document: AnyEpcisDocument, wholeInput: string): EpcisValidationError[] {
  const events = locatedEvents(document);
  // A lone event repeats nothing. Most documents carry one event, and normalising and hashing it
  // was the larger part of validating it (docs/performance.md, "Levers").
  if (events.length < 2) return [];
  const errors: EpcisValidationError[] = [];
  const firstByEventId = new Map<string, PathSegment[]>();
  // Keyed by the canonical content itself, whose SHA-256 is the content hash: equal texts, equal
  // hashes, so the hash is only computed for the message when a repeat is found.
  const firstByContent = new Map<string, PathSegment[]>();
  for (const { event, path } of events) {
    if (event.eventID !== undefined) {
      const earlier = firstByEventId.get(event.eventID);
      if (earlier === undefined) firstByEventId.set(event.eventID, path);
      else errors.push(errorAt([...path, 'eventID'], `repeats the eventID of ${fieldLabel(earlier, wholeInput)}; an event is recorded once`, wholeInput));
    }
    const content = canonicalize(canonicalEventContent(detachEvent(document, event)));
    const key = event.errorDeclaration === undefined ? content : `${content} declaration`;
    const earlier = firstByContent.get(key);
    if (earlier === undefined) firstByContent.set(key, path);
    else {
      errors.push(errorAt(path, `has the same content as ${fieldLabel(earlier, wholeInput)} (content hash ${eventHashOfCanonicalContent(content)}); an event is recorded once`, wholeInput));
    }
  }
  return errors;
}
