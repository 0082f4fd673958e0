/**
 * The events of an EPCIS 2.0 document (EPCISDocument epcisBody.eventList, or EPCISQueryDocument
 * epcisBody.queryResults.resultsBody.eventList), each made self-contained: it carries the
 * document's @context followed by its own, so that its extension prefixes still resolve once
 * it is recorded on its own (JSON-LD: an event's embedded context applies on top of the
 * document's).
 */
import { mergeContexts } from './context.js';
import type { AnyEpcisDocument } from './document.js';
import type { PathSegment } from './errors.js';
import type { EpcisEvent } from './events.js';

export interface LocatedEvent {
  event: EpcisEvent;
  /** Where the event sits in its document. */
  path: PathSegment[];
}

/** The events as they are written in the document, with their paths. */
export function locatedEvents(document: AnyEpcisDocument): LocatedEvent[] {
  if (document.type === 'EPCISDocument') {
    return document.epcisBody.eventList.map((event, index) => ({ event, path: ['epcisBody', 'eventList', index] }));
  }
  return document.epcisBody.queryResults.resultsBody.eventList.map((event, index) => ({
    event,
    path: ['epcisBody', 'queryResults', 'resultsBody', 'eventList', index],
  }));
}

/** One event taken out of its document, carrying the context it was written under. */
export function detachEvent(document: AnyEpcisDocument, event: EpcisEvent): EpcisEvent {
  return { ...event, '@context': mergeContexts(document['@context'], event['@context']) };
}

/**
 * The document's events in document order, each carrying the document's @context merged with
 * its own: what validateEpcisEvent accepts and what eventContentHash should be given.
 */
export function eventsOfDocument(document: AnyEpcisDocument): EpcisEvent[] {
  return locatedEvents(document).map(({ event }) => detachEvent(document, event));
}
