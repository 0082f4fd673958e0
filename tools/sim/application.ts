/**
 * The simulator's application (the ApplicationPort of consensus/types.ts, in the spirit of
 * ABCI): a mempool of synthetic transactions and a minimal ledger that plays the part the real
 * ledger plays for consensus. A payload is the UTF-8 canonical JSON array of transaction
 * strings; execution appends each transaction as an RFC 9162 log leaf and chains the state
 * root over writes `{key: transaction, value: height}` (ledger/model/state.ts), recording
 * (logSize, logRoot, stateRoot) per executed height. Proposals name a ledger height and its
 * roots, so honest validators vote only for headers that match their own executed ledger,
 * exactly the check DESIGN.md asks of the real application.
 *
 * The committed ledger survives a crash (it stands for the node's LevelDB store); the mempool
 * does not.
 */
import { blockHash, type BlockHeader } from '../../ledger/model/block.js';
import { canonicalBytes } from '../../ledger/encoding/canonical-json.js';
import { toHex, utf8 } from '../../ledger/encoding/hex.js';
import { EMPTY_ROOT, leafHash, MerkleFrontier } from '../../ledger/merkle/index.js';
import { INITIAL_STATE_PARENT, nextStateRoot, sortWriteSet, type StateWrite } from '../../ledger/model/state.js';
import type { CommittedBlock } from '../../consensus/messages.js';
import type { ApplicationPort, ProposalCheck, ProposalContent, ProposalContext, ProposedBlockView, ScheduledValidatorSet } from '../../consensus/types.js';

export interface SimApplicationLimits {
  /** Transactions waiting in the mempool; submissions beyond it are refused. */
  mempoolTransactionsMax: number;
  /** Transactions one proposal carries. */
  blockTransactionsMax: number;
  /** Characters in one synthetic transaction (it is a state key, so it must stay under 512). */
  transactionLengthMax: number;
}

export const SIM_APPLICATION_LIMITS: SimApplicationLimits = {
  mempoolTransactionsMax: 2048,
  blockTransactionsMax: 64,
  transactionLengthMax: 128,
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

export type PayloadParse = { ok: true; transactions: string[] } | { ok: false; reason: string };

const textDecoder = new TextDecoder('utf-8', { fatal: true });

export function encodePayload(transactions: readonly string[]): Uint8Array {
  return canonicalBytes([...transactions]);
}

/** Parses a payload and insists on its one canonical spelling, so equal payloads are equal bytes. */
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
  const transactions: string[] = [];
  const seen = new Set<string>();
  for (const item of parsed) {
    if (typeof item !== 'string' || item.length === 0 || item.length > limits.transactionLengthMax) return { ok: false, reason: 'payload holds a malformed transaction' };
    if (seen.has(item)) return { ok: false, reason: `payload repeats transaction ${item}` };
    seen.add(item);
    transactions.push(item);
  }
  const canonical = encodePayload(transactions);
  if (canonical.length !== payload.length || !canonical.every((byte, index) => byte === payload[index])) {
    return { ok: false, reason: 'payload is not canonical JSON' };
  }
  return { ok: true, transactions };
}

export function transactionsRoot(transactions: readonly string[]): string {
  const frontier = MerkleFrontier.empty();
  for (const transaction of transactions) frontier.append(leafHash(utf8(transaction)));
  return toHex(frontier.root());
}

export type ExecuteResult = { ok: true } | { ok: false; reason: string };

export class SimApplication implements ApplicationPort {
  /** Insertion-ordered, so proposals take the oldest transactions first. */
  readonly #mempool = new Set<string>();
  readonly #committedTransactions = new Set<string>();
  readonly #ledger: LedgerRecord[];
  readonly #log = MerkleFrontier.empty();
  #refusedSubmissions = 0;

  constructor(
    readonly genesisHash: string,
    readonly limits: SimApplicationLimits = SIM_APPLICATION_LIMITS,
    /** A validator-set change the ledger records once it has executed `approvedAtHeight` (as contracts would). */
    private readonly validatorSetChange: (ScheduledValidatorSet & { approvedAtHeight: number }) | null = null,
  ) {
    this.#ledger = [
      {
        height: 0,
        committed: null,
        blockHash: genesisHash,
        logSize: 0,
        logRoot: toHex(EMPTY_ROOT),
        stateRoot: nextStateRoot(INITIAL_STATE_PARENT, []),
      },
    ];
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

  record(height: number): LedgerRecord | undefined {
    return this.#ledger[height];
  }

  lastCommitted(): CommittedBlock | null {
    return this.#ledger[this.#ledger.length - 1]!.committed;
  }

  /** A client submission; refused (false) when the mempool is full or the transaction is known. */
  submit(transaction: string): boolean {
    if (this.#mempool.size >= this.limits.mempoolTransactionsMax || transaction.length > this.limits.transactionLengthMax) {
      this.#refusedSubmissions += 1;
      return false;
    }
    if (this.#committedTransactions.has(transaction) || this.#mempool.has(transaction)) return false;
    this.#mempool.add(transaction);
    return true;
  }

  /** A crash loses the mempool; the committed ledger is on disk. */
  crash(): void {
    this.#mempool.clear();
  }

  hasPendingTransactions(): boolean {
    return this.#mempool.size > 0;
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

  propose(context: ProposalContext): ProposalContent | undefined {
    // A header's ledgerHeight never goes below its parent's (ledger/verify/block-checks.ts): wait until executed that far.
    if (context.parent !== null && context.parent.ledgerHeight > this.executedHeight) return undefined;
    const excluded = transactionsIn(context.ancestors);
    const transactions: string[] = [];
    for (const transaction of this.#mempool) {
      if (context.emptyOnly || transactions.length >= this.limits.blockTransactionsMax) break;
      if (!excluded.has(transaction) && !this.#committedTransactions.has(transaction)) transactions.push(transaction);
    }
    return this.contentFor(transactions, this.executedHeight);
  }

  /** Header fields for `transactions` on top of the ledger at `ledgerHeight` (Byzantine drivers build conflicting blocks with it). */
  contentFor(transactions: readonly string[], ledgerHeight: number): ProposalContent {
    const record = this.#ledger[Math.min(ledgerHeight, this.executedHeight)]!;
    return {
      payload: encodePayload(transactions),
      txCount: transactions.length,
      txRoot: transactionsRoot(transactions),
      ledgerHeight: record.height,
      logSize: record.logSize,
      logRoot: record.logRoot,
      stateRoot: record.stateRoot,
    };
  }

  checkPayload(header: BlockHeader, payload: Uint8Array): { ok: true } | { ok: false; reason: string } {
    const parsed = parsePayload(payload, this.limits);
    if (!parsed.ok) return parsed;
    if (header.txCount !== parsed.transactions.length) return { ok: false, reason: `txCount ${header.txCount} but the payload holds ${parsed.transactions.length}` };
    if (header.txRoot !== transactionsRoot(parsed.transactions)) return { ok: false, reason: 'txRoot does not match the payload' };
    return { ok: true };
  }

  checkProposal(header: BlockHeader, payload: Uint8Array, _ancestors: readonly ProposedBlockView[]): ProposalCheck {
    const payloadCheck = this.checkPayload(header, payload);
    if (!payloadCheck.ok) return { verdict: 'reject', reason: payloadCheck.reason };
    if (header.ledgerHeight >= header.height) return { verdict: 'reject', reason: `ledger height ${header.ledgerHeight} is not below block height ${header.height}` };
    if (header.ledgerHeight > this.executedHeight) return { verdict: 'not-ready' };
    const record = this.#ledger[header.ledgerHeight]!;
    if (header.logSize !== record.logSize || header.logRoot !== record.logRoot || header.stateRoot !== record.stateRoot) {
      return { verdict: 'reject', reason: `ledger roots for height ${header.ledgerHeight} do not match this ledger` };
    }
    return { verdict: 'accept' };
  }

  /**
   * Executes committed blocks in order, refusing what the real ledger store would refuse
   * (ledger/verify/block-checks.ts): a block that does not extend the ledger, whose ledgerHeight
   * is not below its height or falls below its parent's, or whose ledger roots differ from this
   * ledger's record at that height. A refused block changes nothing; the checkers report it.
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
      const parsed = parsePayload(committed.block.payload, this.limits);
      // A committed block with an unparsable payload is still part of the chain; it executes as empty.
      const transactions = parsed.ok ? parsed.transactions : [];
      const writes: StateWrite[] = [];
      for (const transaction of transactions) {
        this.#log.append(leafHash(utf8(transaction)));
        // A transaction committed twice is logged twice (it was ordered twice) but writes once.
        if (!this.#committedTransactions.has(transaction)) writes.push({ key: transaction, value: header.height });
        this.#committedTransactions.add(transaction);
        this.#mempool.delete(transaction);
      }
      this.#ledger.push({
        height: header.height,
        committed,
        blockHash: blockHash(header),
        logSize: this.#log.size,
        logRoot: toHex(this.#log.root()),
        stateRoot: nextStateRoot(tip.stateRoot, sortWriteSet(writes)),
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

function transactionsIn(ancestors: readonly ProposedBlockView[]): Set<string> {
  const found = new Set<string>();
  for (const ancestor of ancestors) {
    const parsed = parsePayload(ancestor.payload);
    if (parsed.ok) for (const transaction of parsed.transactions) found.add(transaction);
  }
  return found;
}
