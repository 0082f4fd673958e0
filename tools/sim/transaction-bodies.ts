/**
 * The simulator's data plane (docs/consensus.md, "Payloads: references, not bodies", and
 * node/transaction-bodies.ts, which this mirrors in miniature): transactions travel to every
 * validator once, at admission (`tx-relay`), separately from consensus; proposals carry only
 * their ids; a validator lacking some bodies asks the proposer first, then its other peers in
 * turn every WANT_RETRY_MS (`tx-want`), and takes from an answer (`tx-bodies`) only bodies whose
 * id it is waiting for, so no peer can plant or swap a body. These messages cross the simulated
 * network like consensus traffic (delay, loss, duplication, partitions), as JSON text that the
 * receiver parses and checks before it believes any of it.
 */
import { sha256 } from '../../ledger/crypto/sha256.js';
import { toHex, utf8 } from '../../ledger/encoding/hex.js';

/** A want unanswered this long goes to the next peer (node/transaction-bodies.ts uses the same). */
export const WANT_RETRY_MS = 500;
/** Blocks whose bodies are sought at once; beyond it the oldest want is given up. */
export const WANTED_BLOCKS_MAX = 64;
/** Ids in one want, and bodies in one answer: a block's worth. */
export const IDS_PER_WANT_MAX = 64;
/** Characters in one body on the wire (a sim transaction is a short string). */
export const BODY_LENGTH_MAX = 512;

export type DataMessage =
  /** A transaction admitted by the sender, for every validator's mempool. */
  | { kind: 'tx-relay'; body: string }
  /** The ids of `blockHash` (at `height`) whose bodies the sender lacks. */
  | { kind: 'tx-want'; blockHash: string; height: number; ids: string[] }
  /** Bodies the sender holds, answering a want for `blockHash`. */
  | { kind: 'tx-bodies'; blockHash: string; bodies: string[] };

/** A transaction's id: SHA-256 of its UTF-8 body, so a body proves which id it answers. */
export function transactionId(body: string): string {
  return toHex(sha256(utf8(body)));
}

const ID_PATTERN = /^[0-9a-f]{64}$/;

export function isTransactionId(text: unknown): text is string {
  return typeof text === 'string' && ID_PATTERN.test(text);
}

export function encodeDataMessage(message: DataMessage): string {
  return JSON.stringify(message);
}

function isBody(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= BODY_LENGTH_MAX;
}

/** Parses a frame a peer sent; anything not exactly one of the three shapes is refused. */
export function decodeDataMessage(wire: string): { ok: true; message: DataMessage } | { ok: false; reason: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(wire);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { ok: false, reason: 'not an object' };
  const value = parsed as Record<string, unknown>;
  switch (value.kind) {
    case 'tx-relay':
      if (!isBody(value.body)) return { ok: false, reason: 'malformed relay' };
      return { ok: true, message: { kind: 'tx-relay', body: value.body } };
    case 'tx-want': {
      const ids = value.ids;
      if (!isTransactionId(value.blockHash) || !Number.isSafeInteger(value.height) || (value.height as number) < 1) return { ok: false, reason: 'malformed want' };
      if (!Array.isArray(ids) || ids.length === 0 || ids.length > IDS_PER_WANT_MAX || !ids.every(isTransactionId)) return { ok: false, reason: 'malformed want' };
      return { ok: true, message: { kind: 'tx-want', blockHash: value.blockHash, height: value.height as number, ids: [...ids] } };
    }
    case 'tx-bodies': {
      const bodies = value.bodies;
      if (!isTransactionId(value.blockHash) || !Array.isArray(bodies) || bodies.length === 0 || bodies.length > IDS_PER_WANT_MAX || !bodies.every(isBody)) {
        return { ok: false, reason: 'malformed answer' };
      }
      return { ok: true, message: { kind: 'tx-bodies', blockHash: value.blockHash, bodies: [...bodies] } };
    }
    default:
      return { ok: false, reason: 'unknown kind' };
  }
}

export function describeDataMessage(message: DataMessage): string {
  switch (message.kind) {
    case 'tx-relay':
      return `tx-relay ${transactionId(message.body).slice(0, 8)}`;
    case 'tx-want':
      return `tx-want h${message.height} ${message.blockHash.slice(0, 8)} ids=${message.ids.length}`;
    case 'tx-bodies':
      return `tx-bodies ${message.blockHash.slice(0, 8)} bodies=${message.bodies.length}`;
  }
}

interface Want {
  blockHash: string;
  height: number;
  missing: Set<string>;
  /** Whom to ask, in order: the proposer, then the others. */
  peers: string[];
  attempt: number;
  sentAtMs: number;
}

/**
 * The blocks whose bodies this validator is waiting for, and whom it asked. Everything it sends
 * goes through `send`; the owner decides when to retry (`tick`) and what to do when a block is
 * complete (the ids `offer` returns).
 */
export class BodyWants {
  readonly #wants = new Map<string, Want>();
  /** Id to the blocks waiting for it. */
  readonly #waitingFor = new Map<string, Set<string>>();

  constructor(
    readonly self: string,
    /** Every validator id, in validator-set order (this one included; it is skipped). */
    readonly validators: readonly string[],
    readonly send: (to: string, message: DataMessage) => void,
  ) {}

  get size(): number {
    return this.#wants.size;
  }

  isWanted(id: string): boolean {
    return this.#waitingFor.has(id);
  }

  /** Asking again for a block already wanted only adds ids; a new want goes out at once. */
  want(blockHash: string, height: number, missing: readonly string[], proposer: string, nowMs: number): void {
    let entry = this.#wants.get(blockHash);
    if (entry === undefined) {
      while (this.#wants.size >= WANTED_BLOCKS_MAX) this.giveUp(this.#wants.keys().next().value!);
      entry = { blockHash, height, missing: new Set(), peers: this.#peersFrom(proposer), attempt: 0, sentAtMs: nowMs };
      this.#wants.set(blockHash, entry);
    }
    for (const id of missing) {
      if (entry.missing.has(id)) continue;
      entry.missing.add(id);
      let blocks = this.#waitingFor.get(id);
      if (blocks === undefined) this.#waitingFor.set(id, (blocks = new Set()));
      blocks.add(blockHash);
    }
    if (entry.missing.size === 0) return this.giveUp(blockHash);
    if (entry.attempt === 0) this.#ask(entry, nowMs);
  }

  /** A body is now held (fetched or relayed): returns the blocks it completed. */
  offer(id: string): string[] {
    const blocks = this.#waitingFor.get(id);
    if (blocks === undefined) return [];
    this.#waitingFor.delete(id);
    const completed: string[] = [];
    for (const blockHash of blocks) {
      const entry = this.#wants.get(blockHash);
      if (entry === undefined) continue;
      entry.missing.delete(id);
      if (entry.missing.size === 0) {
        this.#wants.delete(blockHash);
        completed.push(blockHash);
      }
    }
    return completed;
  }

  /** Re-sends each want unanswered for WANT_RETRY_MS to its next peer. */
  tick(nowMs: number): void {
    for (const entry of this.#wants.values()) {
      if (nowMs - entry.sentAtMs >= WANT_RETRY_MS) this.#ask(entry, nowMs);
    }
  }

  /** When the next want is due for a retry; null when nothing is wanted. */
  nextRetryMs(): number | null {
    let next: number | null = null;
    for (const entry of this.#wants.values()) next = Math.min(next ?? Infinity, entry.sentAtMs + WANT_RETRY_MS);
    return next;
  }

  giveUp(blockHash: string): void {
    const entry = this.#wants.get(blockHash);
    if (entry === undefined) return;
    this.#wants.delete(blockHash);
    for (const id of entry.missing) {
      const blocks = this.#waitingFor.get(id);
      blocks?.delete(blockHash);
      if (blocks?.size === 0) this.#waitingFor.delete(id);
    }
  }

  /** Wants at or below an executed height are moot: that height is decided (an abandoned or phantom block). */
  settledThrough(height: number): void {
    for (const entry of [...this.#wants.values()]) if (entry.height <= height) this.giveUp(entry.blockHash);
  }

  clear(): void {
    this.#wants.clear();
    this.#waitingFor.clear();
  }

  /** The proposer first, then the others in set order after it, never this validator. */
  #peersFrom(proposer: string): string[] {
    const start = Math.max(0, this.validators.indexOf(proposer));
    const peers: string[] = [];
    for (let offset = 0; offset < this.validators.length; offset++) {
      const peer = this.validators[(start + offset) % this.validators.length]!;
      if (peer !== this.self) peers.push(peer);
    }
    return peers;
  }

  #ask(entry: Want, nowMs: number): void {
    // Stamped even with nobody to ask, so that a retry is never due at once again.
    entry.sentAtMs = nowMs;
    if (entry.peers.length === 0) return;
    const peer = entry.peers[entry.attempt % entry.peers.length]!;
    entry.attempt += 1;
    this.send(peer, { kind: 'tx-want', blockHash: entry.blockHash, height: entry.height, ids: [...entry.missing].slice(0, IDS_PER_WANT_MAX) });
  }
}
