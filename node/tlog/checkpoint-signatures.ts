/**
 * The validators' C2SP checkpoint (docs/transparency.md, "How validators sign checkpoints"):
 * each validator signs the checkpoint note text of the log it has itself executed
 * (c2sp.org/tlog-checkpoint: origin, size, root) with its validator key as an Ed25519 note
 * signature (c2sp.org/signed-note), sends that signature to its peers on the `tlog-signature`
 * channel, verifies theirs against its own log at the same size, and serves the checkpoint once
 * a quorum (n - f) of the current validator set has signed the same text. No honest validator
 * signs a root it has not computed itself, so a checkpoint a quorum signed has at least f + 1
 * honest signers behind its root.
 *
 * Signing every block's checkpoint cost each validator a signature, a verification per peer and a
 * message per peer for every block (about 7% of a validator's CPU under load, docs/performance.md).
 * A validator therefore signs the head only where a new signing period begins, a rule of the chain
 * alone (the block's header time is in a later `signPeriodMs` period than its parent's), so every
 * honest validator signs the same sizes; and once the head has stayed put for a period, so the
 * last block of a burst is covered too (every honest validator reaches the same quiet head).
 * A change of epoch is signed at once.
 *
 * Peer messages are hostile input: a bounded shape, only from members of the current set, one
 * pending message per peer for sizes this validator has not reached yet, a few recent
 * checkpoints kept, and each signature verified before it counts.
 */
import { z } from 'zod';
import { sign, verify } from '../../ledger/crypto/ed25519.js';
import { fromBase64, toBase64 } from '../../ledger/encoding/base64.js';
import { fromHex, toHex, utf8 } from '../../ledger/encoding/hex.js';
import type { Epoch } from '../../ledger/model/epoch.js';
import type { LedgerState } from '../../ledger/verify/block-checks.js';
import { formatCheckpointText, validatorKeyName } from '../../ledger/tlog/checkpoint.js';
import { noteKeyId, signatureLine, SIGNATURE_TYPE_ED25519, NOTE_LIMITS } from '../../ledger/tlog/note.js';

export const TLOG_SIGNATURE_CHANNEL = 'tlog-signature';

export const CHECKPOINT_SIGNATURE_LIMITS = {
  /** Checkpoints (epoch and size) whose signatures are kept while they gather a quorum. */
  checkpointsKept: 8,
  /**
   * Block-time period in which at most one head is signed while blocks keep coming; also how long
   * a head stays put before it is signed. A tlog proof waits at most about this long for a checkpoint.
   */
  signPeriodMs: 250,
  /** How often a validator sends its latest signature again, for peers that restarted or connected late. */
  repeatIntervalMs: 5_000,
  /** Witnesses whose cosignatures are kept per checkpoint. */
  cosignaturesMax: 16,
} as const;

const signatureMessageSchema = z.strictObject({
  epoch: z.number().int().min(0).max(2 ** 32),
  size: z.number().int().min(0).max(2 ** 48),
  /** The 64-byte Ed25519 signature of the note text, in base64. */
  signature: z.string().length(88),
});
export type CheckpointSignatureMessage = z.infer<typeof signatureMessageSchema>;

/**
 * Whether a block whose header time is `timestampMs` begins a signing period, given its parent's
 * header time (undefined when not known, as after a restart: then it does). Both times come from
 * the committed chain, so every validator answers the same for the same block.
 */
export function startsSigningPeriod(parentTimestampMs: number | undefined, timestampMs: number, periodMs: number = CHECKPOINT_SIGNATURE_LIMITS.signPeriodMs): boolean {
  return parentTimestampMs === undefined || Math.floor(timestampMs / periodMs) !== Math.floor(parentTimestampMs / periodMs);
}

export interface SignedCheckpoint {
  epoch: number;
  size: number;
  rootHex: string;
  /** The note text: origin, size and root, each on its line. */
  text: string;
  /** The validators' signature lines, in validator-set order. */
  signatureLines: string[];
}

export interface CheckpointSignaturesOptions {
  origin: string;
  self: { id: string; seed: Uint8Array; publicKey: Uint8Array };
  /** The executed ledger head, the epoch that certifies the next height, and the log root at an earlier size. */
  ledger: { head(): LedgerState; currentEpoch(): Epoch; logRoot(size: number): Promise<string> };
  broadcast(payload: CheckpointSignatureMessage): void;
  onRefused?(reason: string): void;
}

interface Gathering {
  epoch: Epoch;
  size: number;
  rootHex: string;
  text: string;
  lines: Map<string, string>;
}

export class CheckpointSignatures {
  readonly #options: CheckpointSignaturesOptions;
  readonly #gathering = new Map<string, Gathering>();
  readonly #pending = new Map<string, CheckpointSignatureMessage>();
  #own: CheckpointSignatureMessage | undefined;
  #served: SignedCheckpoint | undefined;
  /** Witness cosignature lines for the served text, by witness name. */
  #cosignatures: { text: string; lines: Map<string, string> } = { text: '', lines: new Map() };
  readonly #servedListeners = new Set<(checkpoint: SignedCheckpoint) => void>();
  #queue: Promise<void> = Promise.resolve();

  constructor(options: CheckpointSignaturesOptions) {
    this.#options = options;
  }

  /** The latest checkpoint a quorum signed, with its witnesses' cosignatures, as a signed note. */
  served(): { checkpoint: SignedCheckpoint; note: string; cosignatureLines: string[] } | undefined {
    const checkpoint = this.#served;
    if (checkpoint === undefined) return undefined;
    const cosignatureLines = this.#cosignatures.text === checkpoint.text ? [...this.#cosignatures.lines.values()] : [];
    // Go's reference verifiers refuse more than 100 signature lines: validators' lines first, then witnesses' as room allows.
    const room = Math.max(0, NOTE_LIMITS.signatureLinesMax - checkpoint.signatureLines.length);
    const lines = [...checkpoint.signatureLines, ...cosignatureLines.slice(0, room)];
    return { checkpoint, note: `${checkpoint.text}\n${lines.join('')}`, cosignatureLines: cosignatureLines.slice(0, room) };
  }

  onServed(listener: (checkpoint: SignedCheckpoint) => void): () => void {
    this.#servedListeners.add(listener);
    return () => this.#servedListeners.delete(listener);
  }

  /** Adds a witness's cosignature line (already verified by the caller) for the served checkpoint's text; others are dropped. */
  addCosignature(text: string, witness: string, line: string): void {
    if (this.#served?.text !== text) return;
    if (this.#cosignatures.text !== text) this.#cosignatures = { text, lines: new Map() };
    if (this.#cosignatures.lines.size >= CHECKPOINT_SIGNATURE_LIMITS.cosignaturesMax && !this.#cosignatures.lines.has(witness)) return;
    this.#cosignatures.lines.set(witness, line);
  }

  /**
   * After a block executed, or when the head stayed put: signs the head's checkpoint when its size
   * changed and `signHead` says the head is one to sign (startsSigningPeriod, or a quiet head), or when
   * the epoch changed; and retries pending peers' signatures.
   */
  headAdvanced(signHead = true): Promise<void> {
    return this.#serialised(async () => {
      const head = this.#options.ledger.head();
      const epoch = this.#options.ledger.currentEpoch();
      const member = epoch.validators.get(this.#options.self.id);
      const signs = member !== undefined && member.publicKeyHex === toHex(this.#options.self.publicKey);
      if (signs && !this.#isStale(epoch.number, head.logSize) && (this.#own === undefined || this.#own.epoch !== epoch.number || (signHead && this.#own.size !== head.logSize))) {
        const text = formatCheckpointText({ origin: this.#options.origin, size: head.logSize, rootHash: fromHex(head.logRoot) });
        const signature = sign(this.#options.self.seed, utf8(text));
        this.#own = { epoch: epoch.number, size: head.logSize, signature: toBase64(signature) };
        this.#add(this.#gatheringFor(epoch, head.logSize, head.logRoot), this.#options.self.id, signature);
        this.#options.broadcast(this.#own);
      }
      for (const [peer, message] of [...this.#pending]) {
        if (message.epoch < epoch.number) this.#pending.delete(peer);
        else if (message.epoch === epoch.number && message.size <= head.logSize) {
          this.#pending.delete(peer);
          await this.#accept(peer, message);
        }
      }
    });
  }

  /** Sends this validator's latest signature again (see repeatIntervalMs). */
  repeat(): void {
    if (this.#own !== undefined) this.#options.broadcast(this.#own);
  }

  /** A peer's signature message, from the authenticated peer `from`. */
  receive(from: string, payload: unknown): Promise<void> {
    return this.#serialised(async () => {
      const parsed = signatureMessageSchema.safeParse(payload);
      if (!parsed.success) return this.#refuse('malformed');
      const message = parsed.data;
      const epoch = this.#options.ledger.currentEpoch();
      if (message.epoch < epoch.number) return this.#refuse('old-epoch');
      // Below the served checkpoint a signature can never make a newer one (a peer catching up signs old sizes): not worth a gathering slot.
      if (this.#isStale(message.epoch, message.size)) return;
      if (message.epoch > epoch.number || message.size > this.#options.ledger.head().logSize) {
        // Ahead of this validator: kept, one per peer, until it has executed as far.
        if (epoch.validators.get(from) === undefined && message.epoch === epoch.number) return this.#refuse('not-a-validator');
        this.#pending.set(from, message);
        return;
      }
      await this.#accept(from, message);
    });
  }

  async #accept(from: string, message: CheckpointSignatureMessage): Promise<void> {
    const epoch = this.#options.ledger.currentEpoch();
    const validator = epoch.validators.get(from);
    if (validator === undefined) return this.#refuse('not-a-validator');
    const signature = fromBase64(message.signature);
    if (signature === undefined || signature.length !== 64) return this.#refuse('malformed');
    const head = this.#options.ledger.head();
    const rootHex = message.size === head.logSize ? head.logRoot : await this.#options.ledger.logRoot(message.size);
    const gathering = this.#gatheringFor(epoch, message.size, rootHex);
    if (gathering.lines.has(from)) return;
    if (!verify(validator.publicKey, utf8(gathering.text), signature)) return this.#refuse('bad-signature');
    this.#add(gathering, from, signature);
  }

  #gatheringFor(epoch: Epoch, size: number, rootHex: string): Gathering {
    const key = `${epoch.number}:${size}`;
    let gathering = this.#gathering.get(key);
    if (gathering === undefined) {
      gathering = { epoch, size, rootHex, text: formatCheckpointText({ origin: this.#options.origin, size, rootHash: fromHex(rootHex) }), lines: new Map() };
      this.#gathering.set(key, gathering);
      // The oldest go first: a checkpoint that never gathers a quorum does not hold memory.
      while (this.#gathering.size > CHECKPOINT_SIGNATURE_LIMITS.checkpointsKept) this.#gathering.delete(this.#gathering.keys().next().value!);
    }
    return gathering;
  }

  #add(gathering: Gathering, validatorId: string, signature: Uint8Array): void {
    const name = validatorKeyName(this.#options.origin, validatorId);
    const validator = gathering.epoch.validators.get(validatorId)!;
    gathering.lines.set(validatorId, signatureLine(name, noteKeyId(name, SIGNATURE_TYPE_ED25519, validator.publicKey), signature));
    if (gathering.lines.size < gathering.epoch.validators.quorum) return;
    const served = this.#served;
    const newer = served === undefined || gathering.size > served.size || (gathering.size === served.size && gathering.epoch.number > served.epoch);
    const sameButMore = served !== undefined && served.epoch === gathering.epoch.number && served.size === gathering.size;
    if (!newer && !sameButMore) return;
    const ordered = gathering.epoch.validators.validators.flatMap((member) => gathering.lines.get(member.id) ?? []);
    this.#served = { epoch: gathering.epoch.number, size: gathering.size, rootHex: gathering.rootHex, text: gathering.text, signatureLines: ordered };
    if (newer) for (const listener of this.#servedListeners) listener(this.#served);
  }

  #isStale(epoch: number, size: number): boolean {
    const served = this.#served;
    return served !== undefined && (epoch < served.epoch || (epoch === served.epoch && size < served.size));
  }

  #refuse(reason: string): void {
    this.#options.onRefused?.(reason);
  }

  #serialised(task: () => Promise<void>): Promise<void> {
    const next = this.#queue.then(task);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}
