/**
 * The simulator's application (the ApplicationPort of consensus/types.ts, in the spirit of
 * ABCI): a mempool of synthetic transactions and a minimal ledger that plays the part the real
 * ledger plays for consensus. A transaction is a short string; its id is the SHA-256 of it
 * (transaction-bodies.ts). Bodies reach every validator at admission over the data plane; a
 * payload carries only ids, as the UTF-8 canonical JSON array of them, and txRoot is the RFC
 * 9162 root over the ids, so the header commits to the references (docs/consensus.md,
 * "Payloads: references, not bodies"). A proposal whose bodies are not all held here is
 * answered `missing-transactions` and the bodies are wanted from the proposer, then the other
 * peers; a committed block whose bodies are missing waits in the execution queue until they
 * are fetched. Execution appends each body as a log leaf and chains the state root over writes
 * `{key: body, value: height}` (ledger/model/state.ts), recording (logSize, logRoot, stateRoot)
 * per executed height. Proposals name a ledger height and its roots, so honest validators vote
 * only for headers that match their own executed ledger, exactly the check DESIGN.md asks of
 * the real application.
 *
 * The committed ledger survives a crash (it stands for the node's LevelDB store), and so do the
 * bodies of blocks whose records the core persisted (the real node writes them in the same
 * synced batch, `bodies:<hash>`); the mempool, fetched bodies, wants and the execution queue
 * do not.
 */
import { blockHash, type BlockHeader } from '../../ledger/model/block.js';
import { canonicalBytes } from '../../ledger/encoding/canonical-json.js';
import { fromHex, toHex, utf8 } from '../../ledger/encoding/hex.js';
import { EMPTY_ROOT, leafHash, MerkleFrontier } from '../../ledger/merkle/index.js';
import { sortWriteSet, type StateWrite } from '../../ledger/model/state.js';
import { sha256 } from '../../ledger/crypto/sha256.js';
import type { BlockRecord, CommittedBlock } from '../../consensus/messages.js';
import { BodyWants, isTransactionId, transactionId, type DataMessage } from './transaction-bodies.js';
import type { ApplicationPort, ProposalCheck, ProposalContent, ProposalContext, ProposedBlockView, ScheduledValidatorSet } from '../../consensus/types.js';

export interface SimApplicationLimits {
  /** Transactions waiting in the mempool; submissions beyond it are refused. */
  mempoolTransactionsMax: number;
  /** Transactions one proposal carries. */
  blockTransactionsMax: number;
  /** Characters in one synthetic transaction (it is a state key, so it must stay under 512). */
  transactionLengthMax: number;
  /** Bodies fetched from peers held for blocks not executed yet; beyond it the oldest are forgotten. */
  fetchedTransactionsMax: number;
}

export const SIM_APPLICATION_LIMITS: SimApplicationLimits = {
  mempoolTransactionsMax: 2048,
  blockTransactionsMax: 64,
  transactionLengthMax: 128,
  fetchedTransactionsMax: 4096,
};

/** The ledger after one executed height. */
export interface LedgerRecord {
  height: number;
  /** Null for height 0, the genesis state. */
  committed: CommittedBlock | null;
  blockHash: string;
  logSize: number;
  logRoot: string;
  stateRoot: string;
}

export type PayloadParse = { ok: true; ids: string[] } | { ok: false; reason: string };

const textDecoder = new TextDecoder('utf-8', { fatal: true });

export function encodePayload(ids: readonly string[]): Uint8Array {
  return canonicalBytes([...ids]);
}

/** Parses a payload of ids and insists on its one canonical spelling, so equal payloads are equal bytes. */
export function parsePayload(payload: Uint8Array, limits: SimApplicationLimits = SIM_APPLICATION_LIMITS): PayloadParse {
  let text: string;
  try {
    text = textDecoder.decode(payload);
  } catch {
    return { ok: false, reason: 'payload is not UTF-8' };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'payload is not JSON' };
  }
  if (!Array.isArray(parsed)) return { ok: false, reason: 'payload is not a JSON array' };
  if (parsed.length > limits.blockTransactionsMax) return { ok: false, reason: `payload holds more than ${limits.blockTransactionsMax} transactions` };
  const ids: string[] = [];
  const seen = new Set<string>();
  for (const item of parsed) {
    if (!isTransactionId(item)) return { ok: false, reason: 'payload holds a malformed transaction id' };
    if (seen.has(item)) return { ok: false, reason: `payload repeats transaction ${item.slice(0, 12)}` };
    seen.add(item);
    ids.push(item);
  }
  const canonical = encodePayload(ids);
  if (canonical.length !== payload.length || !canonical.every((byte, index) => byte === payload[index])) {
    return { ok: false, reason: 'payload is not canonical JSON' };
  }
  return { ok: true, ids };
}

/** The ids a payload references, or none when it does not parse. */
export function payloadIds(payload: Uint8Array): string[] {
  const parsed = parsePayload(payload);
  return parsed.ok ? parsed.ids : [];
}

/** The RFC 9162 root over the ids: the header's commitment to the references. */
export function transactionsRoot(ids: readonly string[]): string {
  const frontier = MerkleFrontier.empty();
  for (const id of ids) frontier.append(leafHash(fromHex(id)));
  return toHex(frontier.root());
}

export type ExecuteResult = { ok: true } | { ok: false; reason: string };

/** What a validator's data plane did; it survives crashes (the simulator sums it per run). */
export interface DataPlaneStats {
  /** Relayed transactions that reached this validator. */
  relaysReceived: number;
  /** Proposals this validator's check answered 'missing-transactions'. */
  missingVerdicts: number;
  /** Wants sent (first asks and retries to the next peer). */
  wantsSent: number;
  /** Answers with bodies sent to peers' wants. */
  answersSent: number;
  /** Bodies taken from answers. */
  bodiesFetched: number;
  /** Bodies in answers that no want here was waiting for, dropped. */
  bodiesRefused: number;
  /** Blocks whose last missing body arrived. */
  wantsCompleted: number;
  /** Committed blocks whose execution had to wait for bodies. */
  deferredExecutions: number;
  /** Those executed since, once their bodies were fetched. */
  deferredExecuted: number;
}

export function emptyDataPlaneStats(): DataPlaneStats {
  return { relaysReceived: 0, missingVerdicts: 0, wantsSent: 0, answersSent: 0, bodiesFetched: 0, bodiesRefused: 0, wantsCompleted: 0, deferredExecutions: 0, deferredExecuted: 0 };
}

/** Queued committed blocks whose bodies are wanted at once (the head first). */
const EXECUTION_WANTS_AHEAD = 8;

export class SimApplication implements ApplicationPort {
  /** id -> body, insertion-ordered, so proposals take the oldest transactions first. */
  readonly #mempool = new Map<string, string>();
  /** Bodies fetched for blocks, oldest first. */
  readonly #fetched = new Map<string, string>();
  /** Bodies of blocks whose records were persisted, with the highest such block's height; they survive a crash. */
  readonly #durable = new Map<string, { body: string; height: number }>();
  /** Executed transactions: id -> body. */
  readonly #committed = new Map<string, string>();
  /** Committed blocks waiting for execution, in height order; the head waits for bodies. */
  #queue: CommittedBlock[] = [];
  readonly #deferred = new Set<string>();
  readonly #ledger: LedgerRecord[];
  readonly #log = MerkleFrontier.empty();
  readonly #wants: BodyWants;
  #outbox: { to: string; message: DataMessage }[] = [];
  #arrivals = 0;
  #nowMs = 0;
  #refusedSubmissions = 0;
  readonly stats: DataPlaneStats = emptyDataPlaneStats();
  /** Test-only: vote without holding every body (breaks data availability, to show the checkers bite). */
  unsafeVoteWithoutBodies = false;

  constructor(
    readonly genesisHash: string,
    readonly limits: SimApplicationLimits = SIM_APPLICATION_LIMITS,
    /** A validator-set change the ledger records once it has executed `approvedAtHeight` (as contracts would). */
    private readonly validatorSetChange: (ScheduledValidatorSet & { approvedAtHeight: number }) | null = null,
    /** This validator and the set it asks for bodies (none: it never asks). */
    peers: { self: string; validators: readonly string[] } = { self: '', validators: [] },
  ) {
    this.#ledger = [
      {
        height: 0,
        committed: null,
        blockHash: genesisHash,
        logSize: 0,
        logRoot: toHex(EMPTY_ROOT),
        stateRoot: simulatedStateRoot('00'.repeat(32), []),
      },
    ];
    this.#wants = new BodyWants(peers.self, peers.validators, (to, message) => {
      this.stats.wantsSent += 1;
      this.#outbox.push({ to, message });
    });
  }

  get executedHeight(): number {
    return this.#ledger.length - 1;
  }

  get refusedSubmissions(): number {
    return this.#refusedSubmissions;
  }

  get mempoolSize(): number {
    return this.#mempool.size;
  }

  /** Committed blocks not executed yet (waiting for bodies). */
  get queuedBlocks(): number {
    return this.#queue.length;
  }

  get wantedBlocks(): number {
    return this.#wants.size;
  }

  /** The time on this validator's clock, for the wants it sends; the driver sets it before each step. */
  setClock(nowMs: number): void {
    this.#nowMs = nowMs;
  }

  record(height: number): LedgerRecord | undefined {
    return this.#ledger[height];
  }

  lastCommitted(): CommittedBlock | null {
    return this.#ledger[this.#ledger.length - 1]!.committed;
  }

  /** The body of `id` if this validator holds it anywhere: mempool, fetched, persisted with a block, or executed. */
  bodyOf(id: string): string | undefined {
    return this.#mempool.get(id) ?? this.#fetched.get(id) ?? this.#durable.get(id)?.body ?? this.#committed.get(id);
  }

  /** A client submission; refused (false) when the mempool is full, the body too long, or the transaction known. */
  submit(transaction: string): boolean {
    return this.#admit(transaction);
  }

  /** A transaction another validator admitted and relayed; true when it entered the mempool. */
  receiveRelay(transaction: string): boolean {
    this.stats.relaysReceived += 1;
    return this.#admit(transaction);
  }

  #admit(transaction: string): boolean {
    if (transaction.length === 0 || transaction.length > this.limits.transactionLengthMax) {
      this.#refusedSubmissions += 1;
      return false;
    }
    const id = transactionId(transaction);
    if (this.#committed.has(id)) return false;
    let admitted = false;
    if (!this.#mempool.has(id)) {
      if (this.#mempool.size < this.limits.mempoolTransactionsMax) {
        this.#mempool.set(id, transaction);
        admitted = true;
      } else {
        this.#refusedSubmissions += 1;
        // Full, but a block waits for it: keep it as a fetched body.
        if (this.#wants.isWanted(id)) this.#hold(id, transaction);
      }
    }
    this.#offer(id);
    return admitted;
  }

  #hold(id: string, body: string): void {
    if (this.#fetched.has(id)) return;
    this.#fetched.set(id, body);
    while (this.#fetched.size > this.limits.fetchedTransactionsMax) this.#fetched.delete(this.#fetched.keys().next().value!);
  }

  #offer(id: string): void {
    const completed = this.#wants.offer(id).length;
    this.stats.wantsCompleted += completed;
    this.#arrivals += completed;
  }

  /** How many wanted blocks became complete since the last call: the driver then feeds the core `transactions-arrived`. */
  takeArrivals(): number {
    const arrivals = this.#arrivals;
    this.#arrivals = 0;
    return arrivals;
  }

  /** Data-plane messages to send, in order. */
  takeOutbox(): { to: string; message: DataMessage }[] {
    const outbox = this.#outbox;
    this.#outbox = [];
    return outbox;
  }

  /** When the next unanswered want is due to go to another peer; null when nothing is wanted. */
  nextDataWakeMs(): number | null {
    return this.#wants.nextRetryMs();
  }

  tickWants(nowMs: number): void {
    this.#nowMs = nowMs;
    this.#wants.tick(nowMs);
  }

  /** Answers a peer's want with every wanted body held here (nothing when none is). */
  answerWant(from: string, want: Extract<DataMessage, { kind: 'tx-want' }>): void {
    const bodies: string[] = [];
    for (const id of want.ids) {
      const body = this.bodyOf(id);
      if (body !== undefined) bodies.push(body);
    }
    if (bodies.length === 0) return;
    this.stats.answersSent += 1;
    this.#outbox.push({ to: from, message: { kind: 'tx-bodies', blockHash: want.blockHash, bodies } });
  }

  /** A peer's answer: only bodies whose id a want here waits for are taken, so nobody can plant one. */
  receiveBodies(answer: Extract<DataMessage, { kind: 'tx-bodies' }>): void {
    for (const body of answer.bodies) {
      const id = transactionId(body);
      if (!this.#wants.isWanted(id)) {
        this.stats.bodiesRefused += 1;
        continue;
      }
      this.stats.bodiesFetched += 1;
      this.#hold(id, body);
      this.#offer(id);
    }
  }

  /** A crash loses the mempool, fetched bodies, wants and the execution queue; the ledger and persisted bodies are on disk. */
  crash(): void {
    this.#mempool.clear();
    this.#fetched.clear();
    this.#queue = [];
    this.#wants.clear();
    this.#outbox = [];
    this.#arrivals = 0;
  }

  hasPendingTransactions(committedThisStep: readonly ProposedBlockView[]): boolean {
    if (this.#mempool.size === 0) return false;
    const excluded = idsIn([...this.#queue.map((committed) => committed.block), ...committedThisStep]);
    for (const id of this.#mempool.keys()) if (!excluded.has(id)) return true;
    return false;
  }

  executedThrough(): number {
    return this.executedHeight;
  }

  scheduledValidatorSet(): ScheduledValidatorSet | undefined {
    const change = this.validatorSetChange;
    if (change === null || this.executedHeight < change.approvedAtHeight) return undefined;
    return { startHeight: change.startHeight, validators: change.validators };
  }

  /** The committed chain, oldest first (what a restarted validator reads its epoch from). */
  committedChain(): CommittedBlock[] {
    return this.#ledger.slice(1).map((record) => record.committed!);
  }

  /** Ids of pending transactions, oldest first (a Byzantine leader mixes known ids into its forgeries). */
  pendingIds(count: number): string[] {
    const ids: string[] = [];
    for (const id of this.#mempool.keys()) {
      if (ids.length >= count) break;
      ids.push(id);
    }
    return ids;
  }

  propose(context: ProposalContext): ProposalContent | undefined {
    // A header's ledgerHeight never goes below its parent's (ledger/verify/block-checks.ts): wait until executed that far.
    if (context.parent !== null && context.parent.ledgerHeight > this.executedHeight) return undefined;
    const excluded = idsIn([...this.#queue.map((committed) => committed.block), ...context.ancestors]);
    const ids: string[] = [];
    for (const id of this.#mempool.keys()) {
      if (context.emptyOnly || ids.length >= this.limits.blockTransactionsMax) break;
      if (!excluded.has(id)) ids.push(id);
    }
    return this.contentFor(ids, Math.min(this.executedHeight, context.ledgerHeightMax));
  }

  /** Header fields for a payload of `ids` on top of the ledger at `ledgerHeight` (Byzantine drivers build their blocks with it). */
  contentFor(ids: readonly string[], ledgerHeight: number): ProposalContent {
    const record = this.#ledger[Math.min(ledgerHeight, this.executedHeight)]!;
    return {
      payload: encodePayload(ids),
      txCount: ids.length,
      txRoot: transactionsRoot(ids),
      ledgerHeight: record.height,
      logSize: record.logSize,
      logRoot: record.logRoot,
      stateRoot: record.stateRoot,
    };
  }

  /** Only that the payload is a canonical list of ids matching the header: a certified block's bodies are fetched for execution if need be. */
  checkPayload(header: BlockHeader, payload: Uint8Array): { ok: true } | { ok: false; reason: string } {
    const parsed = parsePayload(payload, this.limits);
    if (!parsed.ok) return parsed;
    if (header.txCount !== parsed.ids.length) return { ok: false, reason: `txCount ${header.txCount} but the payload holds ${parsed.ids.length}` };
    if (header.txRoot !== transactionsRoot(parsed.ids)) return { ok: false, reason: 'txRoot does not match the payload' };
    return { ok: true };
  }

  checkProposal(header: BlockHeader, payload: Uint8Array, _ancestors: readonly ProposedBlockView[]): ProposalCheck {
    const payloadCheck = this.checkPayload(header, payload);
    if (!payloadCheck.ok) return { verdict: 'reject', reason: payloadCheck.reason };
    if (header.ledgerHeight >= header.height) return { verdict: 'reject', reason: `ledger height ${header.ledgerHeight} is not below block height ${header.height}` };
    // A validator votes only for blocks whose every body it holds: fetch first (the proposer is asked first).
    const missing = payloadIds(payload).filter((id) => this.bodyOf(id) === undefined);
    if (missing.length > 0 && !this.unsafeVoteWithoutBodies) {
      this.stats.missingVerdicts += 1;
      this.#wants.want(blockHash(header), header.height, missing, header.proposer, this.#nowMs);
      return { verdict: 'missing-transactions' };
    }
    if (header.ledgerHeight > this.executedHeight) return { verdict: 'not-ready' };
    const record = this.#ledger[header.ledgerHeight]!;
    if (header.logSize !== record.logSize || header.logRoot !== record.logRoot || header.stateRoot !== record.stateRoot) {
      return { verdict: 'reject', reason: `ledger roots for height ${header.ledgerHeight} do not match this ledger` };
    }
    return { verdict: 'accept' };
  }

  /** The core persisted these block records: their bodies held here are kept with them, durably. */
  persistBlocks(records: readonly BlockRecord[]): void {
    for (const record of records) {
      const height = record.block.header.height;
      for (const id of payloadIds(record.block.payload)) {
        const body = this.bodyOf(id);
        if (body === undefined || this.#committed.has(id)) continue;
        const kept = this.#durable.get(id);
        this.#durable.set(id, { body, height: Math.max(height, kept?.height ?? 0) });
      }
    }
  }

  /**
   * Committed blocks from the core, in height order: queued, then executed as far as their
   * bodies are held. Returns how many blocks were executed and what was refused (a block that
   * does not follow the queue, or one execute() refuses; the checkers report those).
   */
  commit(blocks: readonly CommittedBlock[]): { executed: number; problems: string[] } {
    const problems: string[] = [];
    for (const committed of blocks) {
      const height = committed.block.header.height;
      const tail = this.#queue.at(-1)?.block.header.height ?? this.executedHeight;
      if (height !== tail + 1) {
        problems.push(`block at height ${height} does not follow height ${tail} (executed or queued)`);
        continue;
      }
      this.#queue.push(committed);
    }
    const ready = this.executeReady();
    return { executed: ready.executed, problems: [...problems, ...ready.problems] };
  }

  /** Executes queued blocks while their bodies are held; wants the bodies of the first ones that lack some. */
  executeReady(): { executed: number; problems: string[] } {
    let executed = 0;
    const problems: string[] = [];
    while (this.#queue.length > 0) {
      const head = this.#queue[0]!;
      if (this.#missingIds(head).length > 0) {
        this.#wantQueued();
        break;
      }
      this.#queue.shift();
      const result = this.execute([head]);
      if (!result.ok) {
        problems.push(result.reason);
        continue;
      }
      executed += 1;
      const hash = blockHash(head.block.header);
      if (this.#deferred.delete(hash)) this.stats.deferredExecuted += 1;
    }
    if (executed > 0) {
      this.#wants.settledThrough(this.executedHeight);
      for (const [id, kept] of this.#durable) if (kept.height <= this.executedHeight) this.#durable.delete(id);
    }
    return { executed, problems };
  }

  #missingIds(committed: CommittedBlock): string[] {
    return payloadIds(committed.block.payload).filter((id) => this.bodyOf(id) === undefined);
  }

  #wantQueued(): void {
    for (const committed of this.#queue.slice(0, EXECUTION_WANTS_AHEAD)) {
      const missing = this.#missingIds(committed);
      if (missing.length === 0) continue;
      const header = committed.block.header;
      const hash = blockHash(header);
      if (!this.#deferred.has(hash)) {
        this.#deferred.add(hash);
        this.stats.deferredExecutions += 1;
      }
      this.#wants.want(hash, header.height, missing, header.proposer, this.#nowMs);
    }
  }

  /**
   * Executes committed blocks in order, every body held, refusing what the real ledger store
   * would refuse (ledger/verify/block-checks.ts): a block that does not extend the ledger, whose
   * ledgerHeight is not below its height or falls below its parent's, or whose ledger roots
   * differ from this ledger's record at that height. A refused block changes nothing.
   */
  execute(blocks: readonly CommittedBlock[]): ExecuteResult {
    for (const committed of blocks) {
      const header = committed.block.header;
      const tip = this.#ledger[this.#ledger.length - 1]!;
      if (header.height !== tip.height + 1) return { ok: false, reason: `block at height ${header.height} does not follow executed height ${tip.height}` };
      if (header.prevHash !== tip.blockHash) return { ok: false, reason: `block at height ${header.height} does not extend the executed block ${tip.blockHash.slice(0, 12)}` };
      const parentLedgerHeight = tip.committed?.block.header.ledgerHeight ?? 0;
      if (header.ledgerHeight >= header.height || header.ledgerHeight < parentLedgerHeight) {
        return { ok: false, reason: `block at height ${header.height} names ledgerHeight ${header.ledgerHeight}, below its parent's ${parentLedgerHeight} or not below its own height` };
      }
      const named = this.#ledger[header.ledgerHeight]!;
      if (header.logSize !== named.logSize || header.logRoot !== named.logRoot || header.stateRoot !== named.stateRoot) {
        return { ok: false, reason: `block at height ${header.height} names ledger roots for height ${header.ledgerHeight} that differ from the executed ledger` };
      }
      // A committed block with an unparsable payload is still part of the chain; it executes as empty.
      const ids = payloadIds(committed.block.payload);
      const missing = ids.filter((id) => this.bodyOf(id) === undefined);
      if (missing.length > 0) return { ok: false, reason: `block at height ${header.height} references ${missing.length} transactions whose bodies are not held` };
      const writes: StateWrite[] = [];
      for (const id of ids) {
        const transaction = this.bodyOf(id)!;
        this.#log.append(leafHash(utf8(transaction)));
        // A transaction committed twice is logged twice (it was ordered twice) but writes once.
        if (!this.#committed.has(id)) writes.push({ key: transaction, value: header.height });
        this.#committed.set(id, transaction);
        this.#mempool.delete(id);
        this.#fetched.delete(id);
        this.#durable.delete(id);
      }
      this.#ledger.push({
        height: header.height,
        committed,
        blockHash: blockHash(header),
        logSize: this.#log.size,
        logRoot: toHex(this.#log.root()),
        stateRoot: simulatedStateRoot(tip.stateRoot, sortWriteSet(writes)),
      });
    }
    return { ok: true };
  }

  /** Committed blocks from `fromHeight` on, at most `count`: how a driver answers a committed-request. */
  committedRange(fromHeight: number, count: number): CommittedBlock[] {
    const blocks: CommittedBlock[] = [];
    for (let height = Math.max(1, fromHeight); height <= this.executedHeight && blocks.length < count; height++) {
      blocks.push(this.#ledger[height]!.committed!);
    }
    return blocks;
  }
}

function idsIn(blocks: readonly ProposedBlockView[]): Set<string> {
  const found = new Set<string>();
  for (const block of blocks) for (const id of payloadIds(block.payload)) found.add(id);
  return found;
}

/**
 * The simulator's state root: an opaque digest chaining each height's writes. Consensus only
 * compares roots, so the ledger's state tree (ledger/state-tree/) is not needed here.
 */
function simulatedStateRoot(previous: string, writes: readonly StateWrite[]): string {
  const digest = sha256(canonicalBytes(writes));
  const input = new Uint8Array(64);
  input.set(fromHex(previous));
  input.set(digest, 32);
  return toHex(sha256(input));
}
