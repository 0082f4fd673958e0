/**
 * The application behind the consensus core's port (consensus/types.ts ApplicationPort): it
 * fills proposals from the mempool, checks proposed payloads and ledger roots, and executes
 * committed blocks through contracts/ into the block store, one block at a time, in order.
 *
 * Execution lags consensus: a header names the ledger height its roots are for, and a validator
 * that has not executed that height yet answers 'not-ready' and votes once it has. Roots that
 * differ from this node's own ledger mean the validators executed differently: that is logged
 * loudly with the height, and the node does not vote.
 *
 * Proposals carry references to transactions, not their bodies (node/payload.ts): the bodies
 * come from the mempool (every transaction is relayed at admission), or are fetched from peers
 * (node/transaction-bodies.ts). A proposal is voted on only once every body is held, and the
 * bodies of the blocks this validator voted for are persisted with them (the consensus store).
 *
 * It also tells consensus which validator set change the executed ledger has scheduled
 * (contracts' `validator-set/pending`), taken from each block's write set in the same
 * synchronous step that advances the executed height, so the two are never seen out of step.
 */
import { BlockPayloadCache } from './block-payload-cache.js';
import { assert } from '../ledger/assert.js';
import type { JsonValue } from '../ledger/encoding/canonical-json.js';
import { blockHash, transactionRootOfLeaves, type BlockHeader } from '../ledger/model/block.js';
import type { BlockStore } from '../ledger/store/block-store.js';
import { transactionId, type Transaction } from '../ledger/model/transaction.js';
import type { LedgerState } from '../ledger/verify/block-checks.js';
import type { TransactionResult } from '../ledger/model/result.js';
import type { CommittedBlock } from '../consensus/messages.js';
import type { ApplicationPort, ProposalCheck, ProposalContent, ProposalContext, ProposedBlockView, ScheduledValidatorSet } from '../consensus/types.js';
import { admissionRefusal, proposalRefusal } from '../contracts/admission.js';
import { executeBlock } from '../contracts/executor.js';
import { pendingValidatorSetChange } from '../contracts/queries.js';
import { stateKeys } from '../contracts/state.js';
import type { ValidatorSetChange } from '../contracts/rules/governance.js';
import type { Logger } from './logger.js';
import type { Mempool, MempoolEntry } from './mempool.js';
import { TakeOnceMemo } from './memo.js';
import { ParticipantDirectory } from './participant-directory.js';
import type { AnyEpcisDocument, EpcisValidation } from '../contracts/epcis/index.js';
import { decodePayload, decodeReferencePayload, encodeReferencePayload, isReferencePayload, referenceOf, VerifiedTransactions, type DecodedPayload, type TransactionReference } from './payload.js';
import { TransactionBodies, type BodyRefusal, type TransactionBodyLimits } from './transaction-bodies.js';

export interface LedgerApplicationOptions {
  store: BlockStore;
  mempool: Mempool;
  logger: Logger;
  blockTransactionsMax: number;
  payloadBytesMax: number;
  /** How this node reaches its peers for transactions it lacks; late-bound (the transport comes after the application). */
  peers?: {
    send: (to: string, channel: string, payload: JsonValue) => void;
    list: () => string[];
  };
  /** Bodies a proposal was waiting for arrived: the core should check it again. */
  onTransactionsArrived?: () => void;
  onBodyRefused?: (reason: BodyRefusal) => void;
  /** A proposal check that held the proposal (its bodies or its ledger height not here yet). */
  onProposalHeld?: (verdict: 'missing-transactions' | 'not-ready') => void;
  bodyLimits?: Partial<TransactionBodyLimits>;
  now?: () => number;
  /** Called after each block is durably executed, with the results and how long it took. */
  onExecuted: (executed: { state: LedgerState; committed: CommittedBlock; payload: DecodedPayload; results: readonly TransactionResult[]; seconds: number; committedAtMs: number }) => void;
}

/** Ledger states of recent heights, kept to check proposed headers without reading the disk. */
const RECENT_STATES_KEPT = 4096;
/**
 * Ledger states read back from the store on open, below the head: a proposer's header states
 * its own executed height, which may trail this validator's head (a peer slower to execute, or
 * this validator restarted ahead of it). Without them a restarted validator refused every such
 * proposal as "too old to check", and two validators a block apart could refuse each other for
 * good (found by `custodia chaos`).
 */
const RECENT_STATES_LOADED_ON_OPEN = 256;
/** Recent blocks' decoded payloads and references kept: at most this many blocks, and transactions in all. */
const DECODED_PAYLOADS_KEPT = { blocksMax: 1024, transactionsMax: 10_000 };
/** How often an execution waiting for fetched bodies looks again (and retries its want). */
const BODY_WAIT_RECHECK_MS = 250;
/** Committed blocks waiting for execution beyond which this validator declines to propose. */
const EXECUTION_BACKLOG_BLOCKS_MAX = 32;

export class LedgerApplication implements ApplicationPort {
  readonly verified = new VerifiedTransactions();
  /** Validations of admitted captures' documents, taken by execution (each document is validated once per validator). */
  readonly documents = new TakeOnceMemo<EpcisValidation<AnyEpcisDocument>>();
  private readonly recentStates = new Map<number, LedgerState>();
  private readonly decoded = new BlockPayloadCache<DecodedPayload>(DECODED_PAYLOADS_KEPT, (payload) => payload.ids.length);
  private readonly references = new BlockPayloadCache<TransactionReference[]>(DECODED_PAYLOADS_KEPT, (references) => references.length);
  readonly bodies: TransactionBodies;
  /** Executions waiting for fetched bodies, by block hash. */
  private readonly arrivals = new Map<string, () => void>();
  private stopping = false;
  private executing: Promise<void> = Promise.resolve();
  /** Transactions in blocks committed but not executed yet: not to be proposed again meanwhile. */
  private readonly ordered = new Set<string>();
  private queuedHeight: number;
  private failure: Error | undefined;
  private scheduled: ScheduledValidatorSet | undefined;
  private executedHeight: number;

  private constructor(
    private readonly options: LedgerApplicationOptions,
    scheduled: ValidatorSetChange | undefined,
    /** The executed state's participants, for admission and for checking proposed blocks. */
    readonly participants: ParticipantDirectory,
    /** The latest ledger states, oldest first, ending with the head. */
    recentStates: readonly LedgerState[],
  ) {
    const head = options.store.head();
    for (const state of recentStates) this.recentStates.set(state.height, state);
    this.recentStates.set(head.height, head);
    this.queuedHeight = head.height;
    this.executedHeight = head.height;
    this.scheduled = toScheduled(scheduled);
    this.bodies = new TransactionBodies({
      chainId: options.store.genesis.chainId,
      send: (to, channel, payload) => options.peers?.send(to, channel, payload),
      peers: () => options.peers?.list() ?? [],
      verified: this.verified,
      documents: this.documents,
      find: (blockHash, height, references) => this.findBodies(blockHash, height, references),
      onComplete: (blockHash) => {
        this.arrivals.get(blockHash)?.();
        options.onTransactionsArrived?.();
      },
      ...(options.onBodyRefused === undefined ? {} : { onRefused: options.onBodyRefused }),
      ...(options.bodyLimits === undefined ? {} : { limits: options.bodyLimits }),
    });
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  static async open(options: LedgerApplicationOptions): Promise<LedgerApplication> {
    const store = options.store;
    const scheduled = await pendingValidatorSetChange({ get: async (key) => (await store.getState(key)) as JsonValue | undefined });
    const head = store.head().height;
    const heights = Array.from({ length: Math.min(head, RECENT_STATES_LOADED_ON_OPEN) }, (_, index) => head - Math.min(head, RECENT_STATES_LOADED_ON_OPEN) + index);
    const states = (await Promise.all(heights.map((height) => store.ledgerState(height)))).filter((state): state is LedgerState => state !== undefined);
    return new LedgerApplication(options, scheduled, await ParticipantDirectory.load(store), states);
  }

  executedThrough(): number {
    return this.executedHeight;
  }

  scheduledValidatorSet(): ScheduledValidatorSet | undefined {
    return this.scheduled;
  }

  get executedState(): LedgerState {
    return this.options.store.head();
  }

  /** Transactions waiting that no committed block has ordered yet. */
  hasPendingTransactions(committedThisStep: readonly ProposedBlockView[]): boolean {
    const committedIds = committedThisStep.filter((block) => block.header.txCount > 0).map((block) => new Set(this.idsOf(block)));
    return this.options.mempool.hasEntryOutside([this.ordered, ...committedIds]);
  }

  propose(context: ProposalContext): ProposalContent | undefined {
    const executed = this.executedState;
    if (executed.height < (context.parent?.ledgerHeight ?? 0)) return undefined;
    // Back-pressure: consensus may not run further ahead of execution than this.
    if (this.queuedHeight - executed.height > EXECUTION_BACKLOG_BLOCKS_MAX) return undefined;
    const exclude = new Set<string>(this.ordered);
    for (const ancestor of context.ancestors) for (const id of this.idsOf(ancestor)) exclude.add(id);
    const selected = context.emptyOnly ? [] : this.admissible(this.options.mempool.select(this.options.blockTransactionsMax, this.options.payloadBytesMax, exclude));
    const references = selected.map((entry) => entry.reference);
    // Never a height the block's own chain does not prove committed (ProposalContext.ledgerHeightMax).
    const stated = executed.height <= context.ledgerHeightMax ? executed : this.recentStates.get(context.ledgerHeightMax);
    if (stated === undefined) return undefined;
    return {
      payload: encodeReferencePayload(references),
      txCount: references.length,
      txRoot: transactionRootOfLeaves(references.map((reference) => reference.leaf)),
      ledgerHeight: stated.height,
      logSize: stated.logSize,
      logRoot: stated.logRoot,
      stateRoot: stated.stateRoot,
    };
  }

  /** A reference payload is checked from its references alone: a certified header fixes its transactions, whose bodies execution fetches if need be. */
  checkPayload(header: BlockHeader, payload: Uint8Array): { ok: true } | { ok: false; reason: string } {
    if (isReferencePayload(payload)) {
      const references = this.referencesOf(header, payload);
      return references.ok ? { ok: true } : references;
    }
    const decoded = this.decode(header, payload);
    return decoded.ok ? { ok: true } : decoded;
  }

  checkProposal(header: BlockHeader, payload: Uint8Array): ProposalCheck {
    const decoded = this.decode(header, payload);
    if (!decoded.ok && decoded.missing !== undefined) {
      this.bodies.want(blockHash(header), header.height, decoded.missing, header.proposer, this.now());
      this.options.onProposalHeld?.('missing-transactions');
      return { verdict: 'missing-transactions' };
    }
    if (!decoded.ok) return { verdict: 'reject', reason: decoded.reason };
    const executed = this.executedState;
    if (header.ledgerHeight > executed.height) {
      this.options.onProposalHeld?.('not-ready');
      return { verdict: 'not-ready' };
    }
    const state = this.recentStates.get(header.ledgerHeight);
    if (state === undefined) return { verdict: 'reject', reason: `ledgerHeight ${header.ledgerHeight} is too old to check` };
    if (state.logSize !== header.logSize || state.logRoot !== header.logRoot || state.stateRoot !== header.stateRoot) {
      return this.rootsDiffer(header, state);
    }
    for (const [position, transaction] of decoded.payload.transactions.entries()) {
      const refused = proposalRefusal(transaction, this.participants.lookup);
      if (refused !== undefined) return { verdict: 'reject', reason: `transaction ${position} (${decoded.payload.ids[position]}) is not admissible: ${refused.code}: ${refused.message}` };
    }
    return { verdict: 'accept' };
  }

  /**
   * Mempool entries a block may carry: those still admissible under the executed state (a
   * governance change since their admission may have removed their signer). The others leave
   * the mempool, so no block carries a transaction that admission would refuse now.
   */
  private admissible(selected: MempoolEntry[]): MempoolEntry[] {
    const kept: MempoolEntry[] = [];
    for (const entry of selected) {
      const refused = admissionRefusal(entry.transaction, this.participants.lookup);
      if (refused === undefined) kept.push(entry);
      else {
        this.forget(entry.id);
        this.options.logger.info({ txId: entry.id, code: refused.code }, 'pending transaction no longer admissible; dropped from the mempool');
      }
    }
    return kept;
  }

  /**
   * A transaction this node need not hold any more (it executed, or it is no longer admissible):
   * out of the mempool, and what was kept of its checks goes too, so that those memos hold what
   * is pending, not every transaction the node has seen (a validator under load sees hundreds a
   * second).
   */
  private forget(id: string): void {
    this.options.mempool.remove(id);
    this.documents.take(id);
    this.verified.forget(id);
  }

  private rootsDiffer(header: BlockHeader, state: LedgerState): ProposalCheck {
    this.options.logger.error(
      { height: header.height, ledgerHeight: header.ledgerHeight, proposer: header.proposer, ours: state, theirs: { logSize: header.logSize, logRoot: header.logRoot, stateRoot: header.stateRoot } },
      `LEDGER ROOTS DIFFER at height ${header.ledgerHeight}: the proposer's ledger and ours diverged; not voting`,
    );
    return { verdict: 'reject', reason: `ledger roots differ at height ${header.ledgerHeight}` };
  }

  /** Queues committed blocks for execution, strictly in height order. */
  enqueueCommits(blocks: readonly CommittedBlock[]): void {
    for (const committed of blocks) {
      const height = committed.block.header.height;
      if (height <= this.queuedHeight) continue;
      assert(height === this.queuedHeight + 1, `commit of height ${height} skips ${this.queuedHeight + 1}`);
      this.queuedHeight = height;
      for (const id of this.idsOf(committed.block)) this.ordered.add(id);
      const committedAtMs = this.now();
      this.executing = this.executing.then(() => this.execute(committed, committedAtMs));
    }
  }

  /** Resolves when every queued block is executed; rejects if execution failed. */
  async drained(): Promise<void> {
    await this.executing;
    if (this.failure !== undefined) throw this.failure;
  }

  private async execute(committed: CommittedBlock, committedAtMs: number): Promise<void> {
    if (this.failure !== undefined) return;
    const started = performance.now();
    const { header } = committed.block;
    const decoded = await this.bodiesForExecution(header, committed.block.payload);
    if (decoded === undefined) return;
    const store = this.options.store;
    const executed = await executeBlock(
      // Synchronous reads: execution waits on each before the next anyway (docs/performance.md).
      { get: async (key) => store.getStateSync(key) as JsonValue | undefined },
      { chainId: header.chainId, height: header.height, timestamp: header.timestamp, memo: { validatedDocument: (txId) => this.documents.take(txId) } },
      decoded.payload.transactions,
      decoded.payload.ids,
    );
    for (const failure of executed.failures) {
      this.options.logger.error(
        { height: header.height, position: failure.position, txId: failure.txId, type: failure.type, error: failure.error },
        `CONTRACT FAILED on transaction ${failure.txId} at height ${header.height}: recorded as execution-failed, its writes discarded; this is a bug to report`,
      );
    }
    const appended = await store.appendBlock({
      block: { header, transactions: decoded.payload.transactions },
      certificate: committed.certificate,
      results: executed.results,
      writes: executed.writes,
      events: executed.events,
      notes: executed.notes,
      // Each id was computed when its transaction was checked; the store binds them through the certified txRoot.
      transactionIds: decoded.payload.ids,
    });
    if (!appended.ok) {
      this.failure = new Error(`cannot append committed block ${header.height}: ${appended.code}: ${appended.message}`);
      this.options.logger.fatal({ height: header.height, code: appended.code }, this.failure.message);
      throw this.failure;
    }
    const change = executed.writes.find((write) => write.key === stateKeys.validatorSetChange());
    if (change !== undefined) this.scheduled = toScheduled((change.value ?? undefined) as ValidatorSetChange | undefined);
    this.participants.apply(executed.writes);
    this.executedHeight = header.height;
    this.recentStates.set(header.height, appended.state);
    if (this.recentStates.size > RECENT_STATES_KEPT) this.recentStates.delete(this.recentStates.keys().next().value!);
    for (const id of decoded.payload.ids) {
      this.forget(id);
      this.ordered.delete(id);
    }
    // From the cache, or decoded again if the cache has dropped them: the fetched bodies go either way.
    const references = isReferencePayload(committed.block.payload) ? this.referencesOf(header, committed.block.payload) : undefined;
    if (references?.ok === true) this.bodies.release(references.references);
    this.bodies.settledThrough(header.height);
    this.options.onExecuted({ state: appended.state, committed, payload: decoded.payload, results: executed.results, seconds: (performance.now() - started) / 1000, committedAtMs });
  }

  /**
   * A committed block's transactions, fetched from peers first if need be: a validator that did
   * not vote for the block (it was catching up, or restarted) may lack some, and at least f + 1
   * honest validators hold them (they voted). Undefined if the node stops meanwhile.
   */
  private async bodiesForExecution(header: BlockHeader, payload: Uint8Array): Promise<{ ok: true; payload: DecodedPayload } | undefined> {
    const hash = blockHash(header);
    for (;;) {
      const decoded = this.decode(header, payload);
      if (decoded.ok) return decoded;
      assert(decoded.missing !== undefined, `committed block ${header.height} has an invalid payload: ${decoded.reason}`);
      if (this.stopping) return undefined;
      this.bodies.want(hash, header.height, decoded.missing, header.proposer, this.now());
      this.options.logger.info({ height: header.height, missing: decoded.missing.length }, 'fetching the transactions of a committed block from peers');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(finish, BODY_WAIT_RECHECK_MS);
        function finish() {
          clearTimeout(timer);
          resolve();
        }
        this.arrivals.set(hash, finish);
      });
      this.arrivals.delete(hash);
      this.bodies.tick(this.now());
    }
  }

  /** Ends executions waiting for fetched bodies, so that a stopping node does not wait on its peers. */
  stop(): void {
    this.stopping = true;
    for (const finish of this.arrivals.values()) finish();
  }

  /**
   * The bodies of a block this node holds, to persist with its record before voting (JSON of the
   * transactions; undefined for a full payload, which holds them, or one not resolved here).
   */
  bodiesToPersist(header: BlockHeader, payload: Uint8Array): string | undefined {
    if (!isReferencePayload(payload) || header.txCount === 0) return undefined;
    const decoded = this.decoded.get(blockHash(header));
    return decoded === undefined ? undefined : JSON.stringify(decoded.transactions);
  }

  /** Bodies persisted with block records, read back at start. */
  restoreBodies(bodies: readonly string[]): void {
    for (const text of bodies) {
      let transactions: unknown;
      try {
        transactions = JSON.parse(text);
      } catch {
        continue;
      }
      if (Array.isArray(transactions)) this.bodies.restore(transactions as Transaction[]);
    }
  }

  /** What a peer's want is answered from: the block as decoded here, the mempool, fetched bodies, the ledger. */
  private async findBodies(hash: string, height: number, references: readonly TransactionReference[]): Promise<Transaction[]> {
    const held = new Map<string, Transaction>();
    const decoded = this.decoded.get(hash);
    if (decoded !== undefined) for (const [position, transaction] of decoded.transactions.entries()) held.set(referenceOf(decoded.ids[position]!, transaction).key, transaction);
    const found: Transaction[] = [];
    const missing: TransactionReference[] = [];
    for (const reference of references) {
      const transaction = held.get(reference.key) ?? this.options.mempool.getByReference(reference) ?? this.bodies.get(reference);
      if (transaction !== undefined) found.push(transaction);
      else missing.push(reference);
    }
    if (missing.length > 0 && height <= this.executedHeight) {
      const block = await this.options.store.getBlock(height);
      if (block !== undefined && blockHash(block.header) === hash) {
        const stored = new Map(block.transactions.map((transaction) => [referenceOf(transactionIdOf(transaction), transaction).key, transaction]));
        for (const reference of missing) {
          const transaction = stored.get(reference.key);
          if (transaction !== undefined) found.push(transaction);
        }
      }
    }
    return found;
  }

  private idsOf(block: ProposedBlockView): string[] {
    if (isReferencePayload(block.payload)) {
      const references = this.referencesOf(block.header, block.payload);
      return references.ok ? references.references.map((reference) => reference.id) : [];
    }
    const decoded = this.decode(block.header, block.payload);
    return decoded.ok ? decoded.payload.ids : [];
  }

  private referencesOf(header: BlockHeader, payload: Uint8Array): { ok: true; references: TransactionReference[] } | { ok: false; reason: string } {
    const hash = blockHash(header);
    const cached = this.references.get(hash);
    if (cached !== undefined) return { ok: true, references: cached };
    const decoded = decodeReferencePayload(header, payload);
    if (!decoded.ok) return decoded;
    this.references.set(hash, decoded.references);
    return decoded;
  }

  /**
   * A block's transactions: for a reference payload, each body from the mempool or the fetched
   * pool, or the references still missing; for a full payload, decoded and checked.
   */
  private decode(header: BlockHeader, payload: Uint8Array): { ok: true; payload: DecodedPayload } | { ok: false; reason: string; missing?: TransactionReference[] } {
    const hash = blockHash(header);
    const cached = this.decoded.get(hash);
    if (cached !== undefined) return { ok: true, payload: cached };
    let decoded: { ok: true; payload: DecodedPayload } | { ok: false; reason: string; missing?: TransactionReference[] };
    if (isReferencePayload(payload)) {
      const references = this.referencesOf(header, payload);
      if (!references.ok) return references;
      const transactions: Transaction[] = [];
      const missing: TransactionReference[] = [];
      for (const reference of references.references) {
        const transaction = this.options.mempool.getByReference(reference) ?? this.bodies.get(reference);
        if (transaction === undefined) missing.push(reference);
        else transactions.push(transaction);
      }
      if (missing.length > 0) return { ok: false, reason: `${missing.length} of the block's transactions are not held here`, missing };
      decoded = { ok: true, payload: { transactions, ids: references.references.map((reference) => reference.id) } };
    } else {
      decoded = decodePayload(header, payload, this.verified);
      if (!decoded.ok) return decoded;
    }
    this.decoded.set(hash, decoded.payload);
    return decoded;
  }
}

function transactionIdOf(transaction: Transaction): string {
  return transactionId(transaction.body);
}

function toScheduled(change: ValidatorSetChange | undefined): ScheduledValidatorSet | undefined {
  return change === undefined ? undefined : { startHeight: change.effectiveHeight, validators: change.validators };
}
