/**
 * The EPCIS 2.0 SimpleEventQuery over the store's auditor indices (EPCIS 2.0 section 8.2.7, query
 * parameters; the REST binding's pipe-separated alternatives and perPage / nextPageToken paging).
 *
 * Each page scans one index: the most selective criterion given (an event id before an EPC, an
 * EPC before a class, a class before a business step, ...), one alternative after another, and
 * tests every other criterion in memory on the events it reads. The scan reads at most
 * EVENTS_SCANNED_PER_PAGE_MAX index rows per page, so a query whose criteria match little
 * answers with fewer events (possibly none) and a page token rather than scanning the ledger in
 * one request. The token records where the scan stopped: the alternative, the store's cursor of
 * the last store page, how many of its rows were consumed and the last row's event, so pages
 * neither repeat nor skip events. A token is bound to its query (and reader) by a fingerprint.
 *
 * Values are compared as the index stores them: CBV business steps and dispositions as bare
 * words, whichever of the three CBV spellings the query uses. EPC patterns (urn:epc:idpat) match
 * only literally.
 */
import { z } from 'zod';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { toHex } from '../../ledger/encoding/hex.js';
import { sha256 } from '../../ledger/crypto/sha256.js';
import type { BlockStore, EventQuery } from '../../ledger/store/block-store.js';
import { eventIndexEntries, eventTimeMilliseconds, normalizeVocabulary, TIME_INDEX_NAME, type EventIndexName } from '../../ledger/store/event-index.js';
import type { StoredEvent } from '../../ledger/store/records.js';
import { ACTIONS, EVENT_TYPES, timestampMilliseconds } from '../../contracts/epcis/index.js';
import { ApiError } from '../../node/http/errors.js';
import type { Reader } from './access.js';
import { PARAMETER_LENGTH_MAX, positiveIntegerParameter } from './validation.js';

export const EVENTS_PER_PAGE_DEFAULT = 100;
export const EVENTS_PER_PAGE_MAX = 1000;
/** Index rows one page may examine; bounds the work of a query whose filters match little. */
export const EVENTS_SCANNED_PER_PAGE_MAX = 5000;
/** Rows read from the store at a time; a page token's consumed-row count stays below it. */
const STORE_PAGE_EVENTS = 200;
/** Pipe-separated alternatives in one parameter. */
export const ALTERNATIVES_MAX = 32;
const PAGE_TOKEN_LENGTH_MAX = 4096;

type Matcher = (event: StoredEvent, facts: EventFacts, value: string) => boolean;

interface CriterionDefinition {
  /** The index whose rows are a superset of the events this criterion matches. */
  index: EventIndexName;
  /** Lower is more selective: the scan uses the lowest-ranked criterion given. */
  rank: number;
  description: string;
  normalize?: (value: string) => string;
  allowed?: readonly string[];
  /** When the criterion is narrower than its index (MATCH_epcClass: only quantityList and childQuantityList). */
  matches?: Matcher;
}

const CRITERIA = {
  EQ_eventID: { index: 'eventId', rank: 0, description: 'event ids (eventID)' },
  MATCH_epc: { index: 'epc', rank: 1, description: 'EPCs in epcList or childEPCs' },
  MATCH_parentID: { index: 'parentId', rank: 1, description: 'parent ids (parentID)' },
  MATCH_inputEPC: { index: 'inputEpc', rank: 1, description: 'EPCs in inputEPCList' },
  MATCH_outputEPC: { index: 'outputEpc', rank: 1, description: 'EPCs in outputEPCList' },
  MATCH_anyEPC: { index: 'anyEpc', rank: 2, description: 'EPCs in epcList, childEPCs, inputEPCList, outputEPCList or parentID' },
  MATCH_epcClass: {
    index: 'epcClass',
    rank: 3,
    description: 'EPC classes in quantityList or childQuantityList',
    matches: (event, _facts, value) => quantityClasses(event.event, ['quantityList', 'childQuantityList']).includes(value),
  },
  MATCH_anyEPCClass: { index: 'epcClass', rank: 3, description: 'EPC classes in any quantity list (quantityList, childQuantityList, inputQuantityList, outputQuantityList)' },
  EQ_bizLocation: { index: 'bizLocation', rank: 5, description: 'business location ids (bizLocation.id)' },
  EQ_readPoint: { index: 'readPoint', rank: 5, description: 'read point ids (readPoint.id)' },
  EQ_bizStep: { index: 'bizStep', rank: 6, description: 'CBV business steps, as a word, CBV URN or GS1 Web URI', normalize: (value) => normalizeVocabulary('bizStep', value) },
  EQ_disposition: { index: 'disposition', rank: 6, description: 'CBV dispositions, as a word, CBV URN or GS1 Web URI', normalize: (value) => normalizeVocabulary('disposition', value) },
  EQ_type: { index: 'eventType', rank: 7, description: 'event types', allowed: EVENT_TYPES },
  eventType: { index: 'eventType', rank: 7, description: 'event types (the EPCIS 2.0 name of EQ_type)', allowed: EVENT_TYPES },
} as const satisfies Record<string, CriterionDefinition>;

type CriterionName = keyof typeof CRITERIA;
const CRITERION_NAMES = Object.keys(CRITERIA) as CriterionName[];
/** Ranks of the implicit party filter and of an event-time range. */
const PARTICIPANT_RANK = 4;
const BOUNDED_TIME_RANK = 6.5;
const OPEN_TIME_RANK = 8;

/** One parameter's alternatives: "a|b" names a or b. */
function alternatives(description: string, allowed?: readonly string[]) {
  return z
    .string()
    .max(PARAMETER_LENGTH_MAX, `must be at most ${PARAMETER_LENGTH_MAX} characters`)
    .transform((value, context) => {
      const values = value.split('|');
      if (values.length > ALTERNATIVES_MAX) {
        context.addIssue({ code: 'custom', message: `at most ${ALTERNATIVES_MAX} alternatives separated by |` });
        return z.NEVER;
      }
      for (const entry of values) {
        if (entry === '' || /[\u0000-\u001f\u007f]/.test(entry)) {
          context.addIssue({ code: 'custom', message: 'each alternative must be a non-empty value without control characters' });
          return z.NEVER;
        }
        if (allowed !== undefined && !allowed.includes(entry)) {
          context.addIssue({ code: 'custom', message: `${JSON.stringify(entry.slice(0, 64))} is not one of ${allowed.join(', ')}` });
          return z.NEVER;
        }
      }
      return [...new Set(values)];
    })
    .optional()
    .describe(`${description}; alternatives separated by |`);
}

const timeParameter = (description: string) =>
  z
    .string()
    .max(64)
    .transform((value, context) => {
      const milliseconds = timestampMilliseconds(value);
      if (milliseconds === undefined) {
        context.addIssue({ code: 'custom', message: 'expected an RFC 3339 date-time with a time zone, such as 2026-01-01T00:00:00Z' });
        return z.NEVER;
      }
      return milliseconds;
    })
    .optional()
    .describe(description);

export const pageTokenParameter = z
  .string()
  .max(PAGE_TOKEN_LENGTH_MAX)
  .regex(/^[A-Za-z0-9_-]+$/, 'expected a nextPageToken from a previous page of this query')
  .optional()
  .describe('the token of the next page, from the previous page of the same query');

export const perPageParameter = positiveIntegerParameter(EVENTS_PER_PAGE_MAX)
  .optional()
  .describe(`events per page, 1 to ${EVENTS_PER_PAGE_MAX} (default ${EVENTS_PER_PAGE_DEFAULT})`);

export const eventQuerySchema = z.strictObject({
  ...(Object.fromEntries(
    CRITERION_NAMES.map((name) => {
      const definition: CriterionDefinition = CRITERIA[name];
      return [name, alternatives(definition.description, definition.allowed)];
    }),
  ) as Record<CriterionName, ReturnType<typeof alternatives>>),
  EQ_action: alternatives('actions (ADD, OBSERVE, DELETE)', ACTIONS),
  GE_eventTime: timeParameter('events at or after this time (RFC 3339)'),
  LT_eventTime: timeParameter('events before this time (RFC 3339)'),
  perPage: perPageParameter,
  nextPageToken: pageTokenParameter,
});
export type EventQueryParameters = z.output<typeof eventQuerySchema>;

/** What an event says, as the index would file it: `${index}\0${value}`. */
type EventFacts = ReadonlySet<string>;

function factKey(index: string, value: string): string {
  return `${index}\u0000${value}`;
}

function factsOf(event: StoredEvent): EventFacts {
  return new Set(eventIndexEntries(event.event, event.participants, event.eventHash).map((entry) => factKey(entry.index, entry.value)));
}

function quantityClasses(event: JsonValue, fields: readonly string[]): string[] {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return [];
  const classes: string[] = [];
  for (const field of fields) {
    const list = event[field];
    if (!Array.isArray(list)) continue;
    for (const element of list) {
      if (element !== null && typeof element === 'object' && !Array.isArray(element) && typeof element['epcClass'] === 'string') classes.push(element['epcClass']);
    }
  }
  return classes;
}

function stringMember(event: JsonValue, member: string): string | undefined {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return undefined;
  const value = event[member];
  return typeof value === 'string' ? value : undefined;
}

interface Criterion {
  name: string;
  index: EventIndexName;
  values: string[];
  rank: number;
  matches?: Matcher;
}

type Scan = { kind: 'index'; index: EventIndexName; values: string[] } | { kind: 'time'; from?: number; to?: number };

export interface EventQueryPlan {
  criteria: Criterion[];
  actions?: string[];
  from?: number;
  to?: number;
  /** Set for readers who see only their own events. */
  party?: string;
  scan: Scan;
  fingerprint: string;
}

export function planEventQuery(parameters: EventQueryParameters, reader: Reader): EventQueryPlan {
  const criteria: Criterion[] = [];
  for (const name of CRITERION_NAMES) {
    const values = parameters[name];
    if (values === undefined) continue;
    const definition: CriterionDefinition = CRITERIA[name];
    const normalize = definition.normalize ?? ((value: string) => value);
    criteria.push({ name, index: definition.index, values: [...new Set(values.map(normalize))], rank: definition.rank, ...(definition.matches === undefined ? {} : { matches: definition.matches }) });
  }
  const party = reader.readsEverything ? undefined : reader.participant;
  const from = parameters.GE_eventTime;
  const to = parameters.LT_eventTime;

  const candidates: Array<{ rank: number; scan: Scan }> = criteria.map((criterion) => ({
    rank: criterion.rank + criterion.values.length / (ALTERNATIVES_MAX + 1),
    scan: { kind: 'index', index: criterion.index, values: criterion.values },
  }));
  if (party !== undefined) candidates.push({ rank: PARTICIPANT_RANK, scan: { kind: 'index', index: 'participant', values: [party] } });
  candidates.push({
    rank: from !== undefined && to !== undefined ? BOUNDED_TIME_RANK : OPEN_TIME_RANK,
    scan: { kind: 'time', ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) },
  });
  const scan = candidates.reduce((best, candidate) => (candidate.rank < best.rank ? candidate : best)).scan;

  const plan = {
    criteria,
    ...(parameters.EQ_action === undefined ? {} : { actions: parameters.EQ_action }),
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    ...(party === undefined ? {} : { party }),
    scan,
  };
  // Built in a fixed member order, so JSON.stringify is deterministic here.
  const described = JSON.stringify({ ...plan, criteria: criteria.map(({ name, values }) => ({ name, values })) });
  const fingerprint = toHex(sha256(new TextEncoder().encode(described))).slice(0, 32);
  return { ...plan, fingerprint };
}

function matchesPlan(plan: EventQueryPlan, event: StoredEvent, facts: EventFacts): boolean {
  if (plan.party !== undefined && !event.participants.includes(plan.party)) return false;
  for (const criterion of plan.criteria) {
    const test = criterion.matches;
    const found = criterion.values.some((value) => (test === undefined ? facts.has(factKey(criterion.index, value)) : test(event, facts, value)));
    if (!found) return false;
  }
  if (plan.actions !== undefined) {
    const action = stringMember(event.event, 'action');
    if (action === undefined || !plan.actions.includes(action)) return false;
  }
  if (plan.from !== undefined || plan.to !== undefined) {
    const time = eventTimeMilliseconds(event.event);
    if (time === undefined) return false;
    if (plan.from !== undefined && time < plan.from) return false;
    if (plan.to !== undefined && time >= plan.to) return false;
  }
  return true;
}

/**
 * Whether one stored event answers the query (its criteria and the reader's party rule), by the
 * same test a page's scan applies: for subscriptions that follow new blocks rather than scan.
 */
export function eventMatchesQuery(plan: EventQueryPlan, event: StoredEvent): boolean {
  return matchesPlan(plan, event, factsOf(event));
}

/** Where a scan resumes: which alternative, the store cursor of the store page, rows of it already consumed. */
interface ScanPosition {
  alternative: number;
  cursor?: string;
  consumed: number;
  lastReference?: string;
}

const tokenSchema = z.strictObject({
  v: z.literal(1),
  f: z.string().regex(/^[0-9a-f]{32}$/),
  a: z.number().int().min(0).max(ALTERNATIVES_MAX),
  c: z.string().min(1).max(PAGE_TOKEN_LENGTH_MAX).optional(),
  s: z.number().int().min(0).max(STORE_PAGE_EVENTS),
  r: z.string().max(64).optional(),
});

function badToken(message: string): ApiError {
  return new ApiError(400, 'bad-page-token', message, 'nextPageToken');
}

export function encodePageToken(plan: EventQueryPlan, position: ScanPosition): string {
  const token: z.infer<typeof tokenSchema> = {
    v: 1,
    f: plan.fingerprint,
    a: position.alternative,
    ...(position.cursor === undefined ? {} : { c: position.cursor }),
    s: position.consumed,
    ...(position.lastReference === undefined ? {} : { r: position.lastReference }),
  };
  return Buffer.from(JSON.stringify(token), 'utf8').toString('base64url');
}

export function decodePageToken(plan: EventQueryPlan, token: string | undefined): ScanPosition {
  if (token === undefined) return { alternative: 0, consumed: 0 };
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw badToken('the nextPageToken is not one this server issued');
  }
  const parsed = tokenSchema.safeParse(decoded);
  if (!parsed.success) throw badToken('the nextPageToken is not one this server issued');
  const { f, a, c, s, r } = parsed.data;
  if (f !== plan.fingerprint) throw badToken('the nextPageToken belongs to another query; repeat the same parameters with it');
  if (a >= scanAlternatives(plan.scan)) throw badToken('the nextPageToken does not fit this query');
  if ((s > 0) !== (r !== undefined)) throw badToken('the nextPageToken is not one this server issued');
  return { alternative: a, consumed: s, ...(c === undefined ? {} : { cursor: c }), ...(r === undefined ? {} : { lastReference: r }) };
}

function scanAlternatives(scan: Scan): number {
  return scan.kind === 'index' ? scan.values.length : 1;
}

function storeQuery(scan: Scan, alternative: number, cursor: string | undefined): EventQuery {
  const paging = { pageSize: STORE_PAGE_EVENTS, ...(cursor === undefined ? {} : { cursor }) };
  if (scan.kind === 'time') return { index: TIME_INDEX_NAME, ...(scan.from === undefined ? {} : { from: scan.from }), ...(scan.to === undefined ? {} : { to: scan.to }), ...paging };
  return { index: scan.index, value: scan.values[alternative]!, ...paging };
}

export interface EventPageResult {
  events: StoredEvent[];
  nextPageToken?: string;
}

/** One page of the query's events. */
export async function runEventQuery(store: BlockStore, plan: EventQueryPlan, perPage: number, token: string | undefined): Promise<EventPageResult> {
  let position = decodePageToken(plan, token);
  const events: StoredEvent[] = [];
  const alternativesCount = scanAlternatives(plan.scan);
  let scanned = 0;
  while (position.alternative < alternativesCount) {
    const page = await store.queryEvents(storeQuery(plan.scan, position.alternative, position.cursor));
    if (!page.ok) throw badToken(`the nextPageToken does not fit this query (${page.message})`);
    const rows = page.events;
    let start = position.consumed;
    if (start > 0 && rows[start - 1]?.reference !== position.lastReference) {
      // Only the event-time index can gain rows before a resume point (an event recorded late
      // with an early eventTime); find the last row served instead of counting.
      const found = rows.findIndex((row) => row.reference === position.lastReference);
      if (found < 0) throw badToken('the ledger moved under this nextPageToken; start the query again');
      start = found + 1;
    }
    // An event filed under an earlier alternative was served with it already.
    const scan = plan.scan;
    const earlierRows = scan.kind === 'index' ? scan.values.slice(0, position.alternative).map((value) => factKey(scan.index, value)) : [];
    for (let row = start; row < rows.length; row++) {
      const event = rows[row]!;
      scanned += 1;
      const facts = factsOf(event);
      if (!earlierRows.some((fact) => facts.has(fact)) && matchesPlan(plan, event, facts)) events.push(event);
      if (events.length >= perPage || scanned >= EVENTS_SCANNED_PER_PAGE_MAX) {
        const next: ScanPosition | undefined =
          row + 1 < rows.length
            ? { alternative: position.alternative, consumed: row + 1, lastReference: event.reference, ...(position.cursor === undefined ? {} : { cursor: position.cursor }) }
            : afterPage(position.alternative, page.nextCursor, alternativesCount);
        return next === undefined ? { events } : { events, nextPageToken: encodePageToken(plan, next) };
      }
    }
    const next = afterPage(position.alternative, page.nextCursor, alternativesCount);
    if (next === undefined) break;
    position = next;
  }
  return { events };
}

function afterPage(alternative: number, nextCursor: string | undefined, alternativesCount: number): ScanPosition | undefined {
  if (nextCursor !== undefined) return { alternative, cursor: nextCursor, consumed: 0 };
  if (alternative + 1 < alternativesCount) return { alternative: alternative + 1, consumed: 0 };
  return undefined;
}
