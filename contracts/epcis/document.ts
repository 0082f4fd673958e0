/**
 * EPCIS 2.0 documents in the JSON/JSON-LD binding: EPCISDocument (events in
 * epcisBody.eventList, optional master data in epcisHeader) and EPCISQueryDocument (events in
 * epcisBody.queryResults.resultsBody.eventList). Shapes follow GS1's
 * test/fixtures/gs1/schema/EPCIS-Document-JSON-Schema.json.
 */
import { z } from 'zod';
import { EPCIS_LIMITS } from './limits.js';
import { epcisEventSchema } from './events.js';
import { extensibleObject, finiteNumber, jsonObject, ldContext, list, text, timestamp, uri } from './fields.js';

const eventList = list(epcisEventSchema, EPCIS_LIMITS.eventsPerDocumentMax);

const schemaVersion = text.regex(/^\d+(\.\d+)*$/, 'must be a version number such as 2.0');

/** Master data (EPCIS 2.0 master data vocabulary): attributes of identifiers the events use. */
const attribute = extensibleObject('attribute', {
  id: uri,
  attribute: z.union([finiteNumber, text, jsonObject], { error: 'must be a number, a string or an object' }).optional(),
});

const vocabularyElement = extensibleObject('vocabularyElement', {
  id: uri,
  attributes: list(attribute).optional(),
  children: list(uri, EPCIS_LIMITS.epcsPerListMax).optional(),
});

const vocabulary = extensibleObject('vocabulary', {
  type: uri,
  vocabularyElementList: list(vocabularyElement).optional(),
});

const epcisHeader = extensibleObject('epcisHeader', {
  epcisMasterData: extensibleObject('epcisMasterData', { vocabularyList: list(vocabulary).optional() }).optional(),
});

export const epcisDocumentSchema = extensibleObject('EPCISDocument', {
  '@context': ldContext,
  id: uri.optional(),
  type: z.literal('EPCISDocument'),
  schemaVersion,
  creationDate: timestamp,
  instanceIdentifier: text.optional(),
  sender: text.optional(),
  receiver: text.optional(),
  epcisHeader: epcisHeader.optional(),
  epcisBody: extensibleObject('epcisBody', { eventList }),
});

export const epcisQueryDocumentSchema = extensibleObject('EPCISQueryDocument', {
  '@context': ldContext,
  id: uri.optional(),
  type: z.literal('EPCISQueryDocument'),
  schemaVersion: schemaVersion.optional(),
  creationDate: timestamp.optional(),
  epcisBody: extensibleObject('epcisBody', {
    queryResults: extensibleObject('queryResults', {
      queryName: text,
      subscriptionID: text.optional(),
      resultsBody: extensibleObject('resultsBody', {
        eventList,
        vocabularyList: list(vocabulary).optional(),
      }),
    }),
  }),
});

export const anyEpcisDocumentSchema = z.discriminatedUnion('type', [epcisDocumentSchema, epcisQueryDocumentSchema]);

export type EpcisDocument = z.infer<typeof epcisDocumentSchema>;
export type EpcisQueryDocument = z.infer<typeof epcisQueryDocumentSchema>;
/** Either kind of document: what validateEpcisDocument accepts. */
export type AnyEpcisDocument = z.infer<typeof anyEpcisDocumentSchema>;
