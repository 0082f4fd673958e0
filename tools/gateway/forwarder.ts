/**
 * Forwards the participant gateway's outbox (outbox.ts) to the validators, in acceptance order,
 * and settles each entry only on evidence (docs/epcis.md, "Participant gateway"):
 *
 * 1. Submit: the unsettled entries not yet held by the validator in use go to it in order, in
 *    batches (POST /v1/transactions with an array; the validator admits each in order). Admitted
 *    (its status, whatever it says) is `submitted`; refused for load (503) ends the round and
 *    waits the Retry-After before the next batch; refused for what it is (4xx: a bad signature,
 *    an unknown participant, an invalid document) settles the entry `rejected`, marked unproven.
 *    A resubmission is the same transaction, so the same id: a validator answers it with its
 *    status and the ledger records it once.
 * 2. Confirm: the oldest submitted entries' statuses (the first with wait=commit). One the
 *    validator no longer knows (lost with its mempool) is queued again. One it calls committed or
 *    rejected is settled only when its transaction proof (GET /v1/proofs/transactions/{id})
 *    verifies against the genesis keys (ledger/verify/proof.ts): the result and height are then
 *    the quorum's, not the validator's word. A proof that does not verify, an answer that is not
 *    what the API answers, a timeout or a 5xx put that validator in backoff, and the next is used.
 *
 * Bounded: batches by count and bytes, at most `inFlightMax` entries handled per round, one
 * request at a time, each with the link's timeout; waits are capped.
 */
import { z } from 'zod';
import { transactionResultSchema, type TransactionResult } from '../../ledger/model/result.js';
import type { ValidatorSet } from '../../ledger/model/validator-set.js';
import { verifyTransactionProof } from '../../ledger/verify/proof.js';
import { transactionId, type Transaction } from '../../ledger/model/transaction.js';
import { isSettled, type Outbox, type OutboxRecord, type RefusedEvent } from './outbox.js';
import { ValidatorFailure, type ValidatorHealth, type ValidatorLink } from './validator-link.js';

export interface ForwarderOptions {
  chainId: string;
  /** The genesis validator set: the one thing a commit is checked against. */
  validators: ValidatorSet;
  /** Transactions in one submission request. */
  batchTransactionsMax: number;
  /** Bytes of one submission request (below a validator's api.bodyBytesMax, 1 MiB by default). */
  batchBytesMax: number;
  /** Unsettled entries looked at per round. */
  inFlightMax: number;
  /** Submitted entries whose status is asked in one round. */
  confirmsPerRoundMax: number;
  /** How long the oldest submitted entry's status request waits for its commit. */
  commitWaitMs: number;
  /** Pause before asking again for a proof no checkpoint covers yet, or a status still pending. */
  pollMs: number;
  /** Longest wait a validator's Retry-After is followed for. */
  retryAfterMaxMs: number;
  warn: (fields: Record<string, unknown>, message: string) => void;
}

export const DEFAULT_FORWARDER_OPTIONS = { batchTransactionsMax: 100, batchBytesMax: 768 * 1024, inFlightMax: 1000, confirmsPerRoundMax: 32, commitWaitMs: 2000, pollMs: 200, retryAfterMaxMs: 30_000 } as const;

const statusSchema = z.union([
  z.object({ id: z.string(), status: z.literal('pending') }),
  z.object({ id: z.string(), status: z.enum(['committed', 'rejected']), height: z.number().int().min(1), blockHash: z.string().regex(/^[0-9a-f]{64}$/), result: transactionResultSchema }),
]);
const refusalSchema = z.object({ status: z.literal('refused'), httpStatus: z.number().int(), code: z.string(), message: z.string(), path: z.string() });
const outcomeSchema = z.union([statusSchema, refusalSchema]);
const problemSchema = z.object({ code: z.string().optional(), detail: z.string().optional(), message: z.string().optional() });
const jobSchema = z.object({ errors: z.array(z.object({ code: z.string(), detail: z.string(), eventIndex: z.number().int().min(0).optional(), eventID: z.string().optional() })).max(1000) });

/** Refusal codes that are the validator's load, not the transaction's fault: wait and send again. */
const LOAD_STATUSES = new Set([429, 503]);

function truncated(text: string, length = 1024): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

/** A kebab-case reason code as the ledger's results carry it; anything else from a validator becomes `refused`. */
function reasonCodeOf(code: string): string {
  return /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/.test(code) && code.length <= 64 ? code : 'refused';
}

export class Forwarder {
  private stopped = false;
  private readonly abort = new AbortController();
  private wakeUp: (() => void) | undefined;
  private woken = false;
  private running: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;
  /** Halved when a validator's body limit refuses a batch. */
  private batchTransactionsMax: number;

  constructor(
    private readonly outbox: Outbox,
    private readonly link: ValidatorLink,
    private readonly options: ForwarderOptions,
  ) {
    this.batchTransactionsMax = options.batchTransactionsMax;
  }

  start(): void {
    this.unsubscribe = this.outbox.onChange((record) => {
      if (record.state === 'queued') this.wake();
    });
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.abort.abort();
    this.wake();
    await this.running;
  }

  /** Something changed (a new capture, a stop): go round again now. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  private async pause(ms: number): Promise<void> {
    if (this.woken || this.stopped) {
      this.woken = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      this.wakeUp = done;
      function done() {
        clearTimeout(timer);
        self.wakeUp = undefined;
        resolve();
      }
    });
    this.woken = false;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const pending = this.outbox.pending(this.options.inFlightMax);
      if (pending.length === 0) {
        await this.pause(60_000);
        continue;
      }
      const validator = this.link.choose();
      if (validator === undefined) {
        await this.pause(Math.max(10, this.link.retryInMs()));
        continue;
      }
      try {
        const waitMs = await this.round(validator, pending);
        this.link.succeeded(validator);
        if (waitMs > 0) await this.pause(waitMs);
      } catch (error) {
        if (this.stopped) return;
        if (error instanceof ValidatorFailure) {
          this.link.failed(validator, error.message);
          continue;
        }
        this.options.warn({ error }, 'the gateway forwarder failed; it goes on after a pause');
        await this.pause(this.options.pollMs * 5);
      }
    }
  }

  /** One round with one validator; how long to wait before the next (0: go on at once). */
  private async round(validator: ValidatorHealth, pending: OutboxRecord[]): Promise<number> {
    const submitWait = await this.submit(validator, pending.filter((record) => record.state === 'queued' || record.submittedTo !== validator.url));
    if (this.stopped) return 0;
    const fresh = this.outbox.pending(this.options.inFlightMax).filter((record) => record.state === 'submitted' && record.submittedTo === validator.url);
    const confirmWait = fresh.length === 0 ? 0 : await this.confirm(validator, fresh);
    return Math.max(submitWait, confirmWait);
  }

  /** Sends the entries in order; a positive wait when the validator asked to come back later. */
  private async submit(validator: ValidatorHealth, entries: OutboxRecord[]): Promise<number> {
    let index = 0;
    while (index < entries.length && !this.stopped) {
      const batch: OutboxRecord[] = [];
      const bodies: string[] = [];
      let bytes = 2;
      while (index + batch.length < entries.length && batch.length < this.batchTransactionsMax) {
        const record = entries[index + batch.length]!;
        if (batch.length > 0 && bytes + record.bytes + 1 > this.options.batchBytesMax) break;
        const transaction = await this.storedTransaction(record);
        if (transaction === undefined) {
          entries.splice(index + batch.length, 1);
          continue;
        }
        bodies.push(JSON.stringify(transaction));
        batch.push(record);
        bytes += record.bytes + 1;
      }
      if (batch.length === 0) continue;
      const answer = await this.link.request(validator, 'POST', '/v1/transactions', { body: `[${bodies.join(',')}]`, signal: this.abort.signal });
      if (LOAD_STATUSES.has(answer.status)) return this.retryAfter(answer.headers);
      if (answer.status === 413 && batch.length > 1) {
        // The validator's body limit is below ours: send these one at a time.
        this.batchTransactionsMax = Math.max(1, Math.floor(batch.length / 2));
        continue;
      }
      const outcomes = z.array(outcomeSchema).length(batch.length).safeParse(answer.json);
      if (answer.status !== 200 || !outcomes.success) throw new ValidatorFailure(validator.url, `not an answer to a batch of ${batch.length} (HTTP ${answer.status}): ${truncated(answer.text, 200)}`);
      let overloaded: number | undefined;
      for (const [position, outcome] of outcomes.data.entries()) {
        const record = batch[position]!;
        if (outcome.status !== 'refused') {
          if (outcome.id !== record.id) throw new ValidatorFailure(validator.url, `answered transaction ${record.id} with the status of ${truncated(outcome.id, 80)}`);
          await this.outbox.update(record.seq, { state: 'submitted', submittedTo: validator.url, attempts: record.attempts + 1 });
        } else if (LOAD_STATUSES.has(outcome.httpStatus)) {
          // Sent again after the Retry-After, and no later batch goes before it (the validator
          // judged each of this batch on its own: whatever it admitted is recorded as admitted).
          overloaded ??= this.retryAfter(answer.headers);
          await this.outbox.update(record.seq, { attempts: record.attempts + 1, lastError: truncated(`${validator.url}: ${outcome.code}: ${outcome.message}`) });
        } else {
          const result: TransactionResult = { status: 'rejected', code: reasonCodeOf(outcome.code), message: truncated(outcome.message) };
          this.options.warn({ id: record.id, validator: validator.url, code: outcome.code }, 'a validator refused a capture at admission');
          await this.outbox.update(record.seq, { state: 'rejected', result, proven: false, attempts: record.attempts + 1, lastError: truncated(`${validator.url} refused it: ${outcome.code}`), settledAt: new Date().toISOString() });
        }
      }
      if (overloaded !== undefined) return overloaded;
      index += batch.length;
    }
    return 0;
  }

  /**
   * The entry's transaction as the outbox holds it, if it still has the id it was accepted under;
   * otherwise the disk changed under the gateway: the entry is settled rejected, never sent.
   */
  private async storedTransaction(record: OutboxRecord): Promise<Transaction | undefined> {
    let transaction: Transaction | undefined;
    try {
      transaction = await this.outbox.transaction(record.seq);
      if (transactionId(transaction.body) !== record.id) transaction = undefined;
    } catch {
      transaction = undefined;
    }
    if (transaction !== undefined) return transaction;
    this.options.warn({ id: record.id, seq: record.seq }, 'the outbox holds no intact transaction for this capture; it is settled rejected');
    await this.outbox.update(record.seq, { state: 'rejected', result: { status: 'rejected', code: 'outbox-damaged', message: 'the gateway outbox no longer holds this capture intact' }, proven: false, settledAt: new Date().toISOString() });
    return undefined;
  }

  private retryAfter(headers: Headers): number {
    const seconds = Number(headers.get('retry-after') ?? 1);
    return Math.min(this.options.retryAfterMaxMs, Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000);
  }

  /**
   * Settles what it can of the oldest submitted entries (at most confirmsPerRoundMax), the first
   * asked with wait=commit; one still pending does not hold back those after it. A positive wait
   * when some remain unsettled.
   */
  private async confirm(validator: ValidatorHealth, submitted: OutboxRecord[]): Promise<number> {
    let unsettled = false;
    for (const [position, record] of submitted.slice(0, this.options.confirmsPerRoundMax).entries()) {
      if (this.stopped) return 0;
      const wait = position === 0 ? `?wait=commit&timeoutMs=${this.options.commitWaitMs}` : '';
      const answer = await this.link.request(validator, 'GET', `/v1/transactions/${record.id}${wait}`, { signal: this.abort.signal });
      if (answer.status === 404) {
        // Lost with the validator's mempool (a restart): send it again, in its place.
        await this.outbox.update(record.seq, { state: 'queued', submittedTo: undefined, lastError: `${validator.url} no longer knew it; sending again` });
        return 0;
      }
      const status = statusSchema.safeParse(answer.json);
      if (answer.status !== 200 || !status.success || status.data.id !== record.id) throw new ValidatorFailure(validator.url, `not a status of ${record.id} (HTTP ${answer.status}): ${truncated(answer.text, 200)}`);
      if (status.data.status === 'pending') {
        unsettled = true;
        continue;
      }
      // No checkpoint covers this one yet, nor (checkpoints only grow) those committed after it.
      if (!(await this.settleWithProof(validator, record, status.data.blockHash))) return this.options.pollMs;
    }
    return unsettled ? this.options.pollMs : 0;
  }

  /** Settles a claimed commit once its proof verifies; false when no checkpoint covers it yet. */
  private async settleWithProof(validator: ValidatorHealth, record: OutboxRecord, claimedBlockHash: string): Promise<boolean> {
    const answer = await this.link.request(validator, 'GET', `/v1/proofs/transactions/${record.id}`, { signed: true, signal: this.abort.signal });
    if (answer.status === 409 && problemSchema.safeParse(answer.json).data?.code === 'not-yet-checkpointed') return false;
    if (answer.status !== 200) throw new ValidatorFailure(validator.url, `claimed ${record.id} committed but served no proof of it (HTTP ${answer.status}): ${truncated(answer.text, 200)}`);
    const verdict = verifyTransactionProof(answer.json, this.options.chainId, this.options.validators);
    if (!verdict.ok || verdict.txId !== record.id) {
      const reason = verdict.ok ? `a proof of ${verdict.txId}` : `${verdict.step}: ${verdict.message}`;
      this.options.warn({ id: record.id, validator: validator.url, reason }, 'a validator served a transaction proof that does not verify against the genesis keys');
      throw new ValidatorFailure(validator.url, `a proof of ${record.id} that does not verify (${truncated(reason, 300)})`);
    }
    const refused = verdict.result.status === 'accepted' && record.behaviour === 'proceed' ? await this.refusedEvents(validator, record.id) : undefined;
    const current = this.outbox.byId(record.id);
    if (current === undefined || isSettled(current.state)) return true;
    await this.outbox.update(record.seq, {
      state: verdict.result.status === 'accepted' ? 'committed' : 'rejected',
      result: verdict.result,
      proven: true,
      height: verdict.height,
      // The proof certifies a later checkpoint, not this block's header: the hash is the validator's word.
      blockHash: claimedBlockHash,
      lastError: undefined,
      settledAt: new Date().toISOString(),
      ...(refused === undefined ? {} : { refused }),
    });
    return true;
  }

  /** The events a committed `proceed` capture left out, from the validator's capture job (its word: the outcome is state, not the proof). */
  private async refusedEvents(validator: ValidatorHealth, id: string): Promise<RefusedEvent[] | undefined> {
    const answer = await this.link.request(validator, 'GET', `/epcis/capture/${id}`, { signal: this.abort.signal });
    const job = jobSchema.safeParse(answer.json);
    if (answer.status !== 200 || !job.success) return undefined;
    return job.data.errors.map((error) => ({
      code: reasonCodeOf(error.code),
      message: truncated(error.detail),
      ...(error.eventIndex === undefined ? {} : { eventIndex: error.eventIndex }),
      ...(error.eventID === undefined ? {} : { eventID: truncated(error.eventID) }),
    }));
  }
}
