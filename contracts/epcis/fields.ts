/**
 * Field schemas shared by the five EPCIS 2.0 event types (EPCIS 2.0 section 7, data definition
 * layer: the "what, when, where, why" data types) and by the documents that carry them. Shapes
 * follow GS1's JSON schema (test/fixtures/gs1/schema/schemas/event-definitions-JSON-Schema.json);
 * where Custodia is stricter, the rule says why and test/contracts/epcis/gs1-agreement.test.ts
 * lists the case.
 *
 * Messages are predicates ("must be ..."): the error formatter puts the field's name in front.
 */
import { z } from 'zod';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { canonicalize } from '../../ledger/encoding/canonical-json.js';
import { hasLoneSurrogate, isPlainObject, jsonDataProblem } from './json-data.js';
import { EPCIS_LIMITS } from './limits.js';
import { isTimestamp, isTimeZoneOffset } from './time.js';
import { isAbsoluteUri } from './uri.js';
import { normalizeVocabularyValue, quote, vocabularyValueProblem, type VocabularyKind } from './vocabulary.js';

const { stringLengthMax, listItemsMax, epcsPerListMax, objectMembersMax, contextEntriesMax } = EPCIS_LIMITS;

export const text = z
  .string()
  .max(stringLengthMax, `must be at most ${stringLengthMax} characters long`)
  // A lone surrogate has no UTF-8 spelling, so the event could not be hashed or signed.
  .refine((value) => !hasLoneSurrogate(value), 'must be well-formed Unicode (no lone UTF-16 surrogate)');

/** A bounded string that also satisfies `problem` (which returns why not, or undefined). */
export function checkedString(problem: (value: string) => string | undefined) {
  return text.superRefine((value, context) => {
    const message = problem(value);
    if (message !== undefined) context.addIssue({ code: 'custom', message, input: value });
  });
}

export const uri = checkedString((value) =>
  isAbsoluteUri(value) ? undefined : `must be an absolute URI (RFC 3986), such as urn:epc:id:sgtin:0614141.107346.2017; got ${quote(value)}`,
);

export const timestamp = checkedString((value) =>
  isTimestamp(value)
    ? undefined
    : `must be a date and time with a time zone, such as 2005-04-03T20:33:31.116-06:00 (RFC 3339 as xsd:dateTimeStamp reads it); got ${quote(value)}`,
);

export const timeZoneOffset = checkedString((value) =>
  isTimeZoneOffset(value) ? undefined : `must be +hh:mm or -hh:mm between -14:00 and +14:00, such as -06:00; got ${quote(value)}`,
);

export function vocabularyValue(kind: VocabularyKind) {
  return checkedString((value) => vocabularyValueProblem(kind, value));
}

export const finiteNumber = z.number();

/** An error message for a member that is missing, or present but wrong. */
export function requiredOr(message: string) {
  return (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : message);
}

/** Any plain JSON value within EPCIS_LIMITS: the content of extensions and ilmd. */
export const jsonData = z.custom<JsonValue>().superRefine((value, context) => {
  const problem = jsonDataProblem(value);
  if (problem !== undefined) context.addIssue({ code: 'custom', path: problem.path, message: problem.message });
});

/** Reports every item equal to an earlier one; `key` decides what counts as equal. */
function refuseRepeats<T>(items: readonly T[], context: z.RefinementCtx, key: (item: T) => string): void {
  const firstIndex = new Map<string, number>();
  items.forEach((item, index) => {
    const itemKey = key(item);
    const earlier = firstIndex.get(itemKey);
    if (earlier === undefined) firstIndex.set(itemKey, index);
    else context.addIssue({ code: 'custom', path: [index], message: `must not repeat the entry at index ${earlier}` });
  });
}

/** A list of identifiers that is a set (EPCIS 2.0: epcList and its kin are sets; JSON-LD @set). */
export function identifierSet(itemsMax: number = epcsPerListMax) {
  return z
    .array(uri)
    .max(itemsMax, `must have at most ${itemsMax} entries`)
    .superRefine((items, context) => refuseRepeats(items, context, (item) => item));
}

export function list<T extends z.ZodType>(item: T, itemsMax: number = listItemsMax) {
  return z.array(item).max(itemsMax, `must have at most ${itemsMax} entries`);
}

export function nonEmptyList<T extends z.ZodType>(item: T, itemsMax: number = listItemsMax) {
  return list(item, itemsMax).min(1, 'must have at least one entry');
}

/**
 * An object that may carry extension members besides its standard ones (EPCIS 2.0 user
 * extensions, JSON-LD binding): a member name that is not standard must be an IRI, absolute or
 * `prefix:name`. Whether the prefix is declared depends on the document's @context and is
 * checked afterwards (namespaces.ts). Member names are checked even when a standard member is
 * wrong, so that one pass shows every problem.
 */
export function extensibleObject<Shape extends z.ZodRawShape>(objectName: string, shape: Shape) {
  const standardMembers = new Set(Object.keys(shape));
  return z
    .object(shape)
    .catchall(jsonData)
    .superRefine(
      (value, context) => {
        const names = Object.keys(value);
        if (names.length > objectMembersMax) {
          context.addIssue({ code: 'custom', message: `must have at most ${objectMembersMax} members` });
          return;
        }
        for (const name of names) {
          if (standardMembers.has(name)) continue;
          if (name.length > stringLengthMax || !isAbsoluteUri(name)) {
            context.addIssue({
              code: 'custom',
              path: [name],
              message: `is not a member of ${objectName}; an extension member's name must be an absolute URI or prefix:name with the prefix declared in @context`,
            });
          }
        }
      },
      { when: (payload) => isPlainObject(payload.value) },
    );
}

/** An EPCIS 2.0 QuantityElement: how much of an EPC class. */
export const quantityElement = z
  .strictObject({
    epcClass: uri,
    quantity: finiteNumber.optional(),
    uom: z
      .string()
      .regex(/^[A-Z0-9]{2,3}$/, 'must be a UN/CEFACT Recommendation 20 unit code of 2 or 3 capitals or digits, such as KGM')
      .optional(),
  })
  .superRefine((element, context) => {
    // Stricter than GS1's JSON schema: in the EPCIS XML schema uom sits inside the optional
    // quantity sequence, so a unit without a quantity has nothing to qualify.
    if (element.uom !== undefined && element.quantity === undefined) {
      context.addIssue({ code: 'custom', path: ['uom'], message: 'is only allowed together with quantity' });
    }
    // Stricter than GS1's JSON schema: a ledger balances inputs and outputs, and an amount of
    // goods below zero would let a transformation create goods from nothing.
    if (element.quantity !== undefined && element.quantity < 0) {
      context.addIssue({ code: 'custom', path: ['quantity'], message: `must not be negative; got ${element.quantity}` });
    }
  });

export const quantityList = list(quantityElement);

/** An EPCIS 2.0 BusinessTransaction: the transaction the event took part in. */
export const bizTransaction = z.strictObject({
  type: vocabularyValue('bizTransactionType').optional(),
  bizTransaction: uri,
});

/** EPCIS 2.0 Source and Destination: the parties and places a transfer goes between. */
export const source = z.strictObject({ type: vocabularyValue('sourceDestinationType'), source: uri });
export const destination = z.strictObject({ type: vocabularyValue('sourceDestinationType'), destination: uri });

/** readPoint and bizLocation (EPCIS 2.0 "where"): a location identifier plus extensions. */
export function location(objectName: string) {
  return extensibleObject(objectName, { id: uri });
}

// A disposition spelled twice (the word and its CBV URN or Web URI) is a repeat too: GS1's schema,
// which takes only words there, refuses such a list, and found by the differential test.
const dispositionSet = list(vocabularyValue('disposition'))
  .min(1, 'must have at least one entry')
  .superRefine((items, context) => refuseRepeats(items, context, (item) => normalizeVocabularyValue('disposition', item)));

/** EPCIS 2.0 persistentDisposition: dispositions that stay until unset. */
export const persistentDisposition = z
  .strictObject({ set: dispositionSet.optional(), unset: dispositionSet.optional() })
  .superRefine((value, context) => {
    if (value.set === undefined && value.unset === undefined) {
      context.addIssue({ code: 'custom', message: 'must have set, unset, or both' });
    }
  });

export const certificationInfo = z.union([uri, list(uri)], {
  error: 'must be a URI or a list of URIs naming certificates',
});

const sensorDeviceMembers = {
  deviceID: uri.optional(),
  deviceMetadata: uri.optional(),
  rawData: uri.optional(),
  dataProcessingMethod: uri.optional(),
  bizRules: uri.optional(),
};

/** EPCIS 2.0 SensorMetadata: what applies to all reports of one sensor element. */
export const sensorMetadata = extensibleObject('sensorMetadata', {
  time: timestamp.optional(),
  startTime: timestamp.optional(),
  endTime: timestamp.optional(),
  ...sensorDeviceMembers,
});

/** EPCIS 2.0 SensorReport: one measurement or observation. */
export const sensorReport = extensibleObject('sensorReport', {
  type: vocabularyValue('measurementType'),
  exception: vocabularyValue('sensorAlertType').optional(),
  ...sensorDeviceMembers,
  time: timestamp.optional(),
  microorganism: uri.optional(),
  chemicalSubstance: uri.optional(),
  coordinateReferenceSystem: uri.optional(),
  value: finiteNumber.optional(),
  component: vocabularyValue('component').optional(),
  stringValue: text.optional(),
  booleanValue: z.boolean().optional(),
  hexBinaryValue: text.regex(/^[A-Fa-f0-9]+$/, 'must be hexadecimal digits').optional(),
  uriValue: uri.optional(),
  minValue: finiteNumber.optional(),
  maxValue: finiteNumber.optional(),
  meanValue: finiteNumber.optional(),
  sDev: finiteNumber.optional(),
  percRank: finiteNumber.optional(),
  percValue: finiteNumber.optional(),
  uom: text.optional(),
});

export const sensorElement = extensibleObject('sensorElement', {
  sensorMetadata: sensorMetadata.optional(),
  sensorReport: nonEmptyList(sensorReport),
});

/** EPCIS 2.0 ErrorDeclaration: this event is declared to be in error. */
export const errorDeclaration = extensibleObject('errorDeclaration', {
  declarationTime: timestamp,
  reason: vocabularyValue('errorReason').optional(),
  correctiveEventIDs: list(uri, epcsPerListMax).optional(),
});

/** EPCIS 2.0 ILMD, instance/lot master data: every member is the user's own. */
export const ilmd = extensibleObject('ilmd', {});

/** A JSON object of free-form members (a context object, a master data attribute value). */
export const jsonObject = z.record(text, jsonData);

const contextObject = jsonObject;

const contextEntry = z.union([uri, contextObject], { error: 'must be a context URI or a context object' });

/**
 * JSON-LD @context (EPCIS 2.0 JSON-LD binding): the standard context's URI, context objects
 * declaring the prefixes of extensions, or a list of both.
 */
export const ldContext = z.union(
  [
    uri,
    contextObject,
    z
      .array(contextEntry)
      .max(contextEntriesMax, `must have at most ${contextEntriesMax} entries`)
      // Only once every entry is valid: canonicalize throws on what an entry's own check refuses
      // (a lone surrogate), and the differential test found validation throwing there.
      .superRefine((entries, context) => refuseRepeats(entries, context, (entry) => canonicalize(entry)), { when: (payload) => payload.issues.length === 0 }),
  ],
  { error: requiredOr('must be a context URI, a context object, or a list of them') },
);
