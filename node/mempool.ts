/**
 * The mempool: transactions that passed the stateless checks and wait to be proposed. Bounded by
 * count and bytes, with a per-submitter quota so one participant cannot crowd out the others;
 * deduplicated by id; first in, first proposed. When full it refuses (the API answers 503 with
 * Retry-After) rather than grow.
 */
import type { Transaction } from '../ledger/model/transaction.js';
import type { TransactionReference } from './payload.js';

export interface MempoolLimits {
  transactionsMax: number;
  bytesMax: number;
  /** Transactions one submitter (the first signer) may have waiting. */
  perSubmitterMax: number;
}

export const DEFAULT_MEMPOOL_LIMITS: MempoolLimits = { transactionsMax: 50_000, bytesMax: 256 * 1024 * 1024, perSubmitterMax: 10_000 };

export interface MempoolEntry {
  id: string;
  reference: TransactionReference;
  transaction: Transaction;
  bytes: number;
  submitter: string;
  receivedAtMs: number;
}

export type AdmitResult = { ok: true; duplicate: boolean } | { ok: false; reason: 'full' | 'submitter-quota' };

export class Mempool {
  private readonly entries = new Map<string, MempoolEntry>();
  private readonly perSubmitter = new Map<string, number>();
  private bytes = 0;

  constructor(private readonly limits: MempoolLimits = DEFAULT_MEMPOOL_LIMITS) {}

  get size(): number {
    return this.entries.size;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  get(id: string): Transaction | undefined {
    return this.entries.get(id)?.transaction;
  }

  /** The waiting transaction with this id and these signatures (a block's reference), if any. */
  getByReference(reference: TransactionReference): Transaction | undefined {
    const entry = this.entries.get(reference.id);
    return entry !== undefined && entry.reference.key === reference.key ? entry.transaction : undefined;
  }

  admit(reference: TransactionReference, transaction: Transaction, bytes: number, nowMs: number): AdmitResult {
    const id = reference.id;
    if (this.entries.has(id)) return { ok: true, duplicate: true };
    if (this.entries.size >= this.limits.transactionsMax || this.bytes + bytes > this.limits.bytesMax) return { ok: false, reason: 'full' };
    const submitter = transaction.body.signers[0]!;
    const waiting = this.perSubmitter.get(submitter) ?? 0;
    if (waiting >= this.limits.perSubmitterMax) return { ok: false, reason: 'submitter-quota' };
    this.entries.set(id, { id, reference, transaction, bytes, submitter, receivedAtMs: nowMs });
    this.perSubmitter.set(submitter, waiting + 1);
    this.bytes += bytes;
    return { ok: true, duplicate: false };
  }

  remove(id: string): void {
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    this.entries.delete(id);
    this.bytes -= entry.bytes;
    const waiting = (this.perSubmitter.get(entry.submitter) ?? 1) - 1;
    if (waiting === 0) this.perSubmitter.delete(entry.submitter);
    else this.perSubmitter.set(entry.submitter, waiting);
  }

  /** The oldest transactions not in `exclude`, up to the given count and bytes. */
  /** Whether some entry's id is in none of `excluded`. */
  hasEntryOutside(excluded: ReadonlyArray<ReadonlySet<string>>): boolean {
    for (const entry of this.entries.values()) if (!excluded.some((ids) => ids.has(entry.id))) return true;
    return false;
  }

  select(countMax: number, bytesMax: number, exclude: ReadonlySet<string>): MempoolEntry[] {
    const selected: MempoolEntry[] = [];
    let bytes = 0;
    for (const entry of this.entries.values()) {
      if (selected.length >= countMax) break;
      if (exclude.has(entry.id)) continue;
      if (bytes + entry.bytes > bytesMax) break;
      selected.push(entry);
      bytes += entry.bytes;
    }
    return selected;
  }
}
