/**
 * GET /v1/items/:epc/history: the chain of custody of an item or lot (who possessed it, where and
 * when, and which parties signed each step), built from the EPCIS 2.0 events that name it (and
 * those of the container it travelled in), the rule-driven changes to it (quarantined, released,
 * recalled, certified, corrected; from the store's note index, with who signed each), and its
 * current custody record (possessor or holdings, shipments in transit, quarantine, recalls). GET /v1/items/:epc/trace: the trace
 * graph through transformation and aggregation links (contracts/queries.ts). Participants who
 * are not auditors or regulators must be a party to one of the item's events, and see only their
 * own events in the history.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { normalizeVocabulary } from '../../ledger/store/event-index.js';
import { CHANGE_KINDS, type ChangeNote } from '../../ledger/store/records.js';
import { normalizeVocabularyValue, timestampMilliseconds } from '../../contracts/epcis/index.js';
import { readParticipant } from '../../contracts/participants.js';
import { readTracedRecord, trace } from '../../contracts/queries.js';
import type { EventRecord } from '../../contracts/rules/capture.js';
import { isClassIdentifier } from '../../contracts/rules/inventory.js';
import { stateKeys, type StateReader } from '../../contracts/state.js';
import { ApiError } from '../../node/http/errors.js';
import type { ValidatorContext } from '../../node/validator.js';
import type { BlockStore } from '../../ledger/store/block-store.js';
import { readerOf, stateReader, type ReadAccess, type Reader } from './access.js';
import { committedFactsCache, type CommittedFacts } from './block-cache.js';
import { readAll } from './concurrent-reads.js';
import { classList, locationOf, member, partyList, partyOf, strings, text } from './event-fields.js';
import { collectItemEvents, visibleItemEvents, type ItemEvent } from './item-events.js';
import type { Operation } from './operations.js';
import { hash, tracedRecordSchema } from './schemas.js';
import { readableItems, redacted, redactedRecordSchema } from './party-rule.js';
import { identifierParameter, parseRequestPart, rangeEndParameter, rangeStartParameter } from './validation.js';

export const itemParameters = z.strictObject({ epc: identifierParameter.describe('an EPC (urn:epc:id:...) or EPC class (urn:epc:class:...), URL-encoded') });
export const historyQuery = z.strictObject({
  from: rangeStartParameter.describe('only events (by event time) and changes (by block time) from this day or instant'),
  to: rangeEndParameter.describe('only events and changes up to this day (inclusive) or instant (exclusive)'),
});
/** Rule-driven changes one history reads; beyond it the history says truncated. */
const ITEM_CHANGES_MAX = 500;
export const traceQuery = z.strictObject({
  direction: z.enum(['back', 'forward']).default('back').describe('back: what it was made from and contains; forward: what was made from it and what carried it'),
});

const STEPS = ['commissioned', 'shipped', 'handed-over', 'received', 'packed', 'unpacked', 'consumed', 'produced', 'destroyed', 'observed', 'declared-in-error'] as const;
type Step = (typeof STEPS)[number];

const partyEntry = z.object({ type: z.string(), id: z.string() });
export const custodyEventSchema = z.object({
  reference: z.string().describe('the event’s place in the ledger (height:position:index)'),
  eventId: z.string(),
  eventHash: z.string().optional(),
  eventType: z.string(),
  action: z.string().optional(),
  step: z.enum(STEPS).describe('what the event did to this item'),
  eventTime: z.string(),
  recordedAt: z.number().int().describe('the block time (ms) at which the ledger recorded it'),
  bizStep: z.string().optional(),
  disposition: z.string().optional(),
  bizLocation: z.string().optional(),
  readPoint: z.string().optional(),
  from: z.string().optional().describe('the party custody passed from'),
  to: z.string().optional().describe('the party custody passed (or is passing) to'),
  sources: z.array(partyEntry),
  destinations: z.array(partyEntry),
  quantity: z.object({ quantity: z.number(), uom: z.string().optional() }).optional(),
  readings: z.array(z.object({ type: z.string(), value: z.number().optional(), minValue: z.number().optional(), maxValue: z.number().optional(), uom: z.string().optional() })),
  via: z.string().optional().describe('the container whose event this is'),
  txId: hash,
  height: z.number().int(),
  position: z.number().int(),
  signers: z.array(z.string()).describe('the participants who signed the recording transaction'),
  parties: z.array(z.string()).describe('every party to the event'),
  corrections: z.array(z.object({ declarationHash: z.string(), txId: z.string(), reason: z.string().optional(), correctiveEventIds: z.array(z.string()) })),
});
export type CustodyEvent = z.infer<typeof custodyEventSchema>;

export const stateChangeSchema = z
  .object({
    kind: z.enum(CHANGE_KINDS),
    detail: z.string().describe('the reason as signed (a release, a recall, a correction), the certificate kind, or the rule (an excursion)'),
    reference: z.string().optional().describe('the recall id, the certificate document hash, or the event that caused or corrected it'),
    approvalId: z.string().optional().describe('the approval request whose action made the change'),
    txId: hash,
    height: z.number().int(),
    position: z.number().int(),
    recordedAt: z.number().int().describe('the block time (ms)'),
    signers: z.array(z.string()).describe('who signed the transaction that made it (for an approval, its last approver; the approval trail has the rest)'),
  })
  .describe('a rule-driven change to the item: quarantined, released, recalled, certified, corrected');
export type StateChange = z.infer<typeof stateChangeSchema>;

export const historyResponse = z.object({
  epc: z.string(),
  kind: z.enum(['instance', 'class']),
  current: tracedRecordSchema.nullable(),
  events: z.array(custodyEventSchema),
  changes: z.array(stateChangeSchema).describe('rule-driven changes, in ledger order'),
  participants: z.record(z.string(), z.object({ name: z.string(), roles: z.array(z.string()) })).describe('names and roles of the parties named above'),
  truncated: z.boolean().describe('true when the item has more events than one history reads'),
});

export const traceResponse = z.object({
  root: z.string(),
  direction: z.enum(['back', 'forward']),
  nodes: z.array(z.union([tracedRecordSchema, redactedRecordSchema])).describe('each item reached; one the reader is not a party to shows only its id, kind and recalls'),
  edges: z.array(z.object({ from: z.string(), to: z.string(), relation: z.enum(['made-from', 'contains']) })),
  truncated: z.boolean(),
});

const readErrors = { 401: ['credential-required', 'bad-credential', 'unknown-token', 'stale-signature', 'bad-signature', 'unknown-participant', 'participant-inactive'] };

export const itemOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/items/{epc}/history',
    operationId: 'itemHistory',
    summary: 'chain of custody of an item or lot',
    description: 'The events naming it (and those of the container it travelled in, while packed), in ledger order, each with the signing parties, and its current custody record.',
    tags: ['queries'],
    access: 'read',
    params: itemParameters,
    query: historyQuery,
    responses: { 200: { description: 'the history', schema: historyResponse } },
    errors: { 400: ['bad-parameter', 'bad-query'], ...readErrors, 403: ['not-a-party'], 404: ['not-found'] },
  },
  {
    method: 'get',
    path: '/v1/items/{epc}/trace',
    operationId: 'itemTrace',
    summary: 'trace an item or lot back or forward through transformations and aggregations',
    tags: ['queries'],
    access: 'read',
    params: itemParameters,
    query: traceQuery,
    responses: { 200: { description: 'the trace graph', schema: traceResponse } },
    errors: { 400: ['bad-parameter', 'bad-query'], ...readErrors, 403: ['not-a-party'], 404: ['not-found'] },
  },
];

function quantityOf(event: JsonValue, id: string): { quantity: number; uom?: string } | undefined {
  for (const listName of ['quantityList', 'childQuantityList', 'inputQuantityList', 'outputQuantityList']) {
    const list = member(event, listName);
    if (!Array.isArray(list)) continue;
    for (const element of list) {
      const quantity = member(element, 'quantity');
      const uom = member(element, 'uom');
      if (member(element, 'epcClass') === id && typeof quantity === 'number') return { quantity, ...(typeof uom === 'string' ? { uom } : {}) };
    }
  }
  return undefined;
}

function readingsOf(event: JsonValue): CustodyEvent['readings'] {
  const readings: CustodyEvent['readings'] = [];
  const elements = member(event, 'sensorElementList');
  if (!Array.isArray(elements)) return readings;
  for (const element of elements) {
    const reports = member(element, 'sensorReport');
    if (!Array.isArray(reports)) continue;
    for (const report of reports) {
      const type = member(report, 'type');
      if (typeof type !== 'string') continue;
      const reading: CustodyEvent['readings'][number] = { type: normalizeVocabularyValue('measurementType', type) };
      for (const field of ['value', 'minValue', 'maxValue'] as const) {
        const value = member(report, field);
        if (typeof value === 'number') reading[field] = value;
      }
      const uom = member(report, 'uom');
      if (typeof uom === 'string') reading.uom = uom;
      readings.push(reading);
    }
  }
  return readings;
}

function classifiedStep(event: JsonValue, subject: string, signers: readonly string[], destinationParty: string | undefined): Step {
  if (member(event, 'errorDeclaration') !== undefined) return 'declared-in-error';
  const type = text(event, 'type');
  const action = text(event, 'action');
  const written = text(event, 'bizStep');
  const bizStep = written === undefined ? undefined : normalizeVocabulary('bizStep', written);
  if (type === 'TransformationEvent') {
    const inputs = [...strings(member(event, 'inputEPCList')), ...classList(member(event, 'inputQuantityList'))];
    const outputs = [...strings(member(event, 'outputEPCList')), ...classList(member(event, 'outputQuantityList'))];
    if (inputs.includes(subject)) return 'consumed';
    if (outputs.includes(subject)) return 'produced';
    return 'observed';
  }
  if (type === 'AggregationEvent') return action === 'ADD' ? 'packed' : action === 'DELETE' ? 'unpacked' : 'observed';
  if (type !== 'ObjectEvent') return 'observed';
  if (action === 'ADD') return 'commissioned';
  if (action === 'DELETE' || bizStep === 'destroying' || bizStep === 'decommissioning') return 'destroyed';
  if (bizStep === 'shipping') return destinationParty !== undefined && signers.includes(destinationParty) ? 'handed-over' : 'shipped';
  if (bizStep === 'receiving') return 'received';
  return 'observed';
}

export async function custodyEvent(entry: ItemEvent, subject: string, facts: CommittedFacts, state: StateReader): Promise<CustodyEvent> {
  const { stored, via } = entry;
  const event = stored.event;
  const signers = facts.signers;
  const sources = partyList(event, 'sourceList');
  const destinations = partyList(event, 'destinationList');
  const step = classifiedStep(event, via ?? subject, signers, partyOf(destinations));
  const firstSigner = signers[0];
  const custody: { from?: string; to?: string } =
    step === 'commissioned' || step === 'produced'
      ? { ...(firstSigner === undefined ? {} : { to: firstSigner }) }
      : step === 'shipped' || step === 'handed-over'
        ? { ...(firstSigner === undefined ? {} : { from: firstSigner }), ...(partyOf(destinations) === undefined ? {} : { to: partyOf(destinations)! }) }
        : step === 'received'
          ? { ...(partyOf(sources) === undefined ? {} : { from: partyOf(sources)! }), ...(firstSigner === undefined ? {} : { to: firstSigner }) }
          : {};
  const eventId = text(event, 'eventID') ?? stored.eventHash ?? stored.reference;
  const record = step === 'declared-in-error' ? undefined : ((await state.get(stateKeys.event(eventId))) as unknown as EventRecord | undefined);
  const quantity = quantityOf(event, subject);
  const bizStep = text(event, 'bizStep');
  const disposition = text(event, 'disposition');
  const bizLocation = locationOf(event, 'bizLocation');
  const readPoint = locationOf(event, 'readPoint');
  const action = text(event, 'action');
  return {
    reference: stored.reference,
    eventId,
    ...(stored.eventHash === undefined ? {} : { eventHash: stored.eventHash }),
    eventType: text(event, 'type') ?? 'unknown',
    ...(action === undefined ? {} : { action }),
    step,
    eventTime: text(event, 'eventTime') ?? '',
    recordedAt: facts.recordedAt,
    ...(bizStep === undefined ? {} : { bizStep: normalizeVocabulary('bizStep', bizStep) }),
    ...(disposition === undefined ? {} : { disposition: normalizeVocabulary('disposition', disposition) }),
    ...(bizLocation === undefined ? {} : { bizLocation }),
    ...(readPoint === undefined ? {} : { readPoint }),
    ...custody,
    sources,
    destinations,
    ...(quantity === undefined ? {} : { quantity }),
    readings: readingsOf(event),
    ...(via === undefined ? {} : { via }),
    txId: stored.txId,
    height: stored.height,
    position: stored.position,
    signers: [...signers],
    parties: stored.participants,
    corrections: record?.corrections ?? [],
  };
}

async function participantDirectory(state: StateReader, events: readonly CustodyEvent[], changes: readonly StateChange[]): Promise<Record<string, { name: string; roles: string[] }>> {
  const ids = new Set([
    ...events.flatMap((event) => [...event.parties, ...event.signers, ...(event.from === undefined ? [] : [event.from]), ...(event.to === undefined ? [] : [event.to])]),
    ...changes.flatMap((change) => change.signers),
  ]);
  const sorted = [...ids].sort();
  const participants = await readAll(sorted, (id) => readParticipant(state, id));
  const directory: Record<string, { name: string; roles: string[] }> = {};
  for (const [index, id] of sorted.entries()) {
    const participant = participants[index];
    if (participant !== undefined) directory[id] = { name: participant.name, roles: [...participant.roles] };
  }
  return directory;
}

/**
 * An item's history as `GET /v1/items/:epc/history` answers it (undefined when nothing is recorded
 * of it): the events naming it or its containers that the reader may see, its custody record, the
 * rule-driven changes, the parties. Each event's and change's block time and signers are read
 * without the rest of its block, and the reads are issued together (concurrent-reads.ts); `custodia
 * bench storage` times this very function (docs/performance.md, "Lot history").
 */
export async function itemHistory(store: BlockStore, state: StateReader, reader: Reader, epc: string, range: { from?: number | undefined; to?: number | undefined }): Promise<z.input<typeof historyResponse> | undefined> {
  const [collected, current] = await Promise.all([collectItemEvents(store, epc), readTracedRecord(state, epc)]);
  const visible = visibleItemEvents(reader, epc, collected);
  if (current === undefined && visible.length === 0) return undefined;
  const inRange = (milliseconds: number | undefined) => milliseconds === undefined || ((range.from === undefined || milliseconds >= range.from) && (range.to === undefined || milliseconds < range.to));
  const factsOf = committedFactsCache(store);
  const inTimeRange = visible.filter((entry) => inRange(timestampMilliseconds(text(entry.stored.event, 'eventTime') ?? '')));
  const [events, notes] = await Promise.all([readAll(inTimeRange, async (entry) => custodyEvent(entry, epc, await factsOf(entry.stored), state)), store.notesUnder('change', epc, ITEM_CHANGES_MAX)]);
  const notesFacts = await readAll(notes, factsOf);
  const changes: StateChange[] = [];
  for (const [index, stored] of notes.entries()) {
    const facts = notesFacts[index]!;
    if (!inRange(facts.recordedAt)) continue;
    const note = stored.note as ChangeNote;
    changes.push({
      kind: note.kind,
      detail: note.detail,
      ...(note.reference === undefined ? {} : { reference: note.reference }),
      ...(note.approvalId === undefined ? {} : { approvalId: note.approvalId }),
      txId: stored.txId,
      height: stored.height,
      position: stored.position,
      recordedAt: facts.recordedAt,
      signers: [...facts.signers],
    });
  }
  return {
    epc,
    kind: isClassIdentifier(epc) ? 'class' : 'instance',
    current: current ?? null,
    events,
    changes,
    participants: await participantDirectory(state, events, changes),
    truncated: collected.truncated || notes.length === ITEM_CHANGES_MAX,
  };
}

export function itemRoutes(context: ValidatorContext, access: ReadAccess): Router {
  const router = Router();
  const state = stateReader(context.store);

  router.get('/v1/items/:epc/history', access.require, async (request, response) => {
    const { epc } = parseRequestPart(itemParameters, request, 'params');
    const { from, to } = parseRequestPart(historyQuery, request, 'query');
    const history = await itemHistory(context.store, state, readerOf(response), epc, { from, to });
    if (history === undefined) throw new ApiError(404, 'not-found', `no item or lot ${epc} is recorded`, 'epc');
    response.json(history satisfies z.input<typeof historyResponse>);
  });

  router.get('/v1/items/:epc/trace', access.require, async (request, response) => {
    const { epc } = parseRequestPart(itemParameters, request, 'params');
    const { direction } = parseRequestPart(traceQuery, request, 'query');
    const reader = readerOf(response);
    if (!reader.readsEverything) visibleItemEvents(reader, epc, await collectItemEvents(context.store, epc));
    const graph = await trace(state, epc, direction);
    if (graph === undefined) throw new ApiError(404, 'not-found', `no item or lot ${epc} is recorded`, 'epc');
    const readable = await readableItems(context.store, reader, graph.nodes.map((node) => node.id), [epc]);
    response.json({ ...graph, nodes: graph.nodes.map((node) => (readable.has(node.id) ? node : redacted(node))) } satisfies z.input<typeof traceResponse>);
  });

  return router;
}
