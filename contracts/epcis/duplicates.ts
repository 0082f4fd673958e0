/**
 * Events repeated within one document (EPCIS 2.0 eventID; CBV 2.0 event hash, see
 * event-hash.ts). The ledger records each event once, so a document that lists one event twice
 * is refused at once rather than half-applied. An event and the declaration that it was in
 * error share a content hash by design, so declarations are compared only with declarations.
 */
import type { AnyEpcisDocument } from './document.js';
import { detachEvent, locatedEvents } from './document-events.js';
import { errorAt, fieldLabel, type EpcisValidationError, type PathSegment } from './errors.js';
import { eventContentHash } from './event-hash.js';

export function duplicateEventErrors(document: AnyEpcisDocument, wholeInput: string): EpcisValidationError[] {
  const errors: EpcisValidationError[] = [];
  const firstByEventId = new Map<string, PathSegment[]>();
  const firstByContent = new Map<string, PathSegment[]>();
  for (const { event, path } of locatedEvents(document)) {
    if (event.eventID !== undefined) {
      const earlier = firstByEventId.get(event.eventID);
      if (earlier === undefined) firstByEventId.set(event.eventID, path);
      else errors.push(errorAt([...path, 'eventID'], `repeats the eventID of ${fieldLabel(earlier, wholeInput)}; an event is recorded once`, wholeInput));
    }
    const hash = eventContentHash(detachEvent(document, event));
    const key = event.errorDeclaration === undefined ? hash : `${hash} declaration`;
    const earlier = firstByContent.get(key);
    if (earlier === undefined) firstByContent.set(key, path);
    else errors.push(errorAt(path, `has the same content as ${fieldLabel(earlier, wholeInput)} (content hash ${hash}); an event is recorded once`, wholeInput));
  }
  return errors;
}
