/**
 * Relayed transactions travel in batches (issue 12): every transaction a validator admits from a
 * client goes to every other validator, and sending each in a frame of its own cost a frame's
 * encoding, WebSocket framing, socket write, parse and rate-limit bookkeeping per transaction
 * per peer. The sender gathers admitted transactions into one array and sends it as one frame
 * on the `tx` channel, encoded once and queued to each connected peer (the transport's outbound
 * queue per peer is bounded by frames and bytes, node/transport/limits.ts); a batch is sent once
 * it holds RelayBatchLimits.transactionsMax transactions or bytesMax bytes.
 *
 * Otherwise the batcher sends on the leading edge of a window, as a throttle does: a quiet
 * batcher sends what this turn of the event loop admitted at the end of the turn (a client's
 * array of transactions stays one frame) and then opens a window of flushDelayMs, whose
 * transactions go together when it ends; a window that ends with transactions sent opens the
 * next, one that ends with none closes. So a steady stream still leaves in one frame per
 * flushDelayMs, while a transaction admitted after a quiet spell reaches the leader at once
 * instead of waiting out the delay (at 10 events/s that wait was about 5 of a transaction's
 * 40 ms, docs/performance.md).
 *
 * Wire form of the `tx` channel's payload: an array of 1 to RELAY_FRAME_TRANSACTIONS_MAX
 * transactions, or (as before batching) one transaction. A receiver checks every element on its
 * own, exactly as a single relayed transaction (node/transactions.ts): a malformed element is
 * refused and counted without refusing the others; a frame that is not within the limits is
 * refused whole, as a value (parseRelayFrame), never an exception. Order inside a frame carries
 * no meaning.
 */
import { assert } from '../ledger/assert.js';
import type { JsonValue } from '../ledger/encoding/canonical-json.js';
import type { Transaction } from '../ledger/model/transaction.js';

/** Transactions a receiver accepts in one relay frame; a frame with more is refused whole. */
export const RELAY_FRAME_TRANSACTIONS_MAX = 1_000;

export interface RelayBatchLimits {
  /** Transactions in one batch: a batch that reaches it is sent at once (at most RELAY_FRAME_TRANSACTIONS_MAX). */
  transactionsMax: number;
  /**
   * Estimated serialized bytes of one batch (relayBytes): a batch that reaches it is sent at once,
   * and a transaction that would take a batch past it starts the next one, so a frame stays far
   * below the transport's frameBytesMax (24 MiB) whatever its transactions.
   */
  bytesMax: number;
  /** The window after a batch is sent during which further transactions gather for the next one, ms. */
  flushDelayMs: number;
}

export const DEFAULT_RELAY_BATCH_LIMITS: Readonly<RelayBatchLimits> = Object.freeze({
  transactionsMax: 256,
  bytesMax: 1024 * 1024,
  flushDelayMs: 5,
});

/** Bytes a signature entry takes in JSON beyond its signer's id: 64 + 128 hex digits, names and punctuation. */
const SIGNATURE_ENTRY_BYTES = 240;

/** The serialized size of a transaction, from its canonical body bytes (JSON.stringify writes the body at the same length). */
export function relayBytes(transaction: Transaction, bodyBytes: number): number {
  let bytes = bodyBytes + 32;
  for (const signature of transaction.signatures) bytes += signature.signer.length + SIGNATURE_ENTRY_BYTES;
  return bytes;
}

/** Cancels a scheduled flush. */
export type Cancel = () => void;
/** Runs `callback` after `delayMs`; a delay of 0 means once the current turn of the event loop ends. */
export type Schedule = (callback: () => void, delayMs: number) => Cancel;

const realTimers: Schedule = (callback, delayMs) => {
  if (delayMs === 0) {
    // setTimeout(0) waits at least a millisecond; setImmediate runs once this turn's I/O callbacks are done.
    const immediate = setImmediate(callback);
    immediate.unref();
    return () => clearImmediate(immediate);
  }
  const timer = setTimeout(callback, delayMs);
  timer.unref();
  return () => clearTimeout(timer);
};

export class RelayBatcher {
  private readonly limits: RelayBatchLimits;
  private batch: JsonValue[] = [];
  private bytes = 0;
  private cancelFlush: Cancel | undefined;
  /** A window is open: a batch was sent less than flushDelayMs ago, and what arrives waits for the window's end. */
  private windowOpen = false;

  constructor(
    private readonly send: (batch: JsonValue[]) => void,
    limits: Partial<RelayBatchLimits> = {},
    private readonly schedule: Schedule = realTimers,
  ) {
    this.limits = { ...DEFAULT_RELAY_BATCH_LIMITS, ...limits };
    for (const name of ['transactionsMax', 'bytesMax'] as const) assert(Number.isSafeInteger(this.limits[name]) && this.limits[name] > 0, `relay batch limit ${name} must be a positive integer`);
    assert(Number.isSafeInteger(this.limits.flushDelayMs) && this.limits.flushDelayMs >= 0, 'relay batch limit flushDelayMs must be a whole number of ms');
    assert(this.limits.transactionsMax <= RELAY_FRAME_TRANSACTIONS_MAX, `relay batch limit transactionsMax must be at most ${RELAY_FRAME_TRANSACTIONS_MAX}, what receivers accept`);
  }

  /** Transactions waiting for their batch to be sent. */
  get waiting(): number {
    return this.batch.length;
  }

  /** Adds a transaction of about `bytes` serialized bytes (relayBytes) to the next batch. */
  add(transaction: JsonValue, bytes: number): void {
    if (this.batch.length > 0 && this.bytes + bytes > this.limits.bytesMax) this.flush();
    this.batch.push(transaction);
    this.bytes += bytes;
    if (this.batch.length >= this.limits.transactionsMax || this.bytes >= this.limits.bytesMax) {
      this.flush();
    } else if (this.cancelFlush === undefined) {
      this.scheduleFlush(this.windowOpen ? this.limits.flushDelayMs : 0);
    }
  }

  /**
   * Sends what waits now (a full batch, before a proposal, at a shutdown, or when a test wants
   * it); a batch sent opens a window as the timer's would, and with nothing to send the window closes.
   */
  flush(): void {
    this.cancelFlush?.();
    this.cancelFlush = undefined;
    this.windowOpen = this.sendWaiting();
    if (this.windowOpen) this.scheduleFlush(this.limits.flushDelayMs);
  }

  private scheduleFlush(delayMs: number): void {
    this.cancelFlush = this.schedule(() => {
      this.cancelFlush = undefined;
      this.flush();
    }, delayMs);
  }

  /** Sends the batch if it holds anything; whether it did. */
  private sendWaiting(): boolean {
    if (this.batch.length === 0) return false;
    const batch = this.batch;
    this.batch = [];
    this.bytes = 0;
    this.send(batch);
    return true;
  }
}

export type RelayFrameRefusal = 'relay-frame-empty' | 'relay-frame-too-large';

export type ParsedRelayFrame = { ok: true; transactions: readonly unknown[] } | { ok: false; reason: RelayFrameRefusal; message: string };

/** A `tx` frame's payload as the candidates it holds, each still to be checked on its own; a frame beyond the limits is refused whole. */
export function parseRelayFrame(payload: JsonValue, transactionsMax: number = RELAY_FRAME_TRANSACTIONS_MAX): ParsedRelayFrame {
  if (!Array.isArray(payload)) return { ok: true, transactions: [payload] };
  if (payload.length === 0) return { ok: false, reason: 'relay-frame-empty', message: 'a relay frame holds at least one transaction' };
  if (payload.length > transactionsMax) {
    return { ok: false, reason: 'relay-frame-too-large', message: `a relay frame holds at most ${transactionsMax} transactions; this one holds ${payload.length}` };
  }
  return { ok: true, transactions: payload };
}
