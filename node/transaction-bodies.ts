/**
 * Transaction bodies for blocks known by their references (node/payload.ts, docs/consensus.md
 * "Payloads"): a proposal names transactions that were relayed to every validator at admission,
 * and a validator that lacks some asks peers for them, the proposer first. Also what a peer's
 * request is answered from, and the bounded pool of bodies fetched for blocks not yet executed.
 *
 * Wire form, on two transport channels:
 *   tx.want   {blockHash, height, references: [128 hex digits: id || signatures digest]}
 *   tx.bodies {blockHash, transactions: [transaction]}
 * An answer is accepted only for references this node is waiting for, and each transaction in
 * it is checked like a relayed one (shape, id, signatures) before it is held, so a peer can
 * neither plant transactions nor swap signatures; a want that goes unanswered moves to the next
 * peer after wantRetryMs. A Byzantine leader that proposes references no one holds gets no
 * votes: no honest validator votes before it holds every body.
 */
import type { JsonValue } from '../ledger/encoding/canonical-json.js';
import { toHex } from '../ledger/encoding/hex.js';
import { checkTransactionShape, verifyTransactionSignatures, type Transaction } from '../ledger/model/transaction.js';
import { LEDGER_LIMITS } from '../ledger/limits.js';
import { documentCheck } from '../contracts/admission.js';
import type { AnyEpcisDocument, EpcisValidation } from '../contracts/epcis/index.js';
import type { TakeOnceMemo } from './memo.js';
import { referenceOf, type TransactionReference, type VerifiedTransactions } from './payload.js';

export const TRANSACTION_WANT_CHANNEL = 'tx.want';
export const TRANSACTION_BODIES_CHANNEL = 'tx.bodies';

export interface TransactionBodyLimits {
  /** Blocks whose missing transactions are sought at once; beyond it the oldest want is given up. */
  wantedBlocksMax: number;
  /** References in one want: a block's worth. */
  referencesPerWantMax: number;
  /** Fetched bodies held for blocks not executed yet; beyond it the oldest are forgotten. */
  fetchedTransactionsMax: number;
  fetchedBytesMax: number;
  /** Serialized bytes of transactions in one answer; the rest is asked for again. */
  answerBytesMax: number;
  /** A want unanswered this long is sent to the next peer. */
  wantRetryMs: number;
}

export const DEFAULT_TRANSACTION_BODY_LIMITS: TransactionBodyLimits = {
  wantedBlocksMax: 64,
  referencesPerWantMax: LEDGER_LIMITS.blockTransactionsMax,
  fetchedTransactionsMax: 50_000,
  fetchedBytesMax: 128 * 1024 * 1024,
  answerBytesMax: 12 * 1024 * 1024,
  wantRetryMs: 500,
};

export type BodyRefusal = 'malformed-want' | 'malformed-answer' | 'unsolicited' | 'invalid-transaction' | 'unwanted-transaction';

export interface TransactionBodiesOptions {
  chainId: string;
  send: (to: string, channel: string, payload: JsonValue) => void;
  /** The peers to ask, in the order to try them after the preferred one. */
  peers: () => string[];
  verified: VerifiedTransactions;
  documents?: TakeOnceMemo<EpcisValidation<AnyEpcisDocument>>;
  /** Bodies this node holds for a block's references (mempool, decoded blocks, the ledger), for answering peers. */
  find: (blockHash: string, height: number, references: readonly TransactionReference[]) => Promise<Transaction[]>;
  /** Every reference a block was waiting for is now held. */
  onComplete: (blockHash: string) => void;
  onRefused?: (reason: BodyRefusal) => void;
  limits?: Partial<TransactionBodyLimits>;
}

interface Wanted {
  blockHash: string;
  height: number;
  missing: Map<string, TransactionReference>;
  /** Asked first in each turn (the proposer). */
  preferred: string | undefined;
  /**
   * Peers asked in the current turn. The turn runs over the peers connected at each retry, not
   * those connected when the want began: a validator that restarts has few connections at
   * first, and the honest voters that hold the bodies may connect only later.
   */
  asked: Set<string>;
  attempt: number;
  sentAtMs: number;
}

interface Fetched {
  id: string;
  transaction: Transaction;
  bytes: number;
}

const HASH_PATTERN = /^[0-9a-f]{64}$/;
const REFERENCE_PATTERN = /^[0-9a-f]{128}$/;

export class TransactionBodies {
  private readonly limits: TransactionBodyLimits;
  private readonly wanted = new Map<string, Wanted>();
  /** Reference key to the blocks waiting for it. */
  private readonly waitingFor = new Map<string, Set<string>>();
  private readonly fetched = new Map<string, Fetched>();
  private fetchedBytes = 0;
  /** Peers whose want is being answered: one at a time each, so a peer cannot pile up reads. */
  private readonly serving = new Set<string>();

  constructor(private readonly options: TransactionBodiesOptions) {
    this.limits = { ...DEFAULT_TRANSACTION_BODY_LIMITS, ...options.limits };
  }

  /** A fetched body for this reference, if held. */
  get(reference: TransactionReference): Transaction | undefined {
    return this.fetched.get(reference.key)?.transaction;
  }

  isWanted(blockHash: string): boolean {
    return this.wanted.has(blockHash);
  }

  get wantedBlocks(): number {
    return this.wanted.size;
  }

  get fetchedCount(): number {
    return this.fetched.size;
  }

  /**
   * Asks for a block's missing transactions: `preferred` (its proposer) first, then the other
   * peers in turn. Asking again for a block already wanted only adds references.
   */
  want(blockHash: string, height: number, missing: readonly TransactionReference[], preferred: string | undefined, nowMs: number): void {
    let entry = this.wanted.get(blockHash);
    if (entry === undefined) {
      while (this.wanted.size >= this.limits.wantedBlocksMax) this.giveUp(this.wanted.keys().next().value!);
      entry = { blockHash, height, missing: new Map(), preferred, asked: new Set(), attempt: 0, sentAtMs: nowMs };
      this.wanted.set(blockHash, entry);
    }
    for (const reference of missing) {
      if (entry.missing.has(reference.key)) continue;
      entry.missing.set(reference.key, reference);
      let blocks = this.waitingFor.get(reference.key);
      if (blocks === undefined) this.waitingFor.set(reference.key, (blocks = new Set()));
      blocks.add(blockHash);
    }
    if (entry.missing.size === 0) {
      this.giveUp(blockHash);
      return;
    }
    if (entry.attempt === 0) this.ask(entry, nowMs);
  }

  /** A body arrived by another way (the mempool admitted it): blocks waiting for it may be complete. */
  offer(reference: TransactionReference): void {
    const blocks = this.waitingFor.get(reference.key);
    if (blocks === undefined) return;
    this.waitingFor.delete(reference.key);
    for (const blockHash of blocks) {
      const entry = this.wanted.get(blockHash);
      if (entry === undefined) continue;
      entry.missing.delete(reference.key);
      if (entry.missing.size === 0) {
        this.wanted.delete(blockHash);
        this.options.onComplete(blockHash);
      }
    }
  }

  /** Re-sends wants that went unanswered to the next peer. */
  tick(nowMs: number): void {
    for (const entry of this.wanted.values()) {
      if (nowMs - entry.sentAtMs >= this.limits.wantRetryMs) this.ask(entry, nowMs);
    }
  }

  /** Stops seeking a block (it was abandoned, or executed from elsewhere). */
  giveUp(blockHash: string): void {
    const entry = this.wanted.get(blockHash);
    if (entry === undefined) return;
    this.wanted.delete(blockHash);
    for (const key of entry.missing.keys()) {
      const blocks = this.waitingFor.get(key);
      blocks?.delete(blockHash);
      if (blocks?.size === 0) this.waitingFor.delete(key);
    }
  }

  /** Wants for blocks at or below an executed height are moot: that height is decided. */
  settledThrough(height: number): void {
    for (const entry of [...this.wanted.values()]) if (entry.height <= height) this.giveUp(entry.blockHash);
  }

  /** Executed transactions need no fetched body any more. */
  release(references: readonly TransactionReference[]): void {
    for (const reference of references) {
      const held = this.fetched.get(reference.key);
      if (held === undefined) continue;
      this.fetched.delete(reference.key);
      this.fetchedBytes -= held.bytes;
    }
  }

  /** Bodies a node restored from its own disk (the consensus store keeps them with the blocks it voted for). */
  restore(transactions: readonly Transaction[]): void {
    for (const transaction of transactions) {
      const shape = checkTransactionShape(transaction, this.options.chainId);
      if (!shape.ok) continue;
      const reference = referenceOf(toHex(shape.idBytes), shape.transaction);
      if (verifyTransactionSignatures(shape) !== undefined) continue;
      this.hold(reference, shape.transaction, shape.bodyBytes);
    }
  }

  /** A peer's answer: only transactions this node is waiting for, each checked before it is held. */
  receiveAnswer(payload: JsonValue): void {
    const answer = payload as { blockHash?: unknown; transactions?: unknown } | null;
    if (typeof answer !== 'object' || answer === null || Array.isArray(answer) || typeof answer.blockHash !== 'string' || !Array.isArray(answer.transactions)) {
      return this.options.onRefused?.('malformed-answer');
    }
    if (answer.transactions.length > this.limits.referencesPerWantMax) return this.options.onRefused?.('malformed-answer');
    const entry = this.wanted.get(answer.blockHash);
    if (entry === undefined) return this.options.onRefused?.('unsolicited');
    for (const candidate of answer.transactions) {
      const shape = checkTransactionShape(candidate, this.options.chainId);
      if (!shape.ok) {
        this.options.onRefused?.('invalid-transaction');
        continue;
      }
      const reference = referenceOf(toHex(shape.idBytes), shape.transaction);
      if (!entry.missing.has(reference.key)) {
        this.options.onRefused?.('unwanted-transaction');
        continue;
      }
      if (!this.options.verified.has(reference)) {
        if (verifyTransactionSignatures(shape) !== undefined) {
          this.options.onRefused?.('invalid-transaction');
          continue;
        }
        this.options.verified.remember(reference);
      }
      // Execution reuses the document's validation, as for an admitted capture; an invalid one
      // is left for execution to reject, as every validator will.
      const document = documentCheck(shape.transaction);
      if (document.ok && document.validation !== undefined) this.options.documents?.remember(reference.id, document.validation);
      // A body too large for the pool is not kept: the block is not complete, and is asked for again later.
      if (this.hold(reference, shape.transaction, shape.bodyBytes)) this.offer(reference);
    }
    // What is still missing (an answer can be partial) goes to the next peer when the want is retried.
  }

  /** Answers a peer's want from what this node holds; one want per peer at a time. */
  async answer(from: string, payload: JsonValue): Promise<void> {
    const want = payload as { blockHash?: unknown; height?: unknown; references?: unknown } | null;
    if (
      typeof want !== 'object' ||
      want === null ||
      Array.isArray(want) ||
      typeof want.blockHash !== 'string' ||
      !HASH_PATTERN.test(want.blockHash) ||
      !Number.isSafeInteger(want.height) ||
      (want.height as number) < 1 ||
      !Array.isArray(want.references) ||
      want.references.length === 0 ||
      want.references.length > this.limits.referencesPerWantMax ||
      !want.references.every((reference) => typeof reference === 'string' && REFERENCE_PATTERN.test(reference))
    ) {
      return this.options.onRefused?.('malformed-want');
    }
    if (this.serving.has(from)) return;
    this.serving.add(from);
    try {
      const references = (want.references as string[]).map((key): TransactionReference => ({ id: key.slice(0, 64), key, leaf: Buffer.from(key, 'hex') }));
      const found = await this.options.find(want.blockHash, want.height as number, references);
      const transactions: Transaction[] = [];
      let bytes = 0;
      for (const transaction of found) {
        // UTF-8 bytes, as the frame carries them, not UTF-16 code units.
        bytes += Buffer.byteLength(JSON.stringify(transaction));
        if (bytes > this.limits.answerBytesMax && transactions.length > 0) break;
        transactions.push(transaction);
      }
      if (transactions.length > 0) this.options.send(from, TRANSACTION_BODIES_CHANNEL, { blockHash: want.blockHash, transactions } as unknown as JsonValue);
    } finally {
      this.serving.delete(from);
    }
  }

  private ask(entry: Wanted, nowMs: number): void {
    const others = this.options.peers().filter((peer) => peer !== entry.preferred);
    const order = entry.preferred === undefined ? others : [entry.preferred, ...others];
    let peer = order.find((candidate) => !entry.asked.has(candidate));
    if (peer === undefined) {
      // Everyone was asked: a new turn, the preferred peer first again.
      entry.asked.clear();
      peer = order[0];
    }
    if (peer === undefined) return;
    entry.asked.add(peer);
    entry.attempt++;
    entry.sentAtMs = nowMs;
    const references = [...entry.missing.keys()].slice(0, this.limits.referencesPerWantMax);
    this.options.send(peer, TRANSACTION_WANT_CHANNEL, { blockHash: entry.blockHash, height: entry.height, references });
  }

  /** Whether the body is held afterwards (the limits may evict it at once). */
  private hold(reference: TransactionReference, transaction: Transaction, bytes: number): boolean {
    if (this.fetched.has(reference.key)) return true;
    this.fetched.set(reference.key, { id: reference.id, transaction, bytes });
    this.fetchedBytes += bytes;
    while (this.fetched.size > this.limits.fetchedTransactionsMax || this.fetchedBytes > this.limits.fetchedBytesMax) {
      const [oldestKey, oldest] = this.fetched.entries().next().value!;
      this.fetched.delete(oldestKey);
      this.fetchedBytes -= oldest.bytes;
      // Its document's validation goes with it: the memo holds only what this node holds.
      this.options.documents?.take(oldest.id);
    }
    return this.fetched.has(reference.key);
  }
}
