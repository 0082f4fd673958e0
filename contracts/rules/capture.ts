/**
 * `epcis.capture`: records the events of one EPCIS 2.0 document under the consortium's rules
 * (docs/contracts.md, "Events"). All events of the document pass or none is recorded. Each rule
 * that refuses names its reason code and the EPC or party concerned.
 *
 * - ObjectEvent ADD commissions EPCs and lots, only under the signer's own company prefix, once.
 * - Shipping (bizStep shipping) is by the possessor, to a destination party; if that party also
 *   signed, possession passes at once, otherwise the goods are in transit until it receives them.
 * - Receiving (bizStep receiving) needs a shipment in transit to the receiver.
 * - AggregationEvent ADD / DELETE pack and unpack (links parent and children); only the
 *   possessor packs. TransformationEvent consumes its inputs and commissions its outputs.
 * - ObjectEvent DELETE, or bizStep destroying / decommissioning, takes things out of use.
 * - A temperature reading outside a lot's declared range records an excursion and quarantines it.
 * - An errorDeclaration is accepted only from the original event's submitter; the original stays.
 * - Events already recorded (by eventID or content hash) are refused.
 */
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import type { IndexedEvent } from '../../ledger/store/records.js';
import { declaredPrefixes, expandName } from '../epcis/context.js';
import { canonicalBytes } from '../../ledger/encoding/canonical-json.js';
import { toHex } from '../../ledger/encoding/hex.js';
import { sha256 } from '../../ledger/crypto/sha256.js';
import { EVENT_HASH_PREFIX, EVENT_HASH_SUFFIX } from '../epcis/event-hash.js';
import {
  eventContentHash,
  eventsOfDocument,
  normalizeVocabularyValue,
  validateEpcisDocument,
  EPCIS_LIMITS,
  type EpcisEvent,
} from '../epcis/index.js';
import type { Effects, Outcome, TransactionContext } from '../execution.js';
import { companyPrefixOf, hasRole, readParticipant, type Participant } from '../participants.js';
import { refuse, type Refusal } from '../reasons.js';
import { stateKeys, type StateOverlay } from '../state.js';
import { Notes } from '../notes.js';
import { recordMasterData } from './master-data.js';
import {
  addLink,
  checkUsable,
  consume,
  containersOf,
  handOver,
  INVENTORY_LIMITS,
  isClassIdentifier,
  newRecord,
  quantityRefusal,
  readRecord,
  receive,
  ship,
  writeRecord,
  type TemperatureRange,
  type TracedRecord,
} from './inventory.js';

/** The ilmd member with which a lot declares its allowed temperature range (degrees Celsius). */
export const TEMPERATURE_RANGE_IRI = 'urn:custodia:epcis:temperatureRange';

export interface EventRecord {
  eventId: string;
  eventHash: string;
  txId: string;
  height: number;
  submitter: string;
  /** Error declarations that correct this event: the original stays, with its corrections. */
  corrections: Array<{ declarationHash: string; txId: string; reason?: string; correctiveEventIds: string[] }>;
}

interface Quantified {
  id: string;
  quantity?: number;
  /** The unit of measure of a quantity (UN/CEFACT rec. 20, as EPCIS uses: KGM, LTR, ...). */
  uom?: string;
}

/**
 * What a capture does with an event the rules refuse (GS1-Capture-Error-Behaviour, EPCIS 2.0
 * section 12 and the REST binding's openapi.yaml): `rollback` (the default) records all events or
 * none; `proceed` records every event that passes and lists each refused one, by its index in the
 * document, with the rule's code, at `capture-outcome/<txId>`. A proceed capture of which no event
 * passes records nothing and is refused with the first event's code, as rollback would be.
 */
export const CAPTURE_ERROR_BEHAVIOURS = ['rollback', 'proceed'] as const;
export type CaptureErrorBehaviour = (typeof CAPTURE_ERROR_BEHAVIOURS)[number];

/** One refused event of a `proceed` capture. */
export interface RefusedCaptureEvent {
  /** Its position in the document's eventList, from 0. */
  index: number;
  eventId: string;
  code: Refusal['code'];
  message: string;
}

/** What `capture-outcome/<txId>` holds for a `proceed` capture that refused some of its events. */
export interface CaptureOutcome {
  /** The first CAPTURE_OUTCOME_REFUSALS_MAX refused events, in document order. */
  refused: RefusedCaptureEvent[];
  /** How many were refused in all. */
  refusedCount: number;
}

/** Refused events listed in one capture's outcome; the rest are counted, so the record stays bounded. */
export const CAPTURE_OUTCOME_REFUSALS_MAX = 100;

function captureErrorBehaviour(payload: JsonValue): CaptureErrorBehaviour | Refusal {
  const value = payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? payload['captureErrorBehaviour'] : undefined;
  if (value === undefined) return 'rollback';
  if (value === 'rollback' || value === 'proceed') return value;
  return refuse('malformed-payload', `payload.captureErrorBehaviour must be "rollback" or "proceed"`);
}

export async function captureEvents(state: StateOverlay, context: TransactionContext, payload: JsonValue): Promise<Outcome> {
  const document = payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? payload['document'] : undefined;
  const behaviour = captureErrorBehaviour(payload);
  if (typeof behaviour !== 'string') return behaviour;
  // The memo holds this very document's validation (by the transaction's id), run at admission; an approval's action is its own.
  const validation = (context.approvalId === undefined ? context.memo?.validatedDocument(context.txId) : undefined) ?? validateEpcisDocument(document);
  if (!validation.ok) {
    const first = validation.errors[0];
    return refuse('invalid-event', `payload.document${first === undefined ? '' : `.${first.path}: ${first.message}`}`);
  }
  const submitter = context.signers[0]!;
  const events: IndexedEvent[] = [];
  const notes = new Notes(context);
  const refused: RefusedCaptureEvent[] = [];
  let refusedCount = 0;
  let firstRefusal: Refusal | undefined;
  for (const [index, event] of eventsOfDocument(validation.value).entries()) {
    if (behaviour === 'rollback') {
      const outcome = await captureEvent(state, context, submitter, event, notes);
      if (!outcome.ok) return outcome;
      events.push(outcome.indexed);
      continue;
    }
    // proceed: each event in its own fork, kept only if it passes, so a refused one leaves no trace.
    const eventState = state.fork();
    const eventNotes = new Notes(context);
    const outcome = await captureEvent(eventState, context, submitter, event, eventNotes);
    if (!outcome.ok) {
      firstRefusal ??= outcome;
      refusedCount += 1;
      if (refused.length < CAPTURE_OUTCOME_REFUSALS_MAX) refused.push({ index, eventId: event.eventID ?? eventContentHash(event), code: outcome.code, message: outcome.message });
      continue;
    }
    eventState.commitTo(state);
    events.push(outcome.indexed);
    notes.list.push(...eventNotes.list);
  }
  if (firstRefusal !== undefined) {
    if (events.length === 0) return refuse(firstRefusal.code, `no event of the document was recorded; the first refused: ${firstRefusal.message}`);
    state.set(stateKeys.captureOutcome(context.txId), { refused, refusedCount } satisfies CaptureOutcome as unknown as JsonValue);
  }
  recordMasterData(state, validation.value, submitter, context);
  return { ok: true, events, notes: notes.list } satisfies Effects;
}

/** Every item and lot the events of a capture payload name, in document order; none if the document is not valid. */
export function captureSubjects(payload: JsonValue): string[] {
  const document = payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? payload['document'] : undefined;
  const validation = validateEpcisDocument(document);
  if (!validation.ok) return [];
  return eventsOfDocument(validation.value).flatMap((event) => subjectsOf(event as unknown as Record<string, JsonValue>).map((subject) => subject.id));
}

async function captureEvent(
  state: StateOverlay,
  context: TransactionContext,
  submitter: Participant,
  event: EpcisEvent,
  notes: Notes,
): Promise<{ ok: true; indexed: IndexedEvent } | Refusal> {
  const fields = event as unknown as Record<string, JsonValue>;
  if (event.eventID !== undefined && event.eventID.length > INVENTORY_LIMITS.identifierLengthMax) {
    return refuse('identifier-too-long', `eventID ${event.eventID.slice(0, 64)}... is ${event.eventID.length} characters, more than ${INVENTORY_LIMITS.identifierLengthMax}`);
  }
  if (event.errorDeclaration !== undefined) {
    // A declaration carries the eventID of the event it corrects and, by design, the same
    // content hash (the hash leaves errorDeclaration out); it is told apart by its full content.
    const declarationHash = `${EVENT_HASH_PREFIX}${toHex(sha256(canonicalBytes(fields)))}${EVENT_HASH_SUFFIX}`;
    if ((await state.get(stateKeys.eventHash(declarationHash))) !== undefined) {
      return refuse('duplicate-event', `this error declaration (${declarationHash}) is already recorded`);
    }
    const refusal = await recordCorrection(state, context, declarationHash, event);
    if (refusal !== undefined) return refusal;
    const reason = (event.errorDeclaration as unknown as Record<string, JsonValue>)['reason'];
    for (const subject of subjectsOf(fields)) {
      notes.change(subject.id, { kind: 'corrected', detail: typeof reason === 'string' ? reason : 'declared in error', reference: event.eventID! });
    }
    state.set(stateKeys.eventHash(declarationHash), declarationHash);
    return { ok: true, indexed: indexedEvent(context, event, fields, declarationHash) };
  }

  const eventHash = eventContentHash(event);
  const eventId = event.eventID ?? eventHash;
  if ((await state.get(stateKeys.event(eventId))) !== undefined) return refuse('duplicate-event', `event ${eventId} is already recorded`);
  if ((await state.get(stateKeys.eventHash(eventHash))) !== undefined) return refuse('duplicate-event', `an event with content hash ${eventHash} is already recorded`);
  const refusal = await applyEvent(state, context, submitter, eventId, fields, notes);
  if (refusal !== undefined) return refusal;

  const record: EventRecord = { eventId, eventHash, txId: context.txId, height: context.height, submitter: submitter.id, corrections: [] };
  state.set(stateKeys.event(eventId), record as unknown as JsonValue);
  state.set(stateKeys.eventHash(eventHash), eventId);
  return { ok: true, indexed: indexedEvent(context, event, fields, eventHash) };
}

function indexedEvent(context: TransactionContext, event: EpcisEvent, fields: Record<string, JsonValue>, eventHash: string): IndexedEvent {
  const participants = [...new Set([...context.signers.map((signer) => signer.id), ...partiesNamed(fields)])].sort();
  return { position: context.position, event: event as unknown as JsonValue, participants, eventHash };
}

async function applyEvent(
  state: StateOverlay,
  context: TransactionContext,
  submitter: Participant,
  eventId: string,
  event: Record<string, JsonValue>,
  notes: Notes,
): Promise<Refusal | undefined> {
  const type = event['type'];
  const action = event['action'];
  const bizStep = typeof event['bizStep'] === 'string' ? normalizeVocabularyValue('bizStep', event['bizStep']) : undefined;
  const temperatureRange = declaredTemperatureRange(event);
  for (const field of QUANTITY_LISTS) {
    for (const subject of quantities(event, field)) {
      const refused = quantityRefusal(subject.id, subject.quantity);
      if (refused !== undefined) return refused;
    }
  }
  const tooLong = subjectsOf(event).find((subject) => subject.id.length > INVENTORY_LIMITS.identifierLengthMax);
  if (tooLong !== undefined) return refuse('identifier-too-long', `${tooLong.id.slice(0, 64)}... is ${tooLong.id.length} characters, more than ${INVENTORY_LIMITS.identifierLengthMax}`);

  if (type === 'ObjectEvent') {
    const subjects = [...instances(event, 'epcList'), ...quantities(event, 'quantityList')];
    if (action === 'ADD') return commission(state, submitter, eventId, subjects, temperatureRange, event, notes);
    if (action === 'DELETE' || bizStep === 'destroying' || bizStep === 'decommissioning') {
      return takeOutOfUse(state, submitter, subjects, 'destroyed', bizStep ?? 'deleted');
    }
    if (bizStep === 'shipping') return shipEvent(state, context, submitter, eventId, subjects, event, notes);
    if (bizStep === 'receiving') return receiveEvent(state, submitter, eventId, subjects, event, notes);
    return observe(state, submitter, eventId, subjects, event, notes);
  }
  if (type === 'AggregationEvent') {
    const parent = typeof event['parentID'] === 'string' ? event['parentID'] : undefined;
    const children = [...instances(event, 'childEPCs'), ...quantities(event, 'childQuantityList')];
    if (action === 'ADD' && parent !== undefined) return pack(state, submitter, eventId, parent, children);
    if (action === 'DELETE' && parent !== undefined) return unpack(state, submitter, parent, children);
    return observe(state, submitter, eventId, parent === undefined ? children : [{ id: parent }, ...children], event, notes);
  }
  if (type === 'TransformationEvent') {
    const inputs = [...instances(event, 'inputEPCList'), ...quantities(event, 'inputQuantityList')];
    const outputs = [...instances(event, 'outputEPCList'), ...quantities(event, 'outputQuantityList')];
    return transform(state, submitter, eventId, inputs, outputs, temperatureRange, event, notes);
  }
  // TransactionEvent and AssociationEvent record business links without moving custody.
  return undefined;
}

async function commission(
  state: StateOverlay,
  submitter: Participant,
  eventId: string,
  subjects: Quantified[],
  temperatureRange: TemperatureRange | undefined,
  event: Record<string, JsonValue>,
  notes: Notes,
): Promise<Refusal | undefined> {
  for (const subject of subjects) {
    const prefix = companyPrefixOf(subject.id);
    if (prefix === undefined || !submitter.companyPrefixes.includes(prefix)) {
      return refuse('not-own-company-prefix', `${subject.id} is not under a company prefix of ${submitter.id} (${submitter.companyPrefixes.join(', ') || 'none'})`);
    }
    if ((await readRecord(state, subject.id)) !== undefined) return refuse('already-commissioned', `${subject.id} is already commissioned`);
    const record = newRecord(subject.id, submitter.id, eventId, subject.quantity, subject.uom);
    if (temperatureRange !== undefined) record.temperatureRange = temperatureRange;
    writeRecord(state, record);
  }
  return checkTemperature(state, eventId, subjects, event, notes);
}

async function shipEvent(
  state: StateOverlay,
  context: TransactionContext,
  submitter: Participant,
  eventId: string,
  subjects: Quantified[],
  event: Record<string, JsonValue>,
  notes: Notes,
): Promise<Refusal | undefined> {
  const receiverId = partyOf(event, 'destinationList', 'destination');
  if (receiverId === undefined) return refuse('invalid-event', `shipping event ${eventId} names no owning_party or possessing_party destination`);
  const receiver = await readParticipant(state, receiverId);
  if (receiver === undefined || receiver.status !== 'active') return refuse('unknown-participant', `shipping destination ${receiverId} is not an active participant`);
  const bothSigned = context.signers.some((signer) => signer.id === receiverId);
  for (const subject of subjects) {
    for (const member of await withContents(state, subject)) {
      const record = await readRecord(state, member.id);
      const unusable = checkUsable(record, member.id, submitter.id, member.quantity, 'shipped');
      if (unusable !== undefined) return unusable;
      const moved = bothSigned ? handOver(record!, submitter.id, receiverId, member.quantity) : ship(record!, submitter.id, receiverId, member.quantity, eventId);
      if (moved !== undefined) return moved;
      writeRecord(state, record!);
    }
  }
  return checkTemperature(state, eventId, subjects, event, notes);
}

async function receiveEvent(state: StateOverlay, submitter: Participant, eventId: string, subjects: Quantified[], event: Record<string, JsonValue>, notes: Notes): Promise<Refusal | undefined> {
  for (const subject of subjects) {
    for (const member of await withContents(state, subject)) {
      const record = await readRecord(state, member.id);
      if (record === undefined) return refuse('unknown-item', `${member.id} was never commissioned`);
      const refused = receive(record, member.id, submitter.id, member.quantity);
      if (refused !== undefined) return refused;
      writeRecord(state, record);
    }
  }
  return checkTemperature(state, eventId, subjects, event, notes);
}

async function takeOutOfUse(state: StateOverlay, submitter: Participant, subjects: Quantified[], status: 'destroyed', why: string): Promise<Refusal | undefined> {
  for (const subject of subjects) {
    const record = await readRecord(state, subject.id);
    const unusable = checkUsable(record, subject.id, submitter.id, subject.quantity, why === 'deleted' ? 'deleted' : 'destroyed');
    if (unusable !== undefined) return unusable;
    const consumed = consume(record!, submitter.id, subject.quantity, status);
    if (consumed !== undefined) return consumed;
    writeRecord(state, record!);
  }
  return undefined;
}

async function pack(state: StateOverlay, submitter: Participant, eventId: string, parentId: string, children: Quantified[]): Promise<Refusal | undefined> {
  let parent = await readRecord(state, parentId);
  if (parent === undefined) {
    // A container (an SSCC pallet) comes into being when it is first packed, under the packer's prefix.
    const prefix = companyPrefixOf(parentId);
    if (prefix === undefined || !submitter.companyPrefixes.includes(prefix)) {
      return refuse('not-own-company-prefix', `container ${parentId} is not under a company prefix of ${submitter.id}`);
    }
    parent = newRecord(parentId, submitter.id, eventId);
  } else {
    const unusable = checkUsable(parent, parentId, submitter.id, undefined, 'packed');
    if (unusable !== undefined) return unusable;
  }
  for (const child of children) {
    const record = await readRecord(state, child.id);
    const unusable = checkUsable(record, child.id, submitter.id, child.quantity, 'packed');
    if (unusable !== undefined) return unusable;
    // An instance is in one container at a time; a lot may be spread over many.
    if (record!.kind === 'instance') record!.parent = parentId;
    else {
      const contained = addLink(record!, 'containers', parentId);
      if (contained !== undefined) return contained;
    }
    const linked = addLink(parent, 'children', child.id);
    if (linked !== undefined) return linked;
    writeRecord(state, record!);
  }
  writeRecord(state, parent);
  return undefined;
}

async function unpack(state: StateOverlay, submitter: Participant, parentId: string, children: Quantified[]): Promise<Refusal | undefined> {
  const parent = await readRecord(state, parentId);
  const unusable = checkUsable(parent, parentId, submitter.id, undefined, 'unpacked');
  if (unusable !== undefined) return unusable;
  // EPCIS: a DELETE without children empties the container.
  const removed = children.length === 0 ? parent!.children : children.map((child) => child.id);
  for (const childId of removed) {
    const record = await readRecord(state, childId);
    if (record === undefined || !containersOf(record).includes(parentId)) continue;
    if (record.kind === 'instance') delete record.parent;
    else record.containers = (record.containers ?? []).filter((container) => container !== parentId);
    writeRecord(state, record);
  }
  parent!.children = parent!.children.filter((childId) => !removed.includes(childId));
  writeRecord(state, parent!);
  return undefined;
}

async function transform(
  state: StateOverlay,
  submitter: Participant,
  eventId: string,
  inputs: Quantified[],
  outputs: Quantified[],
  temperatureRange: TemperatureRange | undefined,
  event: Record<string, JsonValue>,
  notes: Notes,
): Promise<Refusal | undefined> {
  for (const input of inputs) {
    const record = await readRecord(state, input.id);
    const unusable = checkUsable(record, input.id, submitter.id, input.quantity, 'transformed');
    if (unusable !== undefined) return unusable;
    const consumed = consume(record!, submitter.id, input.quantity, 'consumed');
    if (consumed !== undefined) return consumed;
    for (const output of outputs) {
      const linked = addLink(record!, 'derivedInto', output.id);
      if (linked !== undefined) return linked;
    }
    writeRecord(state, record!);
  }
  const commissioned = await commission(state, submitter, eventId, outputs, temperatureRange, event, notes);
  if (commissioned !== undefined) return commissioned;
  for (const output of outputs) {
    const record = (await readRecord(state, output.id))!;
    for (const input of inputs) {
      const linked = addLink(record, 'derivedFrom', input.id);
      if (linked !== undefined) return linked;
    }
    writeRecord(state, record);
  }
  return undefined;
}

/**
 * Any other event is an observation (storing, inspecting, a sensor report). It must come from a
 * party that handles the things (possessor, sender or receiver of a shipment in transit) or
 * whose role is to examine them, so that no one can quarantine another's goods at will.
 */
async function observe(
  state: StateOverlay,
  submitter: Participant,
  eventId: string,
  subjects: Quantified[],
  event: Record<string, JsonValue>,
  notes: Notes,
): Promise<Refusal | undefined> {
  const examiner = (['carrier', 'laboratory', 'inspector', 'regulator'] as const).some((role) => hasRole(submitter, role));
  for (const subject of subjects) {
    const record = await readRecord(state, subject.id);
    if (record === undefined) return refuse('unknown-item', `${subject.id} was never commissioned`);
    const handles =
      record.possessor === submitter.id ||
      (record.holdings?.[submitter.id] ?? 0) > 0 ||
      record.inTransit.some((shipment) => shipment.to === submitter.id || shipment.from === submitter.id);
    if (!handles && !examiner) return refuse('not-in-possession', `${submitter.id} neither handles ${subject.id} nor has a role to examine it`);
  }
  return checkTemperature(state, eventId, subjects, event, notes);
}

/**
 * A temperature reading (value, minValue or maxValue of a Temperature sensor report, in degrees
 * Celsius, or Fahrenheit with uom FAH) outside the declared range of a lot, or of the lot an
 * instance was packed with, records an excursion and quarantines it.
 */
async function checkTemperature(state: StateOverlay, eventId: string, subjects: Quantified[], event: Record<string, JsonValue>, notes: Notes): Promise<undefined> {
  const readings = temperatureReadings(event);
  if (readings.length === 0) return undefined;
  for (const subject of subjects) {
    const record = await readRecord(state, subject.id);
    if (record?.temperatureRange === undefined) continue;
    const range = record.temperatureRange;
    const outside = readings.filter((celsius) => celsius < range.minimum || celsius > range.maximum);
    if (outside.length === 0) continue;
    record.excursions += 1;
    if (record.quarantine === undefined) {
      record.quarantine = { eventId, reason: `temperature ${outside[0]} °C outside ${range.minimum} to ${range.maximum} °C` };
      notes.change(record.id, { kind: 'quarantined', detail: record.quarantine.reason, reference: eventId });
    }
    writeRecord(state, record);
  }
  return undefined;
}

function temperatureReadings(event: Record<string, JsonValue>): number[] {
  const readings: number[] = [];
  const prefixes = declaredPrefixes(event['@context']);
  const elements = event['sensorElementList'];
  if (!Array.isArray(elements)) return readings;
  for (const element of elements) {
    const reports = isObject(element) ? element['sensorReport'] : undefined;
    if (!Array.isArray(reports)) continue;
    for (const report of reports) {
      if (!isObject(report) || typeof report['type'] !== 'string') continue;
      const type = expandName(report['type'], prefixes);
      if (!type.ok || normalizeVocabularyValue('measurementType', type.iri) !== 'Temperature') continue;
      const fahrenheit = report['uom'] === 'FAH';
      for (const field of ['value', 'minValue', 'maxValue']) {
        const value = report[field];
        if (typeof value === 'number') readings.push(fahrenheit ? ((value - 32) * 5) / 9 : value);
      }
    }
  }
  return readings;
}

/** `ilmd` member `urn:custodia:epcis:temperatureRange` (by any declared prefix): {minimum, maximum} in °C. */
function declaredTemperatureRange(event: Record<string, JsonValue>): TemperatureRange | undefined {
  const ilmd = event['ilmd'];
  if (!isObject(ilmd)) return undefined;
  const prefixes = declaredPrefixes(event['@context']);
  for (const [name, value] of Object.entries(ilmd)) {
    const expansion = expandName(name, prefixes);
    if (!expansion.ok || expansion.iri !== TEMPERATURE_RANGE_IRI || !isObject(value)) continue;
    const { minimum, maximum } = value;
    if (typeof minimum === 'number' && typeof maximum === 'number' && minimum <= maximum) return { minimum, maximum };
  }
  return undefined;
}

async function recordCorrection(state: StateOverlay, context: TransactionContext, declarationHash: string, event: EpcisEvent): Promise<Refusal | undefined> {
  const originalId = event.eventID;
  if (originalId === undefined) return refuse('invalid-event', 'an errorDeclaration event must carry the eventID of the event it corrects');
  const original = await state.getTyped<EventRecord>(stateKeys.event(originalId));
  if (original === undefined) return refuse('unknown-event', `event ${originalId} is not recorded`);
  if (!context.signers.some((signer) => signer.id === original.submitter)) {
    return refuse('not-original-submitter', `only ${original.submitter}, who recorded ${originalId}, may declare it in error`);
  }
  const declaration = event.errorDeclaration as unknown as Record<string, JsonValue>;
  const corrective = Array.isArray(declaration['correctiveEventIDs']) ? declaration['correctiveEventIDs'].filter((id): id is string => typeof id === 'string') : [];
  const reason = typeof declaration['reason'] === 'string' ? declaration['reason'] : undefined;
  original.corrections = [...original.corrections, { declarationHash, txId: context.txId, ...(reason === undefined ? {} : { reason }), correctiveEventIds: corrective }];
  state.set(stateKeys.event(originalId), original as unknown as JsonValue);
  return undefined;
}

/**
 * The thing and, for a container, the instances packed in it (transitively): they move together.
 * Lots packed in a container are not moved with it, since the ledger does not know how much of a
 * lot each container holds: an event moves a lot by naming it with its quantity.
 */
async function withContents(state: StateOverlay, subject: Quantified): Promise<Quantified[]> {
  const members: Quantified[] = [subject];
  const seen = new Set([subject.id]);
  for (let index = 0; index < members.length && members.length <= EPCIS_LIMITS.epcsPerListMax; index++) {
    const record: TracedRecord | undefined = await readRecord(state, members[index]!.id);
    for (const child of record?.children ?? []) {
      if (seen.has(child) || isClassIdentifier(child)) continue;
      seen.add(child);
      members.push({ id: child });
    }
  }
  return members;
}

/** Every thing an event names: EPCs, classes and the parent, in its lists' order. */
function subjectsOf(event: Record<string, JsonValue>): Quantified[] {
  const lists = [...['epcList', 'childEPCs', 'inputEPCList', 'outputEPCList'].flatMap((field) => instances(event, field)), ...QUANTITY_LISTS.flatMap((field) => quantities(event, field))];
  const parent = typeof event['parentID'] === 'string' ? [{ id: event['parentID'] }] : [];
  return [...new Map([...parent, ...lists].map((subject) => [subject.id, subject])).values()];
}

function instances(event: Record<string, JsonValue>, field: string): Quantified[] {
  const list = event[field];
  return Array.isArray(list) ? list.filter((id): id is string => typeof id === 'string').map((id) => ({ id })) : [];
}

const QUANTITY_LISTS = ['quantityList', 'childQuantityList', 'inputQuantityList', 'outputQuantityList'] as const;

function quantities(event: Record<string, JsonValue>, field: (typeof QUANTITY_LISTS)[number]): Quantified[] {
  const list = event[field];
  if (!Array.isArray(list)) return [];
  return list.filter(isObject).flatMap((element) => {
    if (typeof element['epcClass'] !== 'string') return [];
    const quantity = element['quantity'];
    const uom = element['uom'];
    // + 0 turns -0 into 0: the state holds the number its canonical encoding gives back.
    return [{ id: element['epcClass'], ...(typeof quantity === 'number' ? { quantity: quantity + 0 } : {}), ...(typeof uom === 'string' ? { uom } : {}) }];
  });
}

/** The owning_party (or else possessing_party) named in a source or destination list. */
function partyOf(event: Record<string, JsonValue>, listField: 'sourceList' | 'destinationList', member: 'source' | 'destination'): string | undefined {
  const list = event[listField];
  if (!Array.isArray(list)) return undefined;
  for (const wanted of ['owning_party', 'possessing_party']) {
    for (const entry of list) {
      if (!isObject(entry) || typeof entry['type'] !== 'string' || typeof entry[member] !== 'string') continue;
      if (normalizeVocabularyValue('sourceDestinationType', entry['type']) === wanted) return entry[member];
    }
  }
  return undefined;
}

function partiesNamed(event: Record<string, JsonValue>): string[] {
  return [partyOf(event, 'sourceList', 'source'), partyOf(event, 'destinationList', 'destination')].filter((party): party is string => party !== undefined);
}

function isObject(value: JsonValue | undefined): value is Record<string, JsonValue> {
  return value !== null && value !== undefined && typeof value === 'object' && !Array.isArray(value);
}
