/**
 * The five EPCIS 2.0 event types (EPCIS 2.0 section 7.4, core event types): ObjectEvent,
 * AggregationEvent, TransactionEvent, TransformationEvent and AssociationEvent, with their
 * what / when / where / why members. Shapes and the per-type rules on action and on what an
 * event must be about follow GS1's JSON schemas (test/fixtures/gs1/schema/schemas/*Event-JSON-Schema.json);
 * where Custodia is stricter, the rule says why.
 */
import { z } from 'zod';
import {
  bizTransaction,
  certificationInfo,
  destination,
  errorDeclaration,
  extensibleObject,
  identifierSet,
  ilmd,
  ldContext,
  list,
  location,
  nonEmptyList,
  persistentDisposition,
  quantityList,
  requiredOr,
  sensorElement,
  source,
  timestamp,
  timeZoneOffset,
  uri,
  vocabularyValue,
} from './fields.js';

export const EVENT_TYPES = ['ObjectEvent', 'AggregationEvent', 'TransactionEvent', 'TransformationEvent', 'AssociationEvent'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const ACTIONS = ['ADD', 'OBSERVE', 'DELETE'] as const;
export type Action = (typeof ACTIONS)[number];

const action = z.enum(ACTIONS, { error: requiredOr('must be ADD, OBSERVE or DELETE') });

/** Members every event type has (EPCIS 2.0 EPCISEvent): when it happened, and its identity. */
const commonMembers = {
  '@context': ldContext.optional(),
  eventTime: timestamp,
  recordTime: timestamp.optional(),
  eventTimeZoneOffset: timeZoneOffset,
  eventID: uri.optional(),
  certificationInfo: certificationInfo.optional(),
  errorDeclaration: errorDeclaration.optional(),
};

/** The where and why members shared by all five types. */
const whereAndWhyMembers = {
  bizStep: vocabularyValue('bizStep').optional(),
  disposition: vocabularyValue('disposition').optional(),
  readPoint: location('readPoint').optional(),
  bizLocation: location('bizLocation').optional(),
  bizTransactionList: list(bizTransaction).optional(),
  sourceList: list(source).optional(),
  destinationList: list(destination).optional(),
  sensorElementList: list(sensorElement).optional(),
};

function hasEntries(items: readonly unknown[] | undefined): boolean {
  return items !== undefined && items.length > 0;
}

export const objectEventSchema = extensibleObject('ObjectEvent', {
  type: z.literal('ObjectEvent'),
  ...commonMembers,
  action,
  epcList: identifierSet().optional(),
  quantityList: quantityList.optional(),
  ...whereAndWhyMembers,
  persistentDisposition: persistentDisposition.optional(),
  ilmd: ilmd.optional(),
}).superRefine((event, context) => {
  // GS1's schema: an ObjectEvent is about EPCs (an epcList, even empty), quantities, or, for a
  // sensor-only observation, a sensorElementList at a readPoint.
  const aboutSensorsAtPlace = hasEntries(event.sensorElementList) && event.readPoint !== undefined;
  if (event.epcList === undefined && !hasEntries(event.quantityList) && !aboutSensorsAtPlace) {
    context.addIssue({
      code: 'custom',
      path: ['epcList'],
      message: 'is required unless quantityList has an entry, or sensorElementList has an entry and readPoint is given',
    });
  }
  // EPCIS 2.0: ILMD describes objects as they come into being, so only with action ADD.
  if (event.ilmd !== undefined && event.action !== 'ADD') {
    context.addIssue({ code: 'custom', path: ['ilmd'], message: `is only allowed when action is ADD; action is ${event.action}` });
  }
});

/** AggregationEvent and AssociationEvent: a parent and the children added, observed or removed. */
function childrenRule(event: { action: Action; childEPCs?: readonly string[] | undefined; childQuantityList?: readonly unknown[] | undefined }, context: z.RefinementCtx): void {
  // DELETE may omit the children: it then removes all of them.
  if (event.action !== 'DELETE' && !hasEntries(event.childEPCs) && !hasEntries(event.childQuantityList)) {
    context.addIssue({
      code: 'custom',
      path: ['childEPCs'],
      message: `must have an entry, or childQuantityList must, when action is ${event.action} (only DELETE may omit the children)`,
    });
  }
}

export const aggregationEventSchema = extensibleObject('AggregationEvent', {
  type: z.literal('AggregationEvent'),
  ...commonMembers,
  action,
  parentID: uri.optional(),
  // Stricter than GS1's schema: EPCIS 2.0 treats childEPCs as a set (JSON-LD @set), like epcList.
  childEPCs: identifierSet().optional(),
  childQuantityList: quantityList.optional(),
  ...whereAndWhyMembers,
}).superRefine((event, context) => {
  childrenRule(event, context);
  // Stricter than GS1's schema, as the EPCIS standard's AggregationEvent table says: the parent
  // may be unknown to a mere observation, but ADD and DELETE change an aggregation, which
  // later events must be able to name.
  if (event.parentID === undefined && event.action !== 'OBSERVE') {
    context.addIssue({ code: 'custom', path: ['parentID'], message: `is required when action is ${event.action} (only OBSERVE may omit it)` });
  }
});

export const transactionEventSchema = extensibleObject('TransactionEvent', {
  type: z.literal('TransactionEvent'),
  ...commonMembers,
  action,
  parentID: uri.optional(),
  epcList: identifierSet().optional(),
  quantityList: quantityList.optional(),
  ...whereAndWhyMembers,
  bizTransactionList: nonEmptyList(bizTransaction),
}).superRefine((event, context) => {
  if (event.action !== 'DELETE' && event.epcList === undefined && !hasEntries(event.quantityList)) {
    context.addIssue({
      code: 'custom',
      path: ['epcList'],
      message: `is required unless quantityList has an entry, when action is ${event.action} (only DELETE may omit both)`,
    });
  }
});

export const transformationEventSchema = extensibleObject('TransformationEvent', {
  type: z.literal('TransformationEvent'),
  ...commonMembers,
  inputEPCList: identifierSet().optional(),
  inputQuantityList: quantityList.optional(),
  outputEPCList: identifierSet().optional(),
  outputQuantityList: quantityList.optional(),
  transformationID: uri.optional(),
  ...whereAndWhyMembers,
  persistentDisposition: persistentDisposition.optional(),
  ilmd: ilmd.optional(),
}).superRefine((event, context) => {
  // GS1's schema: inputs and outputs, or a transformationID that ties this event to others
  // carrying the rest of the inputs or outputs.
  const hasInputs = hasEntries(event.inputEPCList) || hasEntries(event.inputQuantityList);
  const hasOutputs = hasEntries(event.outputEPCList) || hasEntries(event.outputQuantityList);
  if (hasInputs && hasOutputs) return;
  if (event.transformationID !== undefined && (hasInputs || hasOutputs)) return;
  context.addIssue({
    code: 'custom',
    path: [hasInputs ? 'outputEPCList' : 'inputEPCList'],
    message: hasInputs
      ? 'or outputQuantityList must have an entry, unless a transformationID links this event to the one with the outputs'
      : 'or inputQuantityList must have an entry (a transformation needs inputs and outputs, or a transformationID and one of them)',
  });
});

export const associationEventSchema = extensibleObject('AssociationEvent', {
  type: z.literal('AssociationEvent'),
  ...commonMembers,
  action,
  parentID: uri,
  childEPCs: identifierSet().optional(),
  childQuantityList: quantityList.optional(),
  ...whereAndWhyMembers,
}).superRefine(childrenRule);

export const epcisEventSchema = z.discriminatedUnion('type', [
  objectEventSchema,
  aggregationEventSchema,
  transactionEventSchema,
  transformationEventSchema,
  associationEventSchema,
]);

export type ObjectEvent = z.infer<typeof objectEventSchema>;
export type AggregationEvent = z.infer<typeof aggregationEventSchema>;
export type TransactionEvent = z.infer<typeof transactionEventSchema>;
export type TransformationEvent = z.infer<typeof transformationEventSchema>;
export type AssociationEvent = z.infer<typeof associationEventSchema>;
export type EpcisEvent = z.infer<typeof epcisEventSchema>;
