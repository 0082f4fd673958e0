/**
 * Transactions from clients and from peers: the stateless checks, overload control
 * (node/admission-control.ts: a client's transaction is refused for load while more wait for
 * commit than the network commits in the target delay), the mempool, relaying to every validator
 * in batches (node/relay-batch.ts; so any leader can propose it and no single leader can censor
 * it forever), and the status of an id (pending, committed with its result, or unknown), with
 * waiting for commit.
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
import type { AdmissionControl } from './admission-control.js';
import type { Mempool } from './mempool.js';
import { referenceOf, type TransactionReference, type VerifiedTransactions } from './payload.js';
import { parseRelayFrame, relayBytes, RelayBatcher, type RelayBatchLimits } from './relay-batch.js';

export const TRANSACTION_CHANNEL = 'tx';
/** Clients waiting for commit, across all ids; beyond this, waits answer with the current status at once. */
const WAITERS_MAX = 10_000;
export const WAIT_TIMEOUT_MS_MAX = 60_000;
/** Submission times kept to measure commit latency. */
const SUBMISSION_TIMES_KEPT = 100_000;
/** Relayed transactions checked in one turn of the event loop; a batch's next ones wait for the next turn, so consensus and HTTP are not held up. */
const RELAYED_CHECKS_PER_TURN = 32;

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
  /** More transactions wait for commit than the network commits in the target delay (node/admission-control.ts). */
  | { ok: false; kind: 'overloaded'; pending: number; pendingLimit: number; retryAfterS: number }
  | { ok: false; kind: 'stopping' };

export interface TransactionServiceOptions {
  chainId: string;
  store: BlockStore;
  mempool: Mempool;
  verified: VerifiedTransactions;
  /** Sends a relay frame (an array of transactions, node/relay-batch.ts) to every other validator. */
  relay: (channel: string, payload: JsonValue) => void;
  /** How relayed transactions are batched; DEFAULT_RELAY_BATCH_LIMITS otherwise. */
  relayBatch?: Partial<RelayBatchLimits>;
  /** Overload control of client submissions; without it only the mempool's limits refuse for load. */
  admissionControl?: AdmissionControl;
  /** Counts the client submissions this node refused, by reason (a code of the API's answer). */
  onSubmissionRefused?: (reason: string) => void;
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
  /** Its EPCIS document's validation, kept for execution once the mempool takes it. */
  validation: EpcisValidation<AnyEpcisDocument> | undefined;
}

function committedStatus(id: string, height: number, position: number, blockHash: string, result: TransactionResult): TransactionStatus {
  return { id, status: result.status === 'accepted' ? 'committed' : 'rejected', height, position, blockHash, result };
}

export class TransactionService {
  private readonly waiters = new Map<string, Set<(status: TransactionStatus) => void>>();
  private waiterCount = 0;
  private readonly submittedAtMs = new Map<string, number>();
  private stopping = false;
  private readonly relayBatcher: RelayBatcher;

  constructor(private readonly options: TransactionServiceOptions) {
    this.relayBatcher = new RelayBatcher((batch) => options.relay(TRANSACTION_CHANNEL, batch), options.relayBatch);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /**
   * The stateless checks and admission, cheapest first: shape, encoding, size, chain and signer
   * list; then whether the executed state admits it (an outsider is refused before this node
   * spends a signature verification on it). The document and the signatures are verify's.
   */
  private screen(input: unknown): Extract<SubmitResult, { ok: false; kind: 'invalid' | 'refused' }> | { ok: true; shape: Extract<TransactionShape, { ok: true }> } {
    const shape: TransactionShape = checkTransactionShape(input, this.options.chainId);
    if (!shape.ok) return { ok: false, kind: 'invalid', check: shape };
    const refusal = this.options.admission(shape.transaction);
    if (refusal !== undefined) return { ok: false, kind: 'refused', refusal };
    return { ok: true, shape };
  }

  /** The costly checks of a screened transaction: its EPCIS document (unless the caller validated it), then its signatures. */
  private verify(shape: Extract<TransactionShape, { ok: true }>, validated?: EpcisValidation<AnyEpcisDocument>): Extract<SubmitResult, { ok: false; kind: 'invalid' | 'refused' }> | Checked {
    const document = validated === undefined ? documentCheck(shape.transaction) : { ok: true as const, validation: validated };
    if (!document.ok) return { ok: false, kind: 'refused', refusal: document, path: document.path };
    const badSignature = verifyTransactionSignatures(shape);
    if (badSignature !== undefined) return { ok: false, kind: 'invalid', check: badSignature };
    const id = toHex(shape.idBytes);
    return { ok: true, transaction: shape.transaction, id, reference: referenceOf(id, shape.transaction), bodyBytes: shape.bodyBytes, validation: document.validation };
  }

  private check(input: unknown, validated?: EpcisValidation<AnyEpcisDocument>): Extract<SubmitResult, { ok: false; kind: 'invalid' | 'refused' }> | Checked {
    const screened = this.screen(input);
    return screened.ok ? this.verify(screened.shape, validated) : screened;
  }

  /**
   * A client's transaction: checked, admitted and relayed. Idempotent: the same body gives the
   * same id. `validated` is the validation of its EPCIS document when the caller already ran it.
   * Under overload (admissionControl) a new transaction is refused after the cheap checks and
   * before the costly ones, so the excess costs this node little; one already pending or
   * committed still gets its status.
   */
  async submit(input: unknown, validated?: EpcisValidation<AnyEpcisDocument>): Promise<SubmitResult> {
    const submitted = await this.submitChecked(input, validated);
    if (!submitted.ok) this.options.onSubmissionRefused?.(refusalReason(submitted));
    return submitted;
  }

  private async submitChecked(input: unknown, validated: EpcisValidation<AnyEpcisDocument> | undefined): Promise<SubmitResult> {
    if (this.stopping) return { ok: false, kind: 'stopping' };
    const screened = this.screen(input);
    if (!screened.ok) return screened;
    const control = this.options.admissionControl;
    if (control !== undefined) {
      const decision = control.decide(this.options.mempool.size, this.now());
      if (!decision.admit) {
        const id = toHex(screened.shape.idBytes);
        if (!this.options.mempool.has(id) && !(await this.options.store.hasTransaction(id))) {
          return { ok: false, kind: 'overloaded', pending: decision.pending, pendingLimit: decision.pendingLimit, retryAfterS: decision.retryAfterS };
        }
      }
    }
    const check = this.verify(screened.shape, validated);
    if (!check.ok) return check;
    if (await this.options.store.hasTransaction(check.id)) return { ok: true, id: check.id, duplicate: true };
    const admitted = this.admit(check);
    if (!admitted.ok) return admitted;
    if (!admitted.duplicate) {
      this.submittedAtMs.set(check.id, this.now());
      if (this.submittedAtMs.size > SUBMISSION_TIMES_KEPT) this.submittedAtMs.delete(this.submittedAtMs.keys().next().value!);
      this.relayBatcher.add(check.transaction as unknown as JsonValue, relayBytes(check.transaction, check.bodyBytes));
    }
    return { ok: true, id: check.id, duplicate: admitted.duplicate };
  }

  /** Sends the relay batch being gathered now, rather than when it fills or its delay passes. */
  flushRelay(): void {
    this.relayBatcher.flush();
  }

  /**
   * A relay frame from a peer (node/relay-batch.ts): one transaction, or an array of them. Each
   * is checked and admitted on its own, never relayed again; a refused one is counted by reason
   * and the others go on. A frame beyond the limits is refused whole, and counted.
   */
  async receiveRelayed(payload: JsonValue): Promise<void> {
    if (this.stopping) return;
    const frame = parseRelayFrame(payload);
    if (!frame.ok) {
      this.options.onRelayRefused?.(frame.reason);
      return;
    }
    for (const [index, input] of frame.transactions.entries()) {
      if (index > 0 && index % RELAYED_CHECKS_PER_TURN === 0) {
        await new Promise((resolve) => setImmediate(resolve));
        if (this.stopping) return;
      }
      await this.receiveOne(input);
    }
  }

  private async receiveOne(input: unknown): Promise<void> {
    const check = this.check(input);
    if (!check.ok) {
      this.options.onRelayRefused?.(check.kind === 'refused' ? check.refusal.code : check.check.code);
      return;
    }
    if (await this.options.store.hasTransaction(check.id)) return;
    this.admit(check);
  }

  private admit(check: Checked): { ok: true; duplicate: boolean } | { ok: false; kind: 'full'; reason: string } {
    const admitted = this.options.mempool.admit(check.reference, check.transaction, check.bodyBytes, this.now());
    if (!admitted.ok) return { ok: false, kind: 'full', reason: admitted.reason };
    if (!admitted.duplicate) {
      // Kept only for what the mempool holds: execution, or the mempool's dropping it, forgets them
      // (LedgerApplication), so a late relay, a resubmission of a committed transaction or one
      // refused for room leaves nothing behind.
      this.options.verified.remember(check.reference);
      if (check.validation !== undefined) this.options.documents?.remember(check.id, check.validation);
      this.options.transactionsReady({ reference: check.reference, transaction: check.transaction });
    }
    return admitted;
  }

  async status(id: string): Promise<TransactionStatus> {
    // Execution writes the store, then removes the transaction from the mempool. A read that
    // misses the store while the block commits finds the mempool already without it: seen in
    // the mempool before the read, it is read again rather than called unknown.
    const pendingBefore = this.options.mempool.has(id);
    let outcome = await this.options.store.getTransactionOutcome(id);
    if (outcome === undefined && pendingBefore && !this.options.mempool.has(id)) outcome = await this.options.store.getTransactionOutcome(id);
    if (outcome !== undefined) return committedStatus(id, outcome.height, outcome.position, outcome.blockHash, outcome.result);
    return this.options.mempool.has(id) ? { id, status: 'pending' } : { id, status: 'unknown' };
  }

  /** The status once committed or rejected, or the current status when the timeout passes. */
  async waitForCommit(id: string, timeoutMs: number): Promise<TransactionStatus> {
    // A transaction the mempool holds has not executed here: execution removes it from the
    // mempool in the same synchronous turn that calls executed(), so a waiter added now is
    // woken by that call, and the store need not be read (an asynchronous LevelDB read that
    // misses, for every wait=commit submission).
    const pending = this.options.mempool.has(id);
    const current: TransactionStatus = pending ? { id, status: 'pending' } : await this.status(id);
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
  executed(block: { height: number; blockHash: string; ids: readonly string[]; results: readonly TransactionResult[] }, onLatency?: (seconds: number, submittedAtMs: number) => void): void {
    const now = this.now();
    this.options.admissionControl?.observeCommitted(block.ids.length, now);
    for (const [position, id] of block.ids.entries()) {
      const submitted = this.submittedAtMs.get(id);
      if (submitted !== undefined) {
        this.submittedAtMs.delete(id);
        onLatency?.((now - submitted) / 1000, submitted);
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
    // What was admitted reaches the peers still: the transport stops after this.
    this.relayBatcher.flush();
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
    // Taken before the store read: a block that commits it during the read empties the mempool.
    const pending = this.options.mempool.get(id);
    return (await this.options.store.getTransaction(id))?.transaction ?? pending ?? this.options.mempool.get(id);
  }

  get waiting(): number {
    return this.waiterCount;
  }

  /** The overload control's commit rate and bound on pending transactions now, when there is one. */
  admissionStatus(): { commitRatePerS: number; pendingLimit: number } | undefined {
    return this.options.admissionControl?.status(this.now());
  }
}

/** The code a refused submission is counted under (custodia_submissions_refused_total): the API's code, node/http/json-body.ts. */
function refusalReason(submitted: Extract<SubmitResult, { ok: false }>): string {
  switch (submitted.kind) {
    case 'invalid':
      return submitted.check.code;
    case 'refused':
      return submitted.refusal.code;
    case 'full':
      return submitted.reason === 'submitter-quota' ? 'submitter-quota' : 'mempool-full';
    case 'overloaded':
      return 'overloaded';
    case 'stopping':
      return 'stopping';
  }
}
