/**
 * The participant gateway's durable outbox (issue 14, "The participant gateway"; docs/epcis.md,
 * "Participant gateway"): every capture the gateway accepted, as the signed `epcis.capture`
 * transaction it made for it (docs/encoding.md section 15), and where it stands:
 *
 *   queued     accepted here, durable, not yet taken by a validator
 *   submitted  a validator admitted it to its mempool (it may still be lost there, and sent again)
 *   committed  in a block, proven by a transaction proof checked against the genesis keys
 *   rejected   the consortium's rules rejected it in a block (proven likewise), or a validator
 *              refused to admit it (not provable: nothing was recorded)
 *
 * A LevelDB (classic-level) in the gateway's data folder, every write `sync: true` (fsynced before
 * the promise resolves), so an entry `accept` returned survives kill -9 and a power cut. Entries
 * are numbered in acceptance order and forwarded in that order. The transaction id is fixed at
 * acceptance: a restarted gateway resubmits the same bytes, and the ledger records them once.
 *
 * Bounded: at most `entriesMax` unsettled entries and `bytesMax` bytes of their transactions
 * (a capture beyond is refused, never an accepted one dropped); settled entries keep a small
 * record for status (their transaction is deleted), the oldest forgotten past `settledKeptMax`.
 */
import { EventEmitter } from 'node:events';
import { ClassicLevel } from 'classic-level';
import { z } from 'zod';
import type { Transaction } from '../../ledger/model/transaction.js';
import { transactionResultSchema } from '../../ledger/model/result.js';

export const OUTBOX_STATES = ['queued', 'submitted', 'committed', 'rejected'] as const;
export type OutboxState = (typeof OUTBOX_STATES)[number];

export interface OutboxLimits {
  /** Unsettled entries (queued or submitted) held at once. */
  entriesMax: number;
  /** Bytes of the unsettled entries' transactions (their JSON) held at once. */
  bytesMax: number;
  /** Settled entries whose status is still kept; the oldest are forgotten first. */
  settledKeptMax: number;
}

export const DEFAULT_OUTBOX_LIMITS: OutboxLimits = { entriesMax: 10_000, bytesMax: 256 * 1024 * 1024, settledKeptMax: 100_000 };

/** A refused event of a `proceed` capture, as the validator's capture job listed it. */
const refusedEventSchema = z.strictObject({ code: z.string().max(64), message: z.string().max(1024), eventIndex: z.number().int().min(0).optional(), eventID: z.string().max(1024).optional() });
export type RefusedEvent = z.infer<typeof refusedEventSchema>;

const recordSchema = z.strictObject({
  seq: z.number().int().min(1),
  id: z.string().regex(/^[0-9a-f]{64}$/),
  acceptedAt: z.string(),
  behaviour: z.enum(['rollback', 'proceed']),
  state: z.enum(OUTBOX_STATES),
  /** Bytes of the transaction's JSON, counted against bytesMax while unsettled. */
  bytes: z.number().int().min(0),
  /** Submissions sent (each to one validator). */
  attempts: z.number().int().min(0),
  /** The validator that last admitted it. */
  submittedTo: z.string().optional(),
  lastError: z.string().max(1024).optional(),
  height: z.number().int().min(1).optional(),
  blockHash: z.string().optional(),
  /** The ledger's result (committed or rejected in a block), or a validator's refusal at admission. */
  result: transactionResultSchema.optional(),
  /** True when the result came with a transaction proof that verified against the genesis keys. */
  proven: z.boolean().optional(),
  /** For proceed: the events the rules refused while the rest were recorded. */
  refused: z.array(refusedEventSchema).max(1000).optional(),
  settledAt: z.string().optional(),
});
export type OutboxRecord = z.infer<typeof recordSchema>;

/** What the forwarder may change on an entry. */
export type OutboxUpdate = Partial<Omit<OutboxRecord, 'seq' | 'id' | 'acceptedAt' | 'behaviour' | 'bytes'>>;

export type Acceptance = { ok: true; record: OutboxRecord; duplicate: boolean } | { ok: false; reason: 'entries-full' | 'bytes-full'; message: string };

const SEQ_DIGITS = 16;
const seqKey = (seq: number) => String(seq).padStart(SEQ_DIGITS, '0');
const KEY = {
  record: (seq: number) => `record/${seqKey(seq)}`,
  transaction: (seq: number) => `tx/${seqKey(seq)}`,
  id: (id: string) => `id/${id}`,
};
const SYNC = { sync: true } as const;

export function isSettled(state: OutboxState): boolean {
  return state === 'committed' || state === 'rejected';
}

export class Outbox {
  private readonly records = new Map<number, OutboxRecord>();
  private readonly seqById = new Map<string, number>();
  /** Unsettled entries' numbers, in acceptance order. */
  private readonly unsettled: number[] = [];
  private heldBytes = 0;
  private nextSeq = 1;
  /** Writes one at a time, so acceptance order is sequence order and no two writers race on an entry. */
  private writing: Promise<unknown> = Promise.resolve();
  private readonly changes = new EventEmitter();

  private constructor(
    private readonly db: ClassicLevel<string, string>,
    readonly limits: OutboxLimits,
  ) {
    this.changes.setMaxListeners(0);
  }

  /** Opens (or creates) the outbox in `directory` and reads every record back. */
  static async open(directory: string, limits: OutboxLimits = DEFAULT_OUTBOX_LIMITS): Promise<Outbox> {
    const db = new ClassicLevel<string, string>(directory, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
    await db.open();
    const outbox = new Outbox(db, limits);
    for await (const [key, value] of db.iterator({ gte: 'record/', lt: 'record0' })) {
      const parsed = recordSchema.safeParse(JSON.parse(value));
      // The outbox is the gateway's own store: a record that does not parse is damage, not input.
      if (!parsed.success) throw new Error(`the gateway outbox ${directory} holds a damaged record at ${key}`);
      outbox.remember(parsed.data);
      outbox.nextSeq = parsed.data.seq + 1;
    }
    return outbox;
  }

  private remember(record: OutboxRecord): void {
    this.records.set(record.seq, record);
    this.seqById.set(record.id, record.seq);
    if (!isSettled(record.state)) {
      this.unsettled.push(record.seq);
      this.heldBytes += record.bytes;
    }
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.writing.then(work, work);
    this.writing = run.catch(() => undefined);
    return run;
  }

  /**
   * Durably records a signed capture (fsynced when this resolves). A transaction already held
   * is the same capture: its entry is returned and nothing is written.
   */
  accept(transaction: Transaction, id: string, behaviour: OutboxRecord['behaviour']): Promise<Acceptance> {
    return this.serially(async () => {
      const existing = this.byId(id);
      if (existing !== undefined) return { ok: true, record: existing, duplicate: true };
      const text = JSON.stringify(transaction);
      const bytes = Buffer.byteLength(text);
      if (this.unsettled.length >= this.limits.entriesMax) {
        return { ok: false, reason: 'entries-full', message: `the gateway holds ${this.unsettled.length} captures not yet committed, its limit; retry once validators take them` };
      }
      if (this.heldBytes + bytes > this.limits.bytesMax) {
        return { ok: false, reason: 'bytes-full', message: `the gateway holds ${this.heldBytes} bytes of captures not yet committed; this one would pass its limit of ${this.limits.bytesMax}` };
      }
      const record: OutboxRecord = { seq: this.nextSeq, id, acceptedAt: new Date().toISOString(), behaviour, state: 'queued', bytes, attempts: 0 };
      await this.db.batch(
        [
          { type: 'put', key: KEY.transaction(record.seq), value: text },
          { type: 'put', key: KEY.record(record.seq), value: JSON.stringify(record) },
          { type: 'put', key: KEY.id(id), value: String(record.seq) },
        ],
        SYNC,
      );
      this.nextSeq += 1;
      this.remember(record);
      this.changes.emit('change', record);
      return { ok: true, record, duplicate: false };
    });
  }

  /** Changes an entry; settling it deletes its transaction and frees its place in the bounds. */
  update(seq: number, update: OutboxUpdate): Promise<OutboxRecord> {
    return this.serially(async () => {
      const current = this.records.get(seq);
      if (current === undefined) throw new Error(`no outbox entry ${seq}`);
      const next: OutboxRecord = { ...current, ...update };
      const settling = !isSettled(current.state) && isSettled(next.state);
      if (isSettled(current.state) && !isSettled(next.state)) throw new Error(`outbox entry ${seq} is settled; it cannot become ${next.state}`);
      const operations: Array<{ type: 'put'; key: string; value: string } | { type: 'del'; key: string }> = [{ type: 'put', key: KEY.record(seq), value: JSON.stringify(next) }];
      if (settling) operations.push({ type: 'del', key: KEY.transaction(seq) });
      const forgotten = settling ? this.oldestSettledBeyondLimit() : [];
      for (const old of forgotten) operations.push({ type: 'del', key: KEY.record(old.seq) }, { type: 'del', key: KEY.id(old.id) });
      await this.db.batch(operations, SYNC);
      this.records.set(seq, next);
      if (settling) {
        this.unsettled.splice(this.unsettled.indexOf(seq), 1);
        this.heldBytes -= current.bytes;
        for (const old of forgotten) {
          this.records.delete(old.seq);
          this.seqById.delete(old.id);
        }
      }
      this.changes.emit('change', next);
      return next;
    });
  }

  /** Settled records past settledKeptMax (one more is about to settle), oldest first. */
  private oldestSettledBeyondLimit(): OutboxRecord[] {
    const settledCount = this.records.size - this.unsettled.length + 1;
    const excess = settledCount - this.limits.settledKeptMax;
    if (excess <= 0) return [];
    const forgotten: OutboxRecord[] = [];
    // Map iteration is insertion order, which is sequence order.
    for (const record of this.records.values()) {
      if (forgotten.length >= excess) break;
      if (isSettled(record.state)) forgotten.push(record);
    }
    return forgotten;
  }

  byId(id: string): OutboxRecord | undefined {
    const seq = this.seqById.get(id);
    return seq === undefined ? undefined : this.records.get(seq);
  }

  /** The unsettled entries in acceptance order (the first `limit`). */
  pending(limit = Number.POSITIVE_INFINITY): OutboxRecord[] {
    return this.unsettled.slice(0, limit).map((seq) => this.records.get(seq)!);
  }

  /** The signed transaction of an unsettled entry. */
  async transaction(seq: number): Promise<Transaction> {
    const text = await this.db.get(KEY.transaction(seq));
    if (text === undefined) throw new Error(`the outbox has no transaction for entry ${seq}`);
    return JSON.parse(text) as Transaction;
  }

  counts(): Record<OutboxState, number> & { heldBytes: number } {
    const counts = { queued: 0, submitted: 0, committed: 0, rejected: 0, heldBytes: this.heldBytes };
    for (const record of this.records.values()) counts[record.state] += 1;
    return counts;
  }

  /** Calls `listener` with each entry written; returns the function that stops it. */
  onChange(listener: (record: OutboxRecord) => void): () => void {
    this.changes.on('change', listener);
    return () => this.changes.off('change', listener);
  }

  /** The entry once it is settled, or as it is when `timeoutMs` has passed. */
  async waitSettled(id: string, timeoutMs: number): Promise<OutboxRecord | undefined> {
    const now = this.byId(id);
    if (now === undefined || isSettled(now.state) || timeoutMs <= 0) return now;
    return new Promise((resolve) => {
      const stop = this.onChange((record) => {
        if (record.id === id && isSettled(record.state)) finish();
      });
      const timer = setTimeout(finish, timeoutMs);
      function finish() {
        clearTimeout(timer);
        stop();
        resolve(undefined);
      }
    }).then(() => this.byId(id));
  }

  async close(): Promise<void> {
    await this.writing;
    await this.db.close();
  }
}
