/**
 * Transactions from clients and from peers: the stateless checks, the mempool, relaying to every
 * validator (so any leader can propose it and no single leader can censor it forever), and the
 * status of an id (pending, committed with its result, or unknown), with waiting for commit.
 */
import type { JsonValue } from '../ledger/encoding/canonical-json.js';
import { checkTransaction, type Transaction, type TransactionCheck } from '../ledger/model/transaction.js';
import type { TransactionResult } from '../ledger/model/result.js';
import type { BlockStore } from '../ledger/store/block-store.js';
import type { Mempool } from './mempool.js';
import type { VerifiedTransactions } from './payload.js';

export const TRANSACTION_CHANNEL = 'tx';
/** Clients waiting for commit, across all ids; beyond this, waits answer with the current status at once. */
const WAITERS_MAX = 10_000;
export const WAIT_TIMEOUT_MS_MAX = 60_000;
/** Submission times kept to measure commit latency. */
const SUBMISSION_TIMES_KEPT = 100_000;

export type TransactionStatus =
  | { id: string; status: 'pending' }
  | { id: string; status: 'committed' | 'rejected'; height: number; position: number; blockHash: string; result: TransactionResult }
  | { id: string; status: 'unknown' };

export type SubmitResult =
  | { ok: true; id: string; duplicate: boolean }
  | { ok: false; kind: 'invalid'; check: Extract<TransactionCheck, { ok: false }> }
  | { ok: false; kind: 'full'; reason: string };

export interface TransactionServiceOptions {
  chainId: string;
  store: BlockStore;
  mempool: Mempool;
  verified: VerifiedTransactions;
  relay: (channel: string, payload: JsonValue) => void;
  transactionsReady: () => void;
  now?: () => number;
}

function committedStatus(id: string, height: number, position: number, blockHash: string, result: TransactionResult): TransactionStatus {
  return { id, status: result.status === 'accepted' ? 'committed' : 'rejected', height, position, blockHash, result };
}

export class TransactionService {
  private readonly waiters = new Map<string, Set<(status: TransactionStatus) => void>>();
  private waiterCount = 0;
  private readonly submittedAtMs = new Map<string, number>();

  constructor(private readonly options: TransactionServiceOptions) {}

  /** A client's transaction: checked, admitted and relayed. Idempotent: the same body gives the same id. */
  async submit(input: unknown): Promise<SubmitResult> {
    const check = checkTransaction(input, this.options.chainId);
    if (!check.ok) return { ok: false, kind: 'invalid', check };
    if (await this.options.store.hasTransaction(check.id)) return { ok: true, id: check.id, duplicate: true };
    const admitted = this.admit(check);
    if (!admitted.ok) return admitted;
    if (!admitted.duplicate) {
      this.submittedAtMs.set(check.id, (this.options.now ?? Date.now)());
      if (this.submittedAtMs.size > SUBMISSION_TIMES_KEPT) this.submittedAtMs.delete(this.submittedAtMs.keys().next().value!);
      this.options.relay(TRANSACTION_CHANNEL, check.transaction as unknown as JsonValue);
    }
    return { ok: true, id: check.id, duplicate: admitted.duplicate };
  }

  /** A transaction relayed by a peer: checked and admitted, not relayed again. */
  async receiveRelayed(input: JsonValue): Promise<void> {
    const check = checkTransaction(input, this.options.chainId);
    if (!check.ok || (await this.options.store.hasTransaction(check.id))) return;
    this.admit(check);
  }

  private admit(check: Extract<TransactionCheck, { ok: true }>): { ok: true; duplicate: boolean } | { ok: false; kind: 'full'; reason: string } {
    const admitted = this.options.mempool.admit(check.id, check.transaction, check.bodyBytes, (this.options.now ?? Date.now)());
    if (!admitted.ok) return { ok: false, kind: 'full', reason: admitted.reason };
    if (!admitted.duplicate) {
      this.options.verified.remember(check.transaction, check.id);
      this.options.transactionsReady();
    }
    return admitted;
  }

  async status(id: string): Promise<TransactionStatus> {
    const outcome = await this.options.store.getTransactionOutcome(id);
    if (outcome !== undefined) return committedStatus(id, outcome.height, outcome.position, outcome.blockHash, outcome.result);
    return this.options.mempool.has(id) ? { id, status: 'pending' } : { id, status: 'unknown' };
  }

  /** The status once committed or rejected, or the current status when the timeout passes. */
  async waitForCommit(id: string, timeoutMs: number): Promise<TransactionStatus> {
    const current = await this.status(id);
    if (current.status !== 'pending' || this.waiterCount >= WAITERS_MAX) return current;
    return new Promise((resolve) => {
      let set = this.waiters.get(id);
      if (set === undefined) this.waiters.set(id, (set = new Set()));
      const finish = (status: TransactionStatus) => {
        clearTimeout(timer);
        if (set!.delete(finish)) this.waiterCount--;
        if (set!.size === 0) this.waiters.delete(id);
        resolve(status);
      };
      const timer = setTimeout(() => void this.status(id).then(finish), Math.min(timeoutMs, WAIT_TIMEOUT_MS_MAX));
      set.add(finish);
      this.waiterCount++;
    });
  }

  /**
   * Called once a block is durably executed: wakes the waiters of its transactions with their
   * results straight from the execution, without reading the store. A transaction id that a
   * block repeats (a rejected duplicate) keeps its first commit, as the store does.
   */
  executed(block: { height: number; blockHash: string; ids: readonly string[]; results: readonly TransactionResult[] }, onLatency?: (seconds: number) => void): void {
    const now = (this.options.now ?? Date.now)();
    for (const [position, id] of block.ids.entries()) {
      const submitted = this.submittedAtMs.get(id);
      if (submitted !== undefined) {
        this.submittedAtMs.delete(id);
        onLatency?.((now - submitted) / 1000);
      }
      const set = this.waiters.get(id);
      if (set === undefined) continue;
      const result = block.results[position]!;
      const firstCommit = block.ids.indexOf(id) === position && !(result.status === 'rejected' && result.code === 'duplicate-transaction');
      if (firstCommit) {
        const status = committedStatus(id, block.height, position, block.blockHash, result);
        for (const finish of [...set]) finish(status);
      } else {
        void this.status(id).then((current) => {
          for (const finish of [...set]) finish(current);
        });
      }
    }
  }

  /** The transaction itself: from the ledger once committed, else from the mempool while pending. */
  async find(id: string): Promise<Transaction | undefined> {
    return (await this.options.store.getTransaction(id))?.transaction ?? this.options.mempool.get(id);
  }

  get waiting(): number {
    return this.waiterCount;
  }
}
