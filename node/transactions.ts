/**
 * Transactions from clients and from peers: the stateless checks, the mempool, relaying to every
 * validator (so any leader can propose it and no single leader can censor it forever), and the
 * status of an id (pending, committed with its result, or unknown), with waiting for commit.
 */
import type { JsonValue } from '../ledger/encoding/canonical-json.js';
import { toHex } from '../ledger/encoding/hex.js';
import { checkTransactionShape, verifyTransactionSignatures, type Transaction, type TransactionRefusal, type TransactionShape } from '../ledger/model/transaction.js';
import { documentCheck } from '../contracts/admission.js';
import type { AnyEpcisDocument, EpcisValidation } from '../contracts/epcis/index.js';
import type { Refusal } from '../contracts/reasons.js';
import type { TakeOnceMemo } from './memo.js';
import type { TransactionResult } from '../ledger/model/result.js';
import type { BlockStore } from '../ledger/store/block-store.js';
import type { Mempool } from './mempool.js';
import { referenceOf, type TransactionReference, type VerifiedTransactions } from './payload.js';

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
  | { ok: false; kind: 'invalid'; check: TransactionRefusal }
  /** Not admissible under the executed state (contracts/admission.ts): an outsider's, a type no one may submit, or an invalid document (with its path). */
  | { ok: false; kind: 'refused'; refusal: Refusal; path?: string }
  | { ok: false; kind: 'full'; reason: string }
  | { ok: false; kind: 'stopping' };

export interface TransactionServiceOptions {
  chainId: string;
  store: BlockStore;
  mempool: Mempool;
  verified: VerifiedTransactions;
  relay: (channel: string, payload: JsonValue) => void;
  /** A transaction entered the mempool (submitted or relayed): an idle leader may propose, a proposal waiting for it may be voted on. */
  transactionsReady: (admitted: { reference: TransactionReference; transaction: Transaction }) => void;
  /** Why the executed state does not admit a transaction (contracts/admission.ts admissionRefusal), or undefined. */
  admission: (transaction: Transaction) => Refusal | undefined;
  /** Where the validations of admitted captures' documents are kept for execution. */
  documents?: TakeOnceMemo<EpcisValidation<AnyEpcisDocument>>;
  /** Counts what peers relayed and this node refused, by reason. */
  onRelayRefused?: (reason: string) => void;
  now?: () => number;
}

interface Checked {
  ok: true;
  transaction: Transaction;
  id: string;
  reference: TransactionReference;
  bodyBytes: number;
}

function committedStatus(id: string, height: number, position: number, blockHash: string, result: TransactionResult): TransactionStatus {
  return { id, status: result.status === 'accepted' ? 'committed' : 'rejected', height, position, blockHash, result };
}

export class TransactionService {
  private readonly waiters = new Map<string, Set<(status: TransactionStatus) => void>>();
  private waiterCount = 0;
  private readonly submittedAtMs = new Map<string, number>();
  private stopping = false;

  constructor(private readonly options: TransactionServiceOptions) {}

  /**
   * The stateless checks and admission, cheapest first: shape, encoding, size, chain and signer
   * list; then whether the executed state admits it (an outsider is refused before this node
   * spends a signature verification on it); then the signatures.
   */
  private check(input: unknown, validated?: EpcisValidation<AnyEpcisDocument>): Extract<SubmitResult, { ok: false; kind: 'invalid' | 'refused' }> | Checked {
    const shape: TransactionShape = checkTransactionShape(input, this.options.chainId);
    if (!shape.ok) return { ok: false, kind: 'invalid', check: shape };
    const refusal = this.options.admission(shape.transaction);
    if (refusal !== undefined) return { ok: false, kind: 'refused', refusal };
    const document = validated === undefined ? documentCheck(shape.transaction) : { ok: true as const, validation: validated };
    if (!document.ok) return { ok: false, kind: 'refused', refusal: document, path: document.path };
    const badSignature = verifyTransactionSignatures(shape);
    if (badSignature !== undefined) return { ok: false, kind: 'invalid', check: badSignature };
    const id = toHex(shape.idBytes);
    if (document.validation !== undefined) this.options.documents?.remember(id, document.validation);
    return { ok: true, transaction: shape.transaction, id, reference: referenceOf(id, shape.transaction), bodyBytes: shape.bodyBytes };
  }

  /**
   * A client's transaction: checked, admitted and relayed. Idempotent: the same body gives the
   * same id. `validated` is the validation of its EPCIS document when the caller already ran it.
   */
  async submit(input: unknown, validated?: EpcisValidation<AnyEpcisDocument>): Promise<SubmitResult> {
    if (this.stopping) return { ok: false, kind: 'stopping' };
    const check = this.check(input, validated);
    if (!check.ok) return check;
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
    if (this.stopping) return;
    const check = this.check(input);
    if (!check.ok) {
      this.options.onRelayRefused?.(check.kind === 'refused' ? check.refusal.code : check.check.code);
      return;
    }
    if (await this.options.store.hasTransaction(check.id)) return;
    this.admit(check);
  }

  private admit(check: Checked): { ok: true; duplicate: boolean } | { ok: false; kind: 'full'; reason: string } {
    const admitted = this.options.mempool.admit(check.reference, check.transaction, check.bodyBytes, (this.options.now ?? Date.now)());
    if (!admitted.ok) return { ok: false, kind: 'full', reason: admitted.reason };
    if (!admitted.duplicate) {
      this.options.verified.remember(check.reference.key);
      this.options.transactionsReady({ reference: check.reference, transaction: check.transaction });
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
    if (current.status !== 'pending' || this.waiterCount >= WAITERS_MAX || this.stopping) return current;
    return new Promise((resolve) => {
      let set = this.waiters.get(id);
      if (set === undefined) this.waiters.set(id, (set = new Set()));
      const finish = (status: TransactionStatus) => {
        clearTimeout(timer);
        if (set!.delete(finish)) this.waiterCount--;
        if (set!.size === 0) this.waiters.delete(id);
        resolve(status);
      };
      const timer = setTimeout(() => void this.currentStatus(id).then(finish), Math.min(timeoutMs, WAIT_TIMEOUT_MS_MAX));
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
        void this.currentStatus(id).then((current) => {
          for (const finish of [...set]) finish(current);
        });
      }
    }
  }

  /**
   * Stops intake for a shutdown: new submissions and relays are refused, and every client still
   * waiting for a commit is answered at once with what is known in memory (pending), before the
   * store closes under their timers.
   */
  stop(): void {
    this.stopping = true;
    for (const [id, set] of [...this.waiters]) {
      for (const finish of [...set]) finish({ id, status: 'pending' });
    }
  }

  /** The status for a waiter whose wait ends; never throws (a failed read answers pending, and is logged by the caller's request). */
  private async currentStatus(id: string): Promise<TransactionStatus> {
    if (this.stopping) return { id, status: 'pending' };
    try {
      return await this.status(id);
    } catch {
      return { id, status: this.options.mempool.has(id) ? 'pending' : 'unknown' };
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
