/**
 * The block store: one classic-level (LevelDB) database per node holding the committed chain,
 * its certificates and results, the RFC 9162 Merkle log over all ledger entries, the
 * application state and the auditor indices (docs/encoding.md, "Store layout").
 *
 * Appending a block is one atomic LevelDB batch written with `sync: true`, so the store never
 * holds half a block and an acknowledged block survives a crash. It is append-only: a block
 * whose height or prevHash does not follow the head is refused, and nothing rewrites a
 * committed block. On open it re-checks its tail and refuses to start on any mismatch.
 *
 * It also keeps the chain's validator-set epochs (epochs.ts): a block whose header carries
 * `nextValidators` ends its epoch, and is recorded in a small index in the same batch, so that
 * the node can ask which set certifies a height and the API can prove the hand-overs.
 *
 * The state root is the root of the state tree (ledger/state-tree/), whose versioned nodes the
 * store keeps for the last `stateHeightsKept` heights (state-tree-rows.ts), so that a key's value
 * or absence can be proven at any of them.
 */
import { ClassicLevel } from 'classic-level';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { assert } from '../assert.js';
import { WRITE_BUFFER_BYTES_DEFAULT, WRITE_BUFFER_BYTES_MAX, WRITE_BUFFER_BYTES_MIN } from './write-buffer.js';
import { toHex } from '../encoding/hex.js';
import { sha256 } from '../crypto/sha256.js';
import type { Block, BlockHeader } from '../model/block.js';
import type { Transaction } from '../model/transaction.js';
import type { QuorumCertificate } from '../model/certificate.js';
import { genesisEpoch, type Epoch } from '../model/epoch.js';
import { genesisHash, type Genesis } from '../model/genesis.js';
import type { LedgerEntry } from '../model/ledger-entry.js';
import type { TransactionResult } from '../model/result.js';
import { isCanonicalWriteSet, type StateWrite } from '../model/state.js';
import type { JsonValue } from '../encoding/canonical-json.js';
import { compareHashes, EMPTY_CHILD, keyHashOf, pathOf, prefetchUpdateReads, prepareWrites, proofOfPath, updateStateTree, valueHashOf, withPrefetched, type Child, type PrefetchedNodes, type StateTreeProof } from '../state-tree/index.js';
import { ValidatorSet } from '../model/validator-set.js';
import {
  buildConsistencyProof,
  buildInclusionProof,
  EMPTY_ROOT,
  MerkleFrontier,
  nodesForConsistencyProof,
  nodesForInclusionProof,
  nodesForRoot,
  rootFromNodes,
  type Hash,
  type NodeId,
  type NodeLookup,
  type NodeWrite,
} from '../merkle/index.js';
import { checkCommittedBlock, headerRootsDiffer, stateAfterBlock, type BlockCheckCode, type CommittedBlockParts, type LedgerState } from '../verify/block-checks.js';
import { EpochHistory, loadEpochHistory, type EpochChange } from './epochs.js';
import { LogNodes, type LogNodeSource } from './log-nodes.js';
import { eventIndexEntries, eventTimeMilliseconds, TIME_INDEX_NAME, type EventIndexName } from './event-index.js';
import { eventReference, fixedHex, storeKeys } from './keys.js';
import { busyBlocksBefore, identifierRowKey, notesUnder, searchIdentifiers, writeAuditorIndices, type SearchHit } from './auditor-indices.js';
import { decodeRecord, encodeRecord, type IndexedEvent, type IndexedNote, type NoteIndexName, type StoredEvent, type StoredNote, type TransactionLocation, type TransactionRecord } from './records.js';
import { describeStoreError, storeErrorMessage } from './open-errors.js';
import { makeReadCopy, type ReadCopy } from './read-copy.js';
import { checkStoredBlock, checkTail, type StoreReader } from './tail-check.js';
import { checkBlockRecord, checkCertificateRecord, checkHeaderRecord, checkTransactionRecord, isDamageError, storeDamage, StoreDamagedError, type StoreDamage } from './checked-reads.js';
import { CachedStateTreeNodes, pruneStateTrees, putStateTreeHeight, stateTreeKeys, STATE_HEIGHTS_KEPT_DEFAULT, STATE_HEIGHTS_KEPT_MIN, storedNodesFetch, storedStateFloor, storedStateTreeNodes, storedStateTreeRoot } from './state-tree-rows.js';

export type { EpochChange } from './epochs.js';
export { StoreDamagedError, type StoreDamage } from './checked-reads.js';

/** A checked read: the record (undefined when none is stored) or the damage its checks found. */
export type CheckedRead<T> = { ok: true; value: T | undefined } | StoreDamage;

/** 2: the state root became the state tree's root, with its rows (issue 15). A store of format 1 is refused. */
export const STORE_FORMAT_VERSION = 2;
const NO_PREFETCHED_NODES: PrefetchedNodes = new Map();
/** Blocks whose decoded results are kept for status queries. */
const RECENT_RESULTS_KEPT = 64;
/** Blocks whose checked record digests are kept (32 bytes each and a Map entry: about 0.5 MB). */
const CHECKED_BLOCK_DIGESTS_KEPT = 4096;

export interface TransactionOutcome extends TransactionLocation {
  txId: string;
  blockHash: string;
  result: TransactionResult;
}
export const STORE_LIMITS = {
  /**
   * LevelDB's max_open_files for the ledger: the tables it keeps open, each read through mmap with
   * its index in memory, so the pages read from them count in the validator's RSS until the table
   * is closed. LevelDB's default (1,000 tables of about 2 MB) let a large ledger's reads hold
   * gigabytes resident; fewer open tables cost a table's reopening (its footer and index) on a
   * miss (docs/performance.md, "A validator's memory on a large ledger").
   */
  tablesOpenMax: 50,
  /**
   * Ledger states of the latest heights kept in memory: a block's header describes the ledger at
   * an earlier height (a few blocks back), read on every append otherwise.
   */
  recentStatesKept: 16,
  tailBlocksChecked: 100,
  /**
   * State writes whose tree derivation the tail check repeats on open, newest heights first (the
   * head's always): about 1-2 s of reads on a large ledger (tail-check.ts; docs/performance.md,
   * "A validator's start on a busy ledger").
   */
  tailStateWritesChecked: 8192,
  /**
   * Lookups (a block's state writes, each a path down the state tree; its transactions' ids; its
   * events' identifiers) up to which an append reads synchronously: about a hundred row reads at
   * most, some milliseconds on a large ledger. A larger block's reads go in batches off the event
   * loop (docs/performance.md, "Levers": a small block's reads).
   */
  appendSynchronousLookupsMax: 32,
  /**
   * Rows of the log's Merkle nodes a lookup reads synchronously at most: a proof's handful (one a
   * level below those kept in memory, five at a million leaves), each a trip through libuv's pool
   * otherwise, whose hand-offs were most of a proof's tail on two shared cores. A larger lookup (a
   * tile's nodes) goes as one batch off the event loop (docs/performance.md, "A proof's hand-offs").
   */
  logNodesSynchronousReadsMax: 16,
  blocksPerRangeMax: 100,
  eventsPerPageDefault: 100,
  eventsPerPageMax: 1000,
} as const;

export interface BlockCommit extends CommittedBlockParts {
  events: readonly IndexedEvent[];
  /** Execution's notes for the auditor indices (auditor-indices.ts); derived data, in no root. */
  notes?: readonly IndexedNote[];
  /**
   * The transactions' ids, when the caller has them from checking these very transactions (a
   * validator does, and execution took them): the store then does not canonicalise and hash
   * every body again. They are bound to the block all the same, through the transaction root
   * the certified header carries (block-checks.ts BlockCheckOptions).
   */
  transactionIds?: readonly string[];
}

export type AppendErrorCode = BlockCheckCode | 'ledger-roots-mismatch' | 'event-position-invalid' | 'next-validators-invalid';
export type AppendResult =
  | { ok: true; state: LedgerState }
  | { ok: false; code: AppendErrorCode; message: string };

export type StoreOpenErrorCode = 'unreadable' | 'format-unsupported' | 'genesis-mismatch' | 'corrupt';
export type StoreOpenResult =
  | { ok: true; store: BlockStore }
  | { ok: false; code: StoreOpenErrorCode; message: string; height?: number };

export interface BlockStoreOptions {
  directory: string;
  genesis: Genesis;
  /** The consortium's initial state, from contracts/; it sets the state root at height 0. */
  genesisWrites?: readonly StateWrite[];
  /**
   * The genesis validator set. When given, the tail check also verifies the certificates'
   * signatures, each under the epoch of its height, and those of the recorded hand-overs.
   */
  validators?: ValidatorSet;
  tailBlocksChecked?: number;
  /** State writes whose tree derivation the tail check repeats (default STORE_LIMITS.tailStateWritesChecked). */
  tailStateWritesChecked?: number;
  /** Heights whose state trees are kept, for state proofs (default STATE_HEIGHTS_KEPT_DEFAULT, at least STATE_HEIGHTS_KEPT_MIN). */
  stateHeightsKept?: number;
  /** LevelDB's write buffer (memtable) for the ledger, bytes (default WRITE_BUFFER_BYTES_DEFAULT, within WRITE_BUFFER_BYTES_MIN and _MAX). */
  writeBufferBytes?: number;
  /** Lookups up to which an append reads synchronously (default STORE_LIMITS.appendSynchronousLookupsMax; 0: always in batches). */
  appendSynchronousLookupsMax?: number;
}

/** A key's value (null: absent) at a retained height, with its proof against that height's state root. */
export interface StateProofAt {
  height: number;
  stateRoot: string;
  value: JsonValue | null;
  proof: StateTreeProof;
}

export type StateProofRead = { ok: true; value: StateProofAt } | { ok: false; code: 'height-not-kept'; message: string; floor: number };

export interface InclusionProof {
  entry: LedgerEntry;
  leafIndex: number;
  logSize: number;
  logRoot: string;
  proof: string[];
}

export type EventQuery =
  | { index: EventIndexName; value: string; pageSize?: number; cursor?: string }
  | { index: typeof TIME_INDEX_NAME; from?: number; to?: number; pageSize?: number; cursor?: string };

export type EventPage = { ok: true; events: StoredEvent[]; nextCursor?: string } | { ok: false; code: 'bad-cursor' | 'bad-page-size'; message: string };

type Database = ClassicLevel<string, Uint8Array>;

/** Event times are biased so that every representable Date fits in 14 ordered hex digits. */
const TIME_BIAS_MILLISECONDS = 8.64e15;
const TIME_DIGITS = 14;

export class BlockStore {
  private frontier: MerkleFrontier;
  private headState: LedgerState;
  /** The latest heights' ledger states (STORE_LIMITS.recentStatesKept), oldest first. */
  private readonly recentStates = new Map<number, LedgerState>();
  private appendQueue: Promise<unknown> = Promise.resolve();
  private readonly recentResults = new Map<number, TransactionResult[]>();
  /** Set when a write failed: the in-memory view may no longer match the disk. */
  private failure: Error | undefined;
  private epochHistory: EpochHistory;
  /** The head block as getBlock last decoded it, deep-frozen so that every reader can share it. */
  private headBlock: { height: number; block: Block } | undefined;
  private headCertificate: { height: number; certificate: QuorumCertificate } | undefined;
  /** The first damage a read or the scrub found; the validator is then not ready (docs/operations.md). */
  private damage: StoreDamage | undefined;
  private readonly damageListeners = new Set<(damage: StoreDamage) => void>();
  /** SHA-256 of block records that passed checkBlockRecord, by height, oldest first (at most CHECKED_BLOCK_DIGESTS_KEPT). */
  private readonly checkedBlockDigests = new Map<number, Uint8Array>();
  /** Whether this open created the store (an empty folder): a validator whose ledger was moved aside. */
  createdOnOpen = false;
  /** The state tree's root after the head. */
  private stateTreeRoot: Child;
  /** The lowest height whose state tree is kept whole. */
  private stateFloorHeight: number;
  private readonly stateNodes: CachedStateTreeNodes;

  private constructor(
    private readonly db: Database,
    readonly genesis: Genesis,
    readonly genesisHash: string,
    head: LedgerState,
    frontier: MerkleFrontier,
    epochs: EpochHistory,
    private readonly validators: ValidatorSet | undefined,
    stateTree: { root: Child; floor: number },
    private readonly stateHeightsKept: number,
    private readonly logNodes: LogNodes,
    private readonly appendSynchronousLookupsMax: number,
  ) {
    this.headState = head;
    this.frontier = frontier;
    this.epochHistory = epochs;
    this.stateTreeRoot = stateTree.root;
    this.stateFloorHeight = stateTree.floor;
    this.stateNodes = new CachedStateTreeNodes((key) => this.db.getSync(key));
  }

  static async open(options: BlockStoreOptions): Promise<StoreOpenResult> {
    const writeBufferSize = options.writeBufferBytes ?? WRITE_BUFFER_BYTES_DEFAULT;
    assert(Number.isInteger(writeBufferSize) && writeBufferSize >= WRITE_BUFFER_BYTES_MIN && writeBufferSize <= WRITE_BUFFER_BYTES_MAX, `writeBufferBytes ${writeBufferSize} is outside ${WRITE_BUFFER_BYTES_MIN}..${WRITE_BUFFER_BYTES_MAX}`);
    const db: Database = new ClassicLevel<string, Uint8Array>(options.directory, { keyEncoding: 'utf8', valueEncoding: 'view', maxOpenFiles: STORE_LIMITS.tablesOpenMax, writeBufferSize });
    try {
      await db.open();
    } catch (error) {
      return { ok: false, code: 'unreadable', message: storeErrorMessage(error, 'ledger', options.directory) };
    }
    const result = await BlockStore.load(db, options).catch((error: unknown): StoreOpenResult => ({ ok: false, code: 'corrupt', message: storeErrorMessage(error, 'ledger', options.directory) }));
    if (!result.ok) await db.close();
    return result;
  }

  private static async load(db: Database, options: BlockStoreOptions): Promise<StoreOpenResult> {
    const stateHeightsKept = options.stateHeightsKept ?? STATE_HEIGHTS_KEPT_DEFAULT;
    assert(Number.isSafeInteger(stateHeightsKept) && stateHeightsKept >= STATE_HEIGHTS_KEPT_MIN, `stateHeightsKept must be an integer of at least ${STATE_HEIGHTS_KEPT_MIN}`);
    const appendSynchronousLookupsMax = options.appendSynchronousLookupsMax ?? STORE_LIMITS.appendSynchronousLookupsMax;
    assert(Number.isSafeInteger(appendSynchronousLookupsMax) && appendSynchronousLookupsMax >= 0, 'appendSynchronousLookupsMax must be a non-negative integer');
    const expectedGenesisHash = genesisHash(options.genesis);
    const format = await db.get(storeKeys.formatVersion);
    const created = format === undefined;
    if (created) {
      await BlockStore.initialize(db, options.genesis, expectedGenesisHash, options.genesisWrites ?? []);
    } else if (decodeRecord<number>(format) !== STORE_FORMAT_VERSION) {
      return { ok: false, code: 'format-unsupported', message: `store format ${decodeRecord<number>(format)} is not supported (expected ${STORE_FORMAT_VERSION})` };
    }
    const storedGenesis = await db.get(storeKeys.genesis);
    if (storedGenesis === undefined) return { ok: false, code: 'corrupt', message: 'the store has no genesis record', height: 0 };
    const storedGenesisHash = genesisHash(decodeRecord<Genesis>(storedGenesis));
    if (storedGenesisHash !== expectedGenesisHash) {
      return {
        ok: false,
        code: 'genesis-mismatch',
        message: `the store belongs to genesis ${storedGenesisHash}, not ${expectedGenesisHash} (chain ${options.genesis.chainId}); point --data at this chain's directory`,
      };
    }

    const headRecord = await db.get(storeKeys.head);
    if (headRecord === undefined) return { ok: false, code: 'corrupt', message: 'the store has no head record', height: 0 };
    const headHeight = decodeRecord<number>(headRecord);
    const reader = storeReader(db);
    const headState = await reader.ledgerState(headHeight);
    if (headState === undefined) return { ok: false, code: 'corrupt', message: `no ledger state for the head height ${headHeight}`, height: headHeight };

    let genesisSet = options.validators;
    if (genesisSet === undefined) {
      const created = ValidatorSet.create(options.genesis.validators);
      if (!created.ok) return { ok: false, code: 'genesis-mismatch', message: `the genesis validator set is invalid: ${created.path}: ${created.message}` };
      genesisSet = created.set;
    }
    // Epoch 0 is the genesis set; the index of epoch-ending blocks gives the rest.
    const epochs = await loadEpochHistory(reader, {
      chainId: options.genesis.chainId,
      genesis: genesisEpoch(options.genesis.validators, genesisSet),
      headHeight,
      verifyCertificates: options.validators !== undefined,
    });
    const tailProblem = !epochs.ok
      ? epochs
      : await checkTail(reader, {
          chainId: options.genesis.chainId,
          genesisHash: expectedGenesisHash,
          head: headState,
          blocksChecked: options.tailBlocksChecked ?? STORE_LIMITS.tailBlocksChecked,
          stateWritesChecked: options.tailStateWritesChecked ?? STORE_LIMITS.tailStateWritesChecked,
          validators: options.validators,
          epochs: epochs.history,
        });
    if (tailProblem !== undefined) {
      return {
        ok: false,
        code: 'corrupt',
        height: tailProblem.height,
        message: `store corrupt at height ${tailProblem.height}: ${tailProblem.message}. Nothing was repaired; restore this node's data directory from a backup or remove it and let the node catch up from its peers.`,
      };
    }

    const get = (key: string) => db.getSync(key);
    const stateTreeRoot = storedStateTreeRoot(get, headHeight);
    const stateFloor = storedStateFloor(get);
    if (stateTreeRoot === undefined || stateFloor === undefined || toHex(stateTreeRoot.hash) !== headState.stateRoot) {
      return { ok: false, code: 'corrupt', height: headHeight, message: `store corrupt at height ${headHeight}: the state tree's root or floor is missing or differs from the recorded state root` };
    }

    const frontierNodes = await readNodes(db, nodesForRoot(headState.logSize));
    const frontier = MerkleFrontier.fromNodes(headState.logSize, frontierNodes);
    assert(toHex(frontier.root()) === headState.logRoot, 'the Merkle frontier disagrees with a tail that passed its checks');
    assert(epochs.ok, 'the epoch history failed to load without a reported problem');
    const logNodes = await LogNodes.load(logNodeSource(db), headState.logSize);
    const store = new BlockStore(db, options.genesis, expectedGenesisHash, headState, frontier, epochs.history, options.validators, { root: stateTreeRoot, floor: stateFloor }, stateHeightsKept, logNodes, appendSynchronousLookupsMax);
    store.createdOnOpen = created;
    return { ok: true, store };
  }

  private static async initialize(db: Database, genesis: Genesis, hash: string, genesisWrites: readonly StateWrite[]): Promise<void> {
    assert(isCanonicalWriteSet(genesisWrites), 'genesis writes must be sorted by key with each key once');
    const tree = updateStateTree(storedStateTreeNodes((key) => db.getSync(key)), EMPTY_CHILD, 0, prepareWrites(genesisWrites));
    const state: LedgerState = {
      height: 0,
      blockHash: hash,
      logSize: 0,
      logRoot: toHex(EMPTY_ROOT),
      stateRoot: toHex(tree.root.hash),
      headerLedgerHeight: 0,
    };
    const batch = db.batch();
    putStateTreeHeight(batch, 0, tree.root, tree.changes);
    batch.put(stateTreeKeys.floor, encodeRecord(0));
    batch.put(storeKeys.formatVersion, encodeRecord(STORE_FORMAT_VERSION));
    batch.put(storeKeys.genesis, encodeRecord(genesis));
    batch.put(storeKeys.writes(0), encodeRecord(genesisWrites));
    batch.put(storeKeys.ledgerState(0), encodeRecord(state));
    for (const write of genesisWrites) if (write.value !== null) batch.put(storeKeys.state(write.key), encodeRecord(write.value));
    batch.put(storeKeys.head, encodeRecord(0));
    await batch.write({ sync: true });
  }

  /** The ledger as of the last committed block. */
  head(): LedgerState {
    return this.headState;
  }

  /**
   * Appends the next committed block in one synced batch. Appends are serialised; the
   * in-memory head moves only after the batch is durable.
   */
  appendBlock(commit: BlockCommit): Promise<AppendResult> {
    const next = this.appendQueue.then(() => this.appendNow(commit));
    this.appendQueue = next.catch(() => undefined);
    return next;
  }

  private async appendNow(commit: BlockCommit): Promise<AppendResult> {
    if (this.failure !== undefined) throw new Error(`the store stopped accepting writes after a failed write: ${this.failure.message}`);
    const previous = this.headState;
    const checked = checkCommittedBlock(commit, previous, this.genesis.chainId, { transactionIds: commit.transactionIds });
    if (!checked.ok) return checked;
    const header = commit.block.header;
    const atLedgerHeight = header.ledgerHeight === previous.height ? previous : await this.ledgerState(header.ledgerHeight);
    assert(atLedgerHeight !== undefined, `no ledger state at committed height ${header.ledgerHeight}`);
    const rootsDiffer = headerRootsDiffer(commit.block, atLedgerHeight);
    if (rootsDiffer !== undefined) return { ok: false, code: 'ledger-roots-mismatch', message: rootsDiffer };
    for (const event of commit.events) {
      if (!Number.isInteger(event.position) || event.position < 0 || event.position >= commit.block.transactions.length) {
        return { ok: false, code: 'event-position-invalid', message: `an event names transaction position ${event.position}` };
      }
    }
    let epochs = this.epochHistory;
    if (header.nextValidators !== undefined) {
      const next = epochs.withChange({ header, certificate: commit.certificate });
      if (!next.ok) return { ok: false, code: 'next-validators-invalid', message: next.message };
      epochs = next.history;
    }

    const stateWrites = prepareWrites(commit.writes, checked.writeValueTexts);
    const eventEntries = commit.events.map((indexed) => eventIndexEntries(indexed.event, indexed.participants, indexed.eventHash));
    const identifiers = new Set<string>();
    for (const entries of eventEntries) for (const entry of entries) if (entry.index === 'anyEpc' || entry.index === 'epcClass') identifiers.add(entry.value);
    const identifierRows = [...identifiers].flatMap((identifier) => identifierRowKey(identifier) ?? []);
    const transactionKeys = checked.transactionIds.map((id) => storeKeys.transaction(id));
    let existing: ReadonlyArray<Uint8Array | undefined>;
    let stateNodesRead: PrefetchedNodes;
    let recordedIdentifierRows: Set<string>;
    if (stateWrites.length + transactionKeys.length + identifierRows.length <= this.appendSynchronousLookupsMax) {
      // A small block reads little: one by one on this thread, since each batch below is a round
      // trip through libuv's pool, queued behind the synced writes of both stores.
      existing = transactionKeys.map((key) => this.db.getSync(key));
      stateNodesRead = NO_PREFETCHED_NODES;
      recordedIdentifierRows = new Set(identifierRows.filter((key) => this.db.getSync(key) !== undefined));
    } else {
      // A large one in batches off the event loop: on a large ledger most reads miss every cache
      // (the state tree's nodes a depth at a time; whether each identifier is recorded), and read
      // one by one they held the loop for the whole append.
      [existing, stateNodesRead, recordedIdentifierRows] = await Promise.all([
        this.db.getMany(transactionKeys),
        prefetchUpdateReads(this.stateTreeRoot, stateWrites, storedNodesFetch((keys) => this.db.getMany(keys), this.stateNodes)),
        this.db.getMany(identifierRows).then((values) => new Set(identifierRows.filter((_, index) => values[index] !== undefined))),
      ]);
    }
    const frontier = this.frontier.clone();
    const batch = this.db.batch();
    // JSON records go in as text: LevelDB copies the string's UTF-8 itself, with no Uint8Array made per row.
    const putText = (key: string, text: string) => batch.put(key, text as unknown as Uint8Array, UTF8_VALUE);
    const height = header.height;
    const blockRecord = encodeBlockRecord(commit.block);
    putText(storeKeys.block(height), blockRecord.text);
    putText(storeKeys.certificate(height), JSON.stringify(commit.certificate));
    putText(storeKeys.results(height), JSON.stringify(commit.results));
    // The canonical text the state root hashed: JSON, so it is the record as it stands.
    putText(storeKeys.writes(height), checked.writeSetText);
    putText(storeKeys.blockHash(checked.hash), String(height));
    if (epochs !== this.epochHistory) putText(storeKeys.epochEnd(height), String(this.epochHistory.current.number));

    const firstLeaf = previous.logSize;
    const located = new Set<string>();
    const logWrites: NodeWrite[] = [];
    for (const [position, leaf] of checked.leafHashes.entries()) {
      for (const node of frontier.append(leaf)) {
        batch.put(storeKeys.merkleNode(node.id.level, node.id.index), node.hash);
        logWrites.push(node);
      }
      const txId = checked.transactionIds[position]!;
      // The first commit of an id is where it lives; a later duplicate is recorded (and rejected by the rules) but never moves it.
      if (existing[position] === undefined && !located.has(txId)) {
        located.add(txId);
        const location: Omit<StoredLocation, 'transaction'> = { height, position, leafIndex: firstLeaf + position, bytes: blockRecord.spans[position]!, blockHash: checked.hash, result: commit.results[position]! };
        // The transaction's own JSON after its place, its block's hash and its result: a read by id takes all of it from here, not from its block's record (some 200 KB), results and ledger state.
        putText(storeKeys.transaction(txId), `${JSON.stringify(location).slice(0, -1)},"transaction":${blockRecord.texts[position]!}}`);
      }
    }

    for (const [index, write] of commit.writes.entries()) {
      if (write.value === null) batch.del(storeKeys.state(write.key));
      else putText(storeKeys.state(write.key), checked.writeValueTexts[index]!);
    }
    // The state tree after the block: one pass over its writes, its new nodes in this batch, older trees pruned in it too.
    const tree = updateStateTree(withPrefetched(stateNodesRead, this.stateNodes), this.stateTreeRoot, height, stateWrites);
    const createdNodeKeys = putStateTreeHeight(batch, height, tree.root, tree.changes);
    const stateFloor = pruneStateTrees(batch, (key) => this.db.getSync(key), this.stateFloorHeight, height, this.stateHeightsKept);

    const eventCounts = new Map<number, number>();
    for (const [eventNumber, indexed] of commit.events.entries()) {
      const eventIndex = eventCounts.get(indexed.position) ?? 0;
      eventCounts.set(indexed.position, eventIndex + 1);
      const reference = eventReference(height, indexed.position, eventIndex);
      const stored: StoredEvent = {
        reference,
        height,
        position: indexed.position,
        eventIndex,
        txId: checked.transactionIds[indexed.position]!,
        participants: [...indexed.participants],
        ...(indexed.eventHash === undefined ? {} : { eventHash: indexed.eventHash }),
        recordedAt: commit.block.header.timestamp,
        signers: [...commit.block.transactions[indexed.position]!.body.signers],
        event: indexed.event,
      };
      putText(storeKeys.event(reference), JSON.stringify(stored));
      for (const entry of eventEntries[eventNumber]!) batch.put(storeKeys.index(entry.index, entry.value, reference), EMPTY_VALUE);
      const time = eventTimeMilliseconds(indexed.event);
      if (time !== undefined) batch.put(storeKeys.index(TIME_INDEX_NAME, '', `${timeKey(time)}\u0000${reference}`), EMPTY_VALUE);
    }

    writeAuditorIndices(batch, commit.block, checked.transactionIds, identifiers, commit.notes ?? [], (key) => recordedIdentifierRows.has(key));

    const state = stateAfterBlock(commit.block, checked, frontier, toHex(tree.root.hash));
    putText(storeKeys.ledgerState(height), JSON.stringify(state));
    putText(storeKeys.head, String(height));
    try {
      await batch.write({ sync: true });
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
      throw this.failure;
    }
    this.frontier = frontier;
    this.headState = state;
    this.logNodes.appended(logWrites, state.logSize);
    this.recentStates.set(height, state);
    if (this.recentStates.size > STORE_LIMITS.recentStatesKept) this.recentStates.delete(this.recentStates.keys().next().value!);
    this.epochHistory = epochs;
    this.stateTreeRoot = tree.root;
    this.stateFloorHeight = stateFloor;
    this.stateNodes.remember(tree.changes, createdNodeKeys);
    return { ok: true, state };
  }

  /**
   * The validator-set epoch that certifies `height`: for committed heights the one recorded, for
   * head + 1 the epoch the next block belongs to. Beyond head + 1 it is only as far as the
   * committed chain knows, since a block yet to commit may end the epoch.
   */
  epochAt(height: number): Epoch {
    assert(Number.isSafeInteger(height) && height >= 0, `invalid height ${height}`);
    return this.epochHistory.at(height);
  }

  /** The committed blocks below `beforeHeight` that end an epoch, oldest first, with their certificates. */
  async epochChanges(beforeHeight: number): Promise<EpochChange[]> {
    // Copies: what a caller does with them never reaches the history the store relies on.
    return structuredClone(this.epochHistory.changesBefore(beforeHeight));
  }

  async ledgerState(height: number): Promise<LedgerState | undefined> {
    if (height === this.headState.height) return this.headState;
    return this.recentStates.get(height) ?? storeReader(this.db).ledgerState(height);
  }

  /**
   * A committed block, checked against the ledger state recorded for its height (its hash) and
   * against its own header (its transactions' root); damage throws StoreDamagedError.
   */
  async getBlock(height: number): Promise<Block | undefined> {
    return this.unwrap(await this.readBlock(height));
  }

  /** getBlock with damage as a value. */
  async readBlock(height: number): Promise<CheckedRead<Block>> {
    // The head block is read over and over (every proof's checkpoint, the head's timestamp): decoded and checked once, frozen, shared.
    const cached = this.headBlock;
    if (cached !== undefined && cached.height === height && height === this.headState.height) return { ok: true, value: cached.block };
    const read = await this.checkedRead(height, async () => {
      const [record, state] = await this.db.getMany([storeKeys.block(height), storeKeys.ledgerState(height)]);
      return record === undefined ? { value: undefined, damage: undefined } : this.checkBlockBytes(height, record, state);
    });
    if (read.ok && read.value !== undefined && height === this.headState.height) this.headBlock = { height, block: deepFreeze(read.value) };
    return read;
  }

  async getBlockByHash(hash: string): Promise<Block | undefined> {
    const height = await getRecord<number>(this.db, storeKeys.blockHash(hash));
    return height === undefined || height === 0 ? undefined : this.getBlock(height);
  }

  /** A block's certificate, checked to name the block hash recorded for its height; damage throws StoreDamagedError. */
  async getCertificate(height: number): Promise<QuorumCertificate | undefined> {
    return this.unwrap(await this.readCertificate(height));
  }

  /** getCertificate with damage as a value. */
  async readCertificate(height: number): Promise<CheckedRead<QuorumCertificate>> {
    // The head's certificate is every proof's checkpoint, as the head block is: checked once, frozen, shared.
    const cached = this.headCertificate;
    if (cached !== undefined && cached.height === height && height === this.headState.height) return { ok: true, value: cached.certificate };
    const read = await this.checkedRead(height, async () => {
      // One trip to LevelDB for both records.
      const [record, state] = await this.db.getMany([storeKeys.certificate(height), storeKeys.ledgerState(height)]);
      if (record === undefined) return { value: undefined, damage: undefined };
      const certificate = decodeRecord<QuorumCertificate>(record);
      return { value: certificate, damage: checkCertificateRecord(height, certificate, this.recordedState(height, state)) };
    });
    if (read.ok && read.value !== undefined && height === this.headState.height) this.headCertificate = { height, certificate: deepFreeze(read.value) };
    return read;
  }

  async getResults(height: number): Promise<TransactionResult[] | undefined> {
    return getRecord<TransactionResult[]>(this.db, storeKeys.results(height));
  }

  async getWrites(height: number): Promise<StateWrite[] | undefined> {
    return getRecord<StateWrite[]>(this.db, storeKeys.writes(height));
  }

  /** Up to `limit` consecutive blocks from `from` (bounded by blocksPerRangeMax), each checked as getBlock checks it. */
  async getBlocks(from: number, limit: number): Promise<Block[]> {
    const count = Math.max(0, Math.min(limit, STORE_LIMITS.blocksPerRangeMax, this.headState.height - from + 1));
    if (count === 0 || from < 1) return [];
    const heights = Array.from({ length: count }, (_, offset) => from + offset);
    const read = await this.checkedRead(from, async () => {
      const values = await this.db.getMany(heights.flatMap((height) => [storeKeys.block(height), storeKeys.ledgerState(height)]));
      const blocks: Block[] = [];
      for (const [offset, height] of heights.entries()) {
        const record = values[2 * offset];
        if (record === undefined) continue;
        const checked = this.checkBlockBytes(height, record, values[2 * offset + 1]);
        if (checked.damage !== undefined) return { value: undefined, damage: checked.damage };
        blocks.push(checked.value);
      }
      return { value: blocks, damage: undefined };
    });
    return this.unwrap(read) ?? [];
  }

  /** A committed transaction with its place and result; its bytes are checked to give its id. Damage throws StoreDamagedError. */
  async getTransaction(txId: string): Promise<TransactionRecord | undefined> {
    return this.unwrap(await this.readTransaction(txId));
  }

  /** getTransaction with damage as a value. */
  async readTransaction(txId: string): Promise<CheckedRead<TransactionRecord>> {
    // One row, read synchronously: a trip through libuv's pool costs more than the read itself
    // and, on shared cores, made most of a proof's tail (docs/performance.md, "A proof's hand-offs").
    const row = this.db.getSync(storeKeys.transaction(txId));
    const stored = row === undefined ? undefined : decodeRecord<StoredLocation>(row);
    if (stored === undefined) return { ok: true, value: undefined };
    const location = locationOf(stored);
    if (stored.transaction !== undefined && stored.blockHash !== undefined && stored.result !== undefined) {
      // Everything the record holds is in the row: one read (docs/performance.md, "A proof's reads").
      const { transaction, blockHash, result } = stored;
      return this.checkedRead(location.height, async () => ({ value: { ...location, txId, blockHash, transaction, result }, damage: checkTransactionRecord(location.height, txId, transaction) }));
    }
    return this.checkedRead(location.height, async () => {
      const [transaction, results, state] = await Promise.all([this.transactionAt(stored), this.getResults(location.height), this.ledgerState(location.height)]);
      if (!transaction.ok) return { value: undefined, damage: transaction };
      if (transaction.value === undefined || results === undefined || state === undefined) {
        return { value: undefined, damage: storeDamage(location.height, `transaction ${txId} points at block ${location.height}, whose block, results or ledger state is missing`) };
      }
      const damage = checkTransactionRecord(location.height, txId, transaction.value);
      return { value: { ...location, txId, blockHash: state.blockHash, transaction: transaction.value, result: results[location.position]! }, damage };
    });
  }

  /**
   * One committed transaction: from its `t:` row, which holds it; in rows written before it did,
   * only its own bytes in its block's record are decoded when the row records where they lie
   * (stores from before that decode and check the whole block).
   */
  private async transactionAt(stored: StoredLocation): Promise<CheckedRead<Transaction>> {
    if (stored.transaction !== undefined) return { ok: true, value: stored.transaction };
    if (stored.bytes === undefined) {
      const block = await this.readBlock(stored.height);
      return block.ok ? { ok: true, value: block.value?.transactions[stored.position] } : block;
    }
    const record = await this.db.get(storeKeys.block(stored.height));
    if (record === undefined) return { ok: true, value: undefined };
    return transactionInRecord(stored.height, stored.bytes, record);
  }

  /**
   * One committed transaction and the header of its block, each decoded from its own bytes in the
   * block record, which is read once: the header checked against the block hash recorded for its
   * height, the transaction to give its id; the block's other transactions are neither decoded
   * nor checked. What a history answer needs of each event's block (its time, the signers), at a
   * fraction of a whole block's cost (docs/performance.md, "Lot history"). Stores from before
   * transaction spans read, decode and check the whole block. Damage throws StoreDamagedError.
   */
  async getTransactionInBlock(txId: string): Promise<{ location: TransactionLocation; header: BlockHeader; transaction: Transaction } | undefined> {
    const stored = await getRecord<StoredLocation>(this.db, storeKeys.transaction(txId));
    if (stored === undefined) return undefined;
    const location = locationOf(stored);
    const { height } = location;
    const head = this.headBlock;
    if (stored.bytes === undefined || (head !== undefined && head.height === height && height === this.headState.height)) {
      const block = await this.getBlock(height);
      const transaction = block?.transactions[location.position];
      return block === undefined || transaction === undefined ? undefined : { location, header: block.header, transaction };
    }
    const spans = stored.bytes;
    return this.unwrap(
      await this.checkedRead(height, async () => {
        const [record, state] = await this.db.getMany([storeKeys.block(height), storeKeys.ledgerState(height)]);
        if (record === undefined) return { value: undefined, damage: storeDamage(height, `transaction ${txId} points at block ${height}, which is missing`) };
        const header = headerInRecord(record);
        if (header === undefined) return { value: undefined, damage: storeDamage(height, 'the block record does not open with its header') };
        const transaction = transactionInRecord(height, spans, record);
        if (!transaction.ok) return { value: undefined, damage: transaction };
        const damage = checkHeaderRecord(height, header, this.recordedState(height, state)) ?? checkTransactionRecord(height, txId, transaction.value);
        return { value: { location, header, transaction: transaction.value }, damage };
      }),
    );
  }

  /**
   * Decodes a block record and checks it (checkBlockRecord), unless these very bytes were
   * checked before: the digests of recently checked records are kept, so a block read again
   * costs one SHA-256 over its bytes rather than hashing every transaction again.
   */
  private checkBlockBytes(height: number, record: Uint8Array, state: Uint8Array | undefined): { value: Block; damage: StoreDamage | undefined } {
    const block = decodeRecord<Block>(record);
    const digest = sha256(record);
    const known = this.checkedBlockDigests.get(height);
    if (known !== undefined && equalBytes(known, digest)) return { value: block, damage: undefined };
    const damage = checkBlockRecord(height, block, this.recordedState(height, state));
    if (damage === undefined) {
      this.checkedBlockDigests.set(height, digest);
      if (this.checkedBlockDigests.size > CHECKED_BLOCK_DIGESTS_KEPT) this.checkedBlockDigests.delete(this.checkedBlockDigests.keys().next().value!);
    }
    return { value: block, damage };
  }

  /** The ledger state of a height, from memory for the head, else from the record read beside it. */
  private recordedState(height: number, record: Uint8Array | undefined): LedgerState | undefined {
    if (height === this.headState.height) return this.headState;
    return record === undefined ? undefined : decodeRecord<LedgerState>(record);
  }

  /**
   * Runs one read and its checks; a record LevelDB reports corrupt or that no longer decodes is
   * damage too. Damage is recorded and announced (onDamage) before it is returned.
   */
  private async checkedRead<T>(height: number, read: () => Promise<{ value: T | undefined; damage: StoreDamage | undefined }>): Promise<CheckedRead<T>> {
    let outcome: { value: T | undefined; damage: StoreDamage | undefined };
    try {
      outcome = await read();
    } catch (error) {
      if (!isDamageError(error)) throw error;
      outcome = { value: undefined, damage: storeDamage(height, `a record cannot be read back: ${describe(error)}`) };
    }
    if (outcome.damage === undefined) return { ok: true, value: outcome.value };
    this.reportDamage(outcome.damage);
    return outcome.damage;
  }

  private unwrap<T>(read: CheckedRead<T>): T | undefined {
    if (!read.ok) throw new StoreDamagedError(read);
    return read.value;
  }

  private reportDamage(damage: StoreDamage): void {
    this.damage ??= damage;
    for (const listener of this.damageListeners) listener(damage);
  }

  /** The first damage a checked read or checkStoredHeight found since the store opened. */
  damageFound(): StoreDamage | undefined {
    return this.damage;
  }

  /** Called with each damage found (a height may be reported more than once); returns the unsubscribe function. */
  onDamage(listener: (damage: StoreDamage) => void): () => void {
    this.damageListeners.add(listener);
    return () => this.damageListeners.delete(listener);
  }

  /**
   * Re-verifies one committed height with the checks the store runs on its tail when it opens
   * (tail-check.ts: hashes, links, roots, Merkle leaves, certificate signatures under the epoch
   * of the height), reading around LevelDB's cache so that a walk over the whole chain does not
   * push out what the API reads. What the background scrub (scrub.ts) runs, block after block.
   */
  async checkStoredHeight(height: number): Promise<StoreDamage | undefined> {
    assert(Number.isSafeInteger(height) && height >= 1 && height <= this.headState.height, `height ${height} is not a committed height`);
    let problem: string | undefined;
    try {
      problem = await checkStoredBlock(storeReader(this.db, UNCACHED_READ, 'batched'), height, { chainId: this.genesis.chainId, validators: this.validators, epochs: this.epochHistory });
    } catch (error) {
      problem = `a stored record cannot be read: ${describe(error)}`;
    }
    if (problem === undefined) return undefined;
    const damage = storeDamage(height, problem);
    this.reportDamage(damage);
    return damage;
  }

  /**
   * A committed transaction's place and result, without reading its block: what a status query
   * needs. Recently read result lists are kept, since statuses come in bursts per block.
   */
  async getTransactionOutcome(txId: string): Promise<TransactionOutcome | undefined> {
    const stored = await getRecord<StoredLocation>(this.db, storeKeys.transaction(txId));
    if (stored === undefined) return undefined;
    const location = locationOf(stored);
    if (stored.blockHash !== undefined && stored.result !== undefined) return { ...location, txId, blockHash: stored.blockHash, result: stored.result };
    let results = this.recentResults.get(location.height);
    if (results === undefined) {
      results = await this.getResults(location.height);
      assert(results !== undefined, `transaction ${txId} points at missing results of block ${location.height}`);
      this.recentResults.set(location.height, results);
      if (this.recentResults.size > RECENT_RESULTS_KEPT) this.recentResults.delete(this.recentResults.keys().next().value!);
    }
    const state = await this.ledgerState(location.height);
    assert(state !== undefined, `transaction ${txId} points at missing block ${location.height}`);
    return { ...location, txId, blockHash: state.blockHash, result: results[location.position]! };
  }

  async hasTransaction(txId: string): Promise<boolean> {
    return this.db.getSync(storeKeys.transaction(txId)) !== undefined;
  }

  async getState(key: string): Promise<unknown> {
    return getRecord<unknown>(this.db, storeKeys.state(key));
  }

  /**
   * The same read, synchronous: LevelDB answers from its memtable and block cache in
   * microseconds, far less than the hop to libuv's thread pool an asynchronous get costs. For
   * the readers that wait on each answer before the next (execution reads a transaction's keys
   * one by one, in order).
   */
  getStateSync(key: string): unknown {
    const value = this.db.getSync(storeKeys.state(key));
    return value === undefined ? undefined : decodeRecord<unknown>(value);
  }

  async getStates(keys: readonly string[]): Promise<unknown[]> {
    const values = await this.db.getMany(keys.map((key) => storeKeys.state(key)));
    return values.map((value) => (value === undefined ? undefined : decodeRecord<unknown>(value)));
  }

  /**
   * Every state entry whose key starts with `prefix`, in key order: for namespaces a node keeps
   * whole in memory (the participants). At most `entriesMax`; more is a broken assumption.
   */
  async statesWithPrefix(prefix: string, entriesMax: number): Promise<Array<{ key: string; value: unknown }>> {
    const lower = storeKeys.state(prefix);
    const entries = await this.db.iterator({ gte: lower, lt: `${lower}\uffff`, limit: entriesMax + 1 }).all();
    assert(entries.length <= entriesMax, `more than ${entriesMax} state entries under ${prefix}`);
    return entries.map(([key, value]) => ({ key: key.slice(storeKeys.state('').length), value: decodeRecord<unknown>(value) }));
  }

  /** Merkle root of the first `size` ledger entries (any size up to the head's log size). */
  async logRoot(size: number): Promise<string> {
    assert(Number.isInteger(size) && size >= 0 && size <= this.headState.logSize, `log size ${size} is beyond the log`);
    return toHex(rootFromNodes(size, await this.logNodes.lookup(nodesForRoot(size))));
  }

  /**
   * An RFC 9162 inclusion proof of a committed transaction's ledger entry in the log of the
   * given size (default: the whole log), or undefined when the transaction is not in it.
   */
  async inclusionProof(txId: string, logSize = this.headState.logSize): Promise<InclusionProof | undefined> {
    // The entry needs the place and the result, not the transaction: its block is not read.
    const record = await this.getTransactionOutcome(txId);
    return record === undefined ? undefined : this.inclusionProofOf(record, logSize);
  }

  /** inclusionProof for a transaction whose place and result the caller has read already: one read of the log's nodes. */
  async inclusionProofOf(record: Pick<TransactionOutcome, 'height' | 'position' | 'leafIndex' | 'txId' | 'result'>, logSize = this.headState.logSize): Promise<InclusionProof | undefined> {
    if (record.leafIndex >= logSize || logSize > this.headState.logSize) return undefined;
    const { txId } = record;
    const lookup = await this.logNodes.lookup([...nodesForInclusionProof(record.leafIndex, logSize), ...nodesForRoot(logSize)]);
    return {
      entry: { height: record.height, position: record.position, txId, result: record.result },
      leafIndex: record.leafIndex,
      logSize,
      logRoot: toHex(rootFromNodes(logSize, lookup)),
      proof: buildInclusionProof(record.leafIndex, logSize, lookup).map(toHex),
    };
  }

  /** The lowest height whose state tree the store keeps, so that stateProof answers at it. */
  stateFloor(): number {
    return this.stateFloorHeight;
  }

  /**
   * A key's value at a committed height (null when absent) and its proof against that height's
   * state root (docs/encoding.md, section 16). Heights below the state floor are pruned. The value
   * is the current state row when it still hashes to the leaf's value hash, else the write of
   * the height that set it (`w:`), checked against the hash the same way; a mismatch is damage.
   */
  async stateProof(key: string, height: number): Promise<StateProofRead> {
    assert(Number.isSafeInteger(height) && height >= 0 && height <= this.headState.height, `height ${height} is not a committed height`);
    const floor = this.stateFloorHeight;
    const get = (rowKey: string) => this.db.getSync(rowKey);
    const root = height === this.headState.height ? this.stateTreeRoot : storedStateTreeRoot(get, height);
    if (height < floor || root === undefined) return { ok: false, code: 'height-not-kept', message: `the state of height ${height} is pruned; heights from ${floor} are kept`, floor };
    const keyHash = keyHashOf(key);
    const path = pathOf(this.stateNodes, root, keyHash);
    if (!path.ok) throw new StoreDamagedError(storeDamage(path.version, `the state tree node at depth ${path.depth} of version ${path.version} is missing`));
    const stateRoot = toHex(root.hash);
    const proof = proofOfPath(path, keyHash);
    const terminal = path.terminal;
    if (terminal.kind !== 'leaf' || compareHashes(terminal.keyHash, keyHash) !== 0) return { ok: true, value: { height, stateRoot, value: null, proof } };
    const current = (await this.getState(key)) as JsonValue | undefined;
    if (current !== undefined && compareHashes(valueHashOf(current), terminal.valueHash) === 0) return { ok: true, value: { height, stateRoot, value: current, proof } };
    const writes = await this.getWrites(terminal.valueHeight);
    const written = writes?.find((write) => write.key === key)?.value ?? null;
    if (written === null || compareHashes(valueHashOf(written), terminal.valueHash) !== 0) {
      throw new StoreDamagedError(storeDamage(terminal.valueHeight, `the write set of height ${terminal.valueHeight} does not hold the value of ${key} that the state tree names`));
    }
    return { ok: true, value: { height, stateRoot, value: written, proof } };
  }

  /**
   * Stored Merkle nodes by id, each the hash of a complete aligned subtree of the log (what a
   * C2SP tile is made of, ledger/tlog/tiles.ts). Every id must lie within the current log.
   */
  async merkleNodeHashes(ids: readonly NodeId[]): Promise<Hash[]> {
    const lookup = await this.logNodes.lookup(ids);
    return ids.map((id) => lookup(id));
  }

  /** An RFC 9162 consistency proof that the log of `newSize` extends the log of `oldSize`. */
  async consistencyProof(oldSize: number, newSize: number): Promise<string[]> {
    assert(Number.isInteger(oldSize) && oldSize >= 1 && oldSize <= newSize && newSize <= this.headState.logSize, `no consistency proof from ${oldSize} to ${newSize}`);
    const lookup = await this.logNodes.lookup(nodesForConsistencyProof(oldSize, newSize));
    return buildConsistencyProof(oldSize, newSize, lookup).map(toHex);
  }

  /** The notes under one key of an auditor index (auditor-indices.ts), oldest first. */
  async notesUnder(index: NoteIndexName, key: string, limit: number, afterReference?: string): Promise<StoredNote[]> {
    return notesUnder(this.db, index, key, limit, afterReference);
  }

  /** Heights of blocks that carry transactions, below `before`, newest first. */
  async busyBlocksBefore(before: number, limit: number): Promise<number[]> {
    return busyBlocksBefore(this.db, before, limit);
  }

  /** Items and lots by what a person typed (auditor-indices.ts searchIdentifiers). */
  async searchIdentifiers(query: string, limit: number): Promise<{ hits: SearchHit[]; complete: boolean }> {
    return searchIdentifiers(this.db, query, limit);
  }

  async getEvent(reference: string): Promise<StoredEvent | undefined> {
    return getRecord<StoredEvent>(this.db, storeKeys.event(reference));
  }

  /**
   * One page of events matching a single index, in ledger order (or event-time order for the
   * time index). The cursor is opaque to callers and only valid for the same query.
   */
  async queryEvents(query: EventQuery): Promise<EventPage> {
    const pageSize = query.pageSize ?? STORE_LIMITS.eventsPerPageDefault;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > STORE_LIMITS.eventsPerPageMax) {
      return { ok: false, code: 'bad-page-size', message: `page size must be an integer from 1 to ${STORE_LIMITS.eventsPerPageMax}` };
    }
    const prefix = query.index === TIME_INDEX_NAME ? storeKeys.indexPrefix(TIME_INDEX_NAME, '') : storeKeys.indexPrefix(query.index, query.value);
    let lower = prefix;
    let upper = `${prefix}\uffff`;
    if (query.index === TIME_INDEX_NAME) {
      if (query.from !== undefined) lower = `${prefix}${timeKey(query.from)}`;
      if (query.to !== undefined) upper = `${prefix}${timeKey(query.to)}`;
    }
    let after: string | undefined;
    if (query.cursor !== undefined) {
      after = decodeCursor(query.cursor);
      if (after === undefined || !after.startsWith(prefix) || after < lower || after >= upper) {
        return { ok: false, code: 'bad-cursor', message: 'the cursor does not belong to this query' };
      }
    }
    const keys = await this.db.keys(after === undefined ? { gte: lower, lt: upper, limit: pageSize + 1 } : { gt: after, lt: upper, limit: pageSize + 1 }).all();
    const pageKeys = keys.slice(0, pageSize);
    const references = pageKeys.map((key) => key.slice(key.lastIndexOf('\u0000') + 1));
    const records = await this.db.getMany(references.map((reference) => storeKeys.event(reference)));
    const events = records.map((record, position) => {
      assert(record !== undefined, `index entry for missing event ${references[position]}`);
      return decodeRecord<StoredEvent>(record);
    });
    const last = pageKeys[pageKeys.length - 1];
    return keys.length > pageSize && last !== undefined ? { ok: true, events, nextCursor: encodeCursor(last) } : { ok: true, events };
  }

  async close(): Promise<void> {
    await this.appendQueue;
    await this.db.close();
  }
}

export type ReadOnlyStoreOpen =
  | { ok: true; reader: StoreReader; genesis: Genesis; headHeight: number; close: () => Promise<void> }
  /** `damaged`: LevelDB found the store's files damaged or missing; `not-a-store`: no Custodia store there. */
  | { ok: false; fault: 'not-a-store' | 'damaged' | 'unreadable'; message: string };

/**
 * Opens an existing store for reading only, without the tail check, so that the offline
 * verifier can walk a damaged chain from genesis and name the first bad height.
 *
 * It writes nothing into `directory`: LevelDB reads a private copy (read-copy.ts), removed by
 * `close`. A folder without LevelDB's CURRENT file is refused before anything is copied.
 */
export async function openStoreForReading(directory: string): Promise<ReadOnlyStoreOpen> {
  if (!(await isLevelDatabase(directory))) {
    return { ok: false, fault: 'not-a-store', message: `cannot open the store at ${directory}: it holds no store (no LevelDB CURRENT file there)` };
  }
  // Opened in place, LevelDB would write LOCK, LOG and perhaps a new MANIFEST into what is checked.
  let copy: ReadCopy;
  try {
    copy = await makeReadCopy(directory);
  } catch (error) {
    return { ok: false, fault: 'unreadable', message: `cannot copy the store at ${directory} to read it: ${describe(error)}` };
  }
  const db: Database = new ClassicLevel<string, Uint8Array>(copy.directory, { keyEncoding: 'utf8', valueEncoding: 'view', createIfMissing: false, maxOpenFiles: STORE_LIMITS.tablesOpenMax });
  try {
    await db.open();
  } catch (error) {
    await copy.remove();
    return readFailure(error, directory);
  }
  const close = async () => {
    await db.close();
    await copy.remove();
  };
  let genesis: Genesis | undefined;
  let headHeight: number | undefined;
  try {
    genesis = await getRecord<Genesis>(db, storeKeys.genesis);
    headHeight = await getRecord<number>(db, storeKeys.head);
  } catch (error) {
    await close();
    return readFailure(error, directory);
  }
  if (genesis === undefined || headHeight === undefined) {
    await close();
    return { ok: false, fault: 'not-a-store', message: `the store at ${directory} is not a Custodia store: it has no genesis or head record` };
  }
  return { ok: true, reader: storeReader(db), genesis, headHeight, close };
}

function readFailure(error: unknown, directory: string): ReadOnlyStoreOpen & { ok: false } {
  const fault = describeStoreError(error, 'ledger', directory).fault === 'damaged' ? 'damaged' : 'unreadable';
  return { ok: false, fault, message: storeErrorMessage(error, 'ledger', directory) };
}

/** Whether `directory` is a folder holding a LevelDB database (its CURRENT file names the manifest). */
async function isLevelDatabase(directory: string): Promise<boolean> {
  try {
    return (await stat(join(directory, 'CURRENT'))).isFile();
  } catch {
    return false;
  }
}

function timeKey(milliseconds: number): string {
  const biased = Math.min(Math.max(milliseconds + TIME_BIAS_MILLISECONDS, 0), 2 * TIME_BIAS_MILLISECONDS);
  return fixedHex(Math.floor(biased), TIME_DIGITS);
}

function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,2048}$/.test(cursor)) return undefined;
  return Buffer.from(cursor, 'base64url').toString('utf8');
}

/** LevelDB read options: `fillCache: false` reads without keeping what was read in LevelDB's block cache. */
type ReadOptions = { fillCache?: boolean };
/** For walks over the whole chain (the scrub): each record is read once, so caching it only evicts what the API reads. */
const UNCACHED_READ: ReadOptions = { fillCache: false };

async function getRecord<T>(db: Database, key: string, options: ReadOptions = {}): Promise<T | undefined> {
  const value = await db.get(key, options);
  return value === undefined ? undefined : decodeRecord<T>(value);
}

/** The ledger's log rows as LogNodes reads them: a proof's few synchronously, more in one batch off the event loop. */
export function logNodeSource(db: Pick<Database, 'getSync' | 'getMany' | 'values'>): LogNodeSource {
  return {
    getMany: async (keys) => (keys.length <= STORE_LIMITS.logNodesSynchronousReadsMax ? keys.map((key) => db.getSync(key)) : db.getMany(keys)),
    range: (gte, lt) => db.values({ gte, lt }).all(),
  };
}

/** Reads the given Merkle nodes in one batch and returns a lookup over them. */
async function readNodes(db: Database, ids: readonly NodeId[], options: ReadOptions = {}): Promise<NodeLookup> {
  const keys = ids.map((id) => storeKeys.merkleNode(id.level, id.index));
  const values = await db.getMany(keys, options);
  const nodes = new Map<string, Hash>();
  for (const [position, key] of keys.entries()) {
    const value = values[position];
    if (value !== undefined) nodes.set(key, value);
  }
  return (id: NodeId) => {
    const node = nodes.get(storeKeys.merkleNode(id.level, id.index));
    if (node === undefined) throw new Error(`Merkle node level ${id.level} index ${id.index} is missing`);
    return node;
  };
}

/**
 * The store's records for the checks. `nodeReads`: the state tree's nodes also in batches off the
 * event loop (a check beside a serving validator: the scrub), or only one at a time (before
 * anything is served: the tail check on open, where the batches' buffers, held a height at a time,
 * raised the peak RSS of opening the 1,000,000-event store from 242-255 MB to 276-304 MB).
 */
function storeReader(db: Database, options: ReadOptions = {}, nodeReads: 'batched' | 'synchronous' = 'synchronous'): StoreReader {
  return {
    ledgerState: (height) => getRecord<LedgerState>(db, storeKeys.ledgerState(height), options),
    block: (height) => getRecord<Block>(db, storeKeys.block(height), options),
    certificate: (height) => getRecord<QuorumCertificate>(db, storeKeys.certificate(height), options),
    results: (height) => getRecord<TransactionResult[]>(db, storeKeys.results(height), options),
    writes: (height) => getRecord<StateWrite[]>(db, storeKeys.writes(height), options),
    heightOfHash: (hash) => getRecord<number>(db, storeKeys.blockHash(hash), options),
    transactionLocations: async (txIds) => {
      const values = await db.getMany(txIds.map((txId) => storeKeys.transaction(txId)), options);
      return values.map((value) => (value === undefined ? undefined : { decode: () => decodeRecord<TransactionLocation>(value) }));
    },
    merkleNodes: (ids) => readNodes(db, ids, options),
    stateTreeNodes: storedStateTreeNodes((key) => db.getSync(key, options)),
    ...(nodeReads === 'batched' ? { fetchStateTreeNodes: storedNodesFetch((keys) => db.getMany(keys, options)) } : {}),
    stateTreeRoot: (height) => storedStateTreeRoot((key) => db.getSync(key, options), height),
    epochEnds: async () => {
      const entries = await db.iterator({ gte: storeKeys.epochEndPrefix, lt: `${storeKeys.epochEndPrefix}\uffff` }).all();
      return entries.map(([key, value]) => ({ height: parseInt(key.slice(storeKeys.epochEndPrefix.length), 16), epoch: decodeRecord<number>(value) }));
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const UTF8_VALUE = { valueEncoding: 'utf8' } as const;
/** The index rows' value: one array for them all (the batch copies what it is given). */
const EMPTY_VALUE = new Uint8Array(0);

/**
 * A `t:` record: the transaction's place, and where its JSON lies in the block record (UTF-8
 * byte offsets, end exclusive), so one transaction is read without decoding its whole block.
 * Stores written before `bytes` existed lack it (docs/encoding.md, "Store layout").
 */
/**
 * A `t:` row (docs/encoding.md section 11): where the transaction lies and, in rows written since
 * it was recorded, the transaction itself.
 */
interface StoredLocation extends TransactionLocation {
  bytes?: [number, number];
  transaction?: Transaction;
  /** Its block's hash and its result, in rows written since they were recorded. */
  blockHash?: string;
  result?: TransactionResult;
}

function locationOf(stored: StoredLocation): TransactionLocation {
  return { height: stored.height, position: stored.position, leafIndex: stored.leafIndex };
}

/**
 * The block record's JSON, `{"header":...,"transactions":[...]}`, written piece by piece so that
 * each transaction's byte span in it is known: the same JSON as JSON.stringify(block) gives.
 */
function encodeBlockRecord(block: Block): { text: string; spans: Array<[number, number]>; texts: string[] } {
  const prefix = `{"header":${JSON.stringify(block.header)},"transactions":[`;
  const parts = [prefix];
  const spans: Array<[number, number]> = [];
  const texts: string[] = [];
  let offset = Buffer.byteLength(prefix, 'utf8');
  for (const [position, transaction] of block.transactions.entries()) {
    if (position > 0) {
      parts.push(',');
      offset += 1;
    }
    const text = JSON.stringify(transaction);
    const length = Buffer.byteLength(text, 'utf8');
    parts.push(text);
    texts.push(text);
    spans.push([offset, offset + length]);
    offset += length;
  }
  parts.push(']}');
  return { text: parts.join(''), spans, texts };
}

const HEADER_OPENING = Buffer.from('{"header":', 'utf8');
const HEADER_CLOSING = Buffer.from(',"transactions":[', 'utf8');

/**
 * The header of a block record (encodeBlockRecord), decoded from its own bytes; undefined when the
 * record does not have that shape. The first `,"transactions":[` after the opening closes the
 * header: inside JSON strings a quote is always escaped, and no member of a header is named
 * "transactions", so those bytes cannot occur within it (and a header altered to hold them would
 * no longer hash to the block hash the caller checks).
 */
function headerInRecord(record: Uint8Array): BlockHeader | undefined {
  const bytes = Buffer.from(record.buffer, record.byteOffset, record.byteLength);
  if (!bytes.subarray(0, HEADER_OPENING.length).equals(HEADER_OPENING)) return undefined;
  const end = bytes.indexOf(HEADER_CLOSING, HEADER_OPENING.length);
  return end < 0 ? undefined : decodeRecord<BlockHeader>(bytes.subarray(HEADER_OPENING.length, end));
}

/** The transaction whose byte span in the block record is `span`, decoded from those bytes alone. */
function transactionInRecord(height: number, span: readonly [number, number], record: Uint8Array): { ok: true; value: Transaction } | StoreDamage {
  const [start, end] = span;
  if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start < end && end <= record.length)) {
    return storeDamage(height, `transaction bytes [${start}, ${end}) lie outside the block record of ${record.length} bytes`);
  }
  return { ok: true, value: decodeRecord<Transaction>(record.subarray(start, end)) };
}

function equalBytes(left: Uint8Array, right: Uint8Array): boolean {
  return Buffer.from(left.buffer, left.byteOffset, left.byteLength).equals(right);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
}

