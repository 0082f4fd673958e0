/**
 * The auditors' indices beyond the EPCIS event indices (docs/encoding.md, "Store layout"), so
 * that what an auditor looks for is found whatever its age, by one range scan, never by reading
 * the latest N blocks:
 *
 * - notes (records.ts): `c:<reference>` holds a StoredNote, `x:<index>\0<key>\0<reference>` finds
 *   it; rule-driven changes of an item, approval requests by subject and by party;
 * - blocks with transactions: `k:<height>` for every block that carries any, newest found first;
 * - search (identifiers.ts): `x:name\0<name>\0<identifier>` under each name an identifier an event
 *   names is known by (itself, its GS1 key, lot code, GTIN), `x:word\0<word>\0<identifier>` under
 *   each of its words.
 *
 * All are derived: written in the block's one batch, in no root, rebuilt by replaying blocks.
 */
import type { ClassicLevel } from 'classic-level';
import { assert } from '../assert.js';
import type { Block } from '../model/block.js';
import { queryTokens, searchNames, searchWords } from './identifiers.js';
import { eventReference, fixedHex, HEIGHT_DIGITS, storeKeys } from './keys.js';
import { decodeRecord, encodeRecord, type IndexedNote, type NoteIndexName, type StoredNote } from './records.js';

type Database = ClassicLevel<string, Uint8Array>;
type Batch = ReturnType<Database['batch']>;

const EMPTY = new Uint8Array(0);
const NAME_INDEX = 'name';
const WORD_INDEX = 'word';

export const AUDITOR_INDEX_LIMITS = {
  /** Notes one query returns at most. */
  notesPerPageMax: 500,
  /** Blocks with transactions one query returns at most. */
  blocksPerPageMax: 100,
  /** Identifiers one search returns at most. */
  searchResultsMax: 100,
  /** Index rows one search reads per token before it stops (and says it is incomplete). */
  searchRowsPerTokenMax: 5000,
} as const;

export const noteKey = (reference: string) => `c:${reference}`;
export const busyBlockKey = (height: number) => `k:${fixedHex(height, HEIGHT_DIGITS)}`;
const BUSY_BLOCK_PREFIX = 'k:';

/**
 * The row every identifier has once recorded (its first search name, the identifier itself
 * lower-cased), whose presence means its search rows are written; undefined for an identifier
 * with no search name.
 */
export function identifierRowKey(identifier: string): string | undefined {
  const names = searchNames(identifier);
  return names.length > 0 ? storeKeys.index(NAME_INDEX, names[0]!, identifier) : undefined;
}

/**
 * Adds a block's auditor index rows to the batch that appends it; `identifiers` are those its
 * events name. An identifier's search rows depend on nothing but the identifier, and are written
 * all in one batch, so once its first row is stored (`stored` says so) the rest are too: a lot
 * that is shipped and received again costs no search rows after its first event.
 */
export function writeAuditorIndices(
  batch: Batch,
  block: Block,
  transactionIds: readonly string[],
  identifiers: ReadonlySet<string>,
  notes: readonly IndexedNote[],
  stored: (key: string) => boolean = () => false,
): void {
  const height = block.header.height;
  if (block.transactions.length > 0) batch.put(busyBlockKey(height), EMPTY);
  const notesPerPosition = new Map<number, number>();
  for (const note of notes) {
    assert(Number.isInteger(note.position) && note.position >= 0 && note.position < block.transactions.length, `a note names transaction position ${note.position}`);
    const count = notesPerPosition.get(note.position) ?? 0;
    notesPerPosition.set(note.position, count + 1);
    const reference = eventReference(height, note.position, count);
    const stored: StoredNote = {
      reference,
      height,
      position: note.position,
      txId: transactionIds[note.position]!,
      index: note.index,
      key: note.key,
      recordedAt: block.header.timestamp,
      signers: [...block.transactions[note.position]!.body.signers],
      note: note.note,
    };
    batch.put(noteKey(reference), encodeRecord(stored));
    batch.put(storeKeys.index(note.index, note.key, reference), EMPTY);
  }
  for (const identifier of identifiers) {
    const recorded = identifierRowKey(identifier);
    if (recorded !== undefined && stored(recorded)) continue;
    for (const name of searchNames(identifier)) batch.put(storeKeys.index(NAME_INDEX, name, identifier), EMPTY);
    for (const word of searchWords(identifier)) batch.put(storeKeys.index(WORD_INDEX, word, identifier), EMPTY);
  }
}

/** The notes under one key of one index, oldest first, after `afterReference` when given. */
export async function notesUnder(db: Database, index: NoteIndexName, key: string, limit: number, afterReference?: string): Promise<StoredNote[]> {
  assert(Number.isInteger(limit) && limit >= 1 && limit <= AUDITOR_INDEX_LIMITS.notesPerPageMax, `note page of ${limit}`);
  const prefix = storeKeys.indexPrefix(index, key);
  const keys = await db.keys({ ...(afterReference === undefined ? { gte: prefix } : { gt: `${prefix}${afterReference}` }), lt: `${prefix}\uffff`, limit }).all();
  const references = keys.map((entry) => entry.slice(prefix.length));
  const records = await db.getMany(references.map(noteKey));
  return records.map((record, position) => {
    assert(record !== undefined, `index entry for missing note ${references[position]}`);
    return decodeRecord<StoredNote>(record);
  });
}

/** Heights of blocks that carry transactions, below `before`, newest first. */
export async function busyBlocksBefore(db: Database, before: number, limit: number): Promise<number[]> {
  // One more than a page: whether a next page exists.
  assert(Number.isInteger(limit) && limit >= 1 && limit <= AUDITOR_INDEX_LIMITS.blocksPerPageMax + 1, `block page of ${limit}`);
  const keys = await db.keys({ gte: BUSY_BLOCK_PREFIX, lt: busyBlockKey(before), reverse: true, limit }).all();
  return keys.map((entry) => parseInt(entry.slice(BUSY_BLOCK_PREFIX.length), 16));
}

export type SearchMatch = 'exact' | 'word' | 'prefix';
const MATCH_ORDER: readonly SearchMatch[] = ['exact', 'word', 'prefix'];

export interface SearchHit {
  id: string;
  /** exact: the query is the identifier, its GS1 key, lot code or GTIN; word: each word of the query is a word of it; prefix: the query begins a name of it, or each word begins a word of it. */
  match: SearchMatch;
}

/**
 * Identifiers found by what a person typed, best first: exact matches, then word matches, then
 * prefix matches (SearchHit), alphabetical within each. Each index is read for a bounded number
 * of rows; `complete` is false when a bound cut the answer.
 */
export async function searchIdentifiers(db: Database, query: string, limit: number): Promise<{ hits: SearchHit[]; complete: boolean }> {
  assert(Number.isInteger(limit) && limit >= 1 && limit <= AUDITOR_INDEX_LIMITS.searchResultsMax, `search of ${limit} results`);
  const tokens = queryTokens(query);
  if (tokens === undefined) return { hits: [], complete: true };
  let complete = true;
  /** Identifiers with `token` under `index`: 'whole' where it is the entry, 'start' where it only begins it. */
  const scan = async (index: string, token: string): Promise<Map<string, 'whole' | 'start'>> => {
    const prefix = storeKeys.indexPrefix(index, token).slice(0, -1);
    const keys = await db.keys({ gte: prefix, lt: `${prefix}\uffff`, limit: AUDITOR_INDEX_LIMITS.searchRowsPerTokenMax + 1 }).all();
    if (keys.length > AUDITOR_INDEX_LIMITS.searchRowsPerTokenMax) complete = false;
    const found = new Map<string, 'whole' | 'start'>();
    for (const key of keys.slice(0, AUDITOR_INDEX_LIMITS.searchRowsPerTokenMax)) {
      const separator = key.indexOf('\u0000', prefix.length);
      const identifier = key.slice(separator + 1);
      if (separator === prefix.length) found.set(identifier, 'whole');
      else if (!found.has(identifier)) found.set(identifier, 'start');
    }
    return found;
  };
  const ranked = new Map<string, SearchMatch>();
  const rank = (id: string, match: SearchMatch) => {
    const current = ranked.get(id);
    if (current === undefined || MATCH_ORDER.indexOf(match) < MATCH_ORDER.indexOf(current)) ranked.set(id, match);
  };
  for (const [id, found] of await scan(NAME_INDEX, tokens.whole)) rank(id, found === 'whole' ? 'exact' : 'prefix');
  const perWord = await Promise.all(tokens.words.map((word) => scan(WORD_INDEX, word)));
  for (const [id] of perWord[0] ?? []) {
    const all = perWord.map((found) => found.get(id));
    if (all.some((found) => found === undefined)) continue;
    rank(id, all.every((found) => found === 'whole') ? 'word' : 'prefix');
  }
  const hits = [...ranked].map(([id, match]) => ({ id, match })).sort((left, right) => MATCH_ORDER.indexOf(left.match) - MATCH_ORDER.indexOf(right.match) || (left.id < right.id ? -1 : left.id > right.id ? 1 : 0));
  if (hits.length > limit) complete = false;
  return { hits: hits.slice(0, limit), complete };
}
