/**
 * Pushes the validators' checkpoint to the outside witnesses named in the node's config
 * (c2sp.org/tlog-witness, "add-checkpoint"), with the RFC 9162 consistency proof from the size
 * each witness last cosigned, and keeps the cosignatures that verify under the witness's
 * configured key (c2sp.org/tlog-cosignature) to serve with the checkpoint. A 409 answer names
 * the witness's size: the request is made once more from it. Failures are retried with a
 * bounded, growing delay; one request per witness is in flight at a time.
 */
import { fromHex } from '../../ledger/encoding/hex.js';
import { openNote, type NoteVerifier } from '../../ledger/tlog/note.js';
import { formatAddCheckpoint, parseTlogSize } from '../../ledger/tlog/witness-request.js';
import type { Logger } from '../logger.js';
import { bodyText, boundedFetch } from './bounded-fetch.js';
import type { CheckpointSignatures } from './checkpoint-signatures.js';

export const WITNESS_PUSH_LIMITS = {
  requestTimeoutMs: 5_000,
  /** A witness's answer: a few signature lines. */
  answerBytesMax: 16 * 1024,
  retryBaseMs: 1_000,
  retryMaxMs: 60_000,
  /** Requests for one checkpoint (a 409 costs one more). */
  attemptsPerCheckpoint: 3,
} as const;

export interface ConfiguredWitness {
  url: string;
  verifier: NoteVerifier;
}

interface WitnessState {
  witness: ConfiguredWitness;
  /** The size the witness last cosigned for us, as far as we know (0: never). */
  knownSize: number;
  busy: boolean;
  retryDelayMs: number;
  timer: NodeJS.Timeout | undefined;
}

export class WitnessPusher {
  readonly #states: WitnessState[];
  #stopped = false;

  constructor(
    witnesses: readonly ConfiguredWitness[],
    private readonly checkpoints: CheckpointSignatures,
    private readonly consistencyProof: (oldSize: number, newSize: number) => Promise<string[]>,
    private readonly logger: Logger,
  ) {
    this.#states = witnesses.map((witness) => ({ witness, knownSize: 0, busy: false, retryDelayMs: WITNESS_PUSH_LIMITS.retryBaseMs, timer: undefined }));
  }

  /** Called when a newer checkpoint is served. */
  push(): void {
    for (const state of this.#states) void this.#pushTo(state);
  }

  stop(): void {
    this.#stopped = true;
    for (const state of this.#states) clearTimeout(state.timer);
  }

  async #pushTo(state: WitnessState): Promise<void> {
    if (state.busy || this.#stopped) return;
    state.busy = true;
    clearTimeout(state.timer);
    state.timer = undefined;
    let done = false;
    try {
      for (let attempt = 0; attempt < WITNESS_PUSH_LIMITS.attemptsPerCheckpoint && !done && !this.#stopped; attempt++) done = await this.#attempt(state);
    } finally {
      state.busy = false;
    }
    if (done) state.retryDelayMs = WITNESS_PUSH_LIMITS.retryBaseMs;
    else if (!this.#stopped) {
      state.timer = setTimeout(() => void this.#pushTo(state), state.retryDelayMs);
      state.timer.unref();
      state.retryDelayMs = Math.min(state.retryDelayMs * 2, WITNESS_PUSH_LIMITS.retryMaxMs);
    }
  }

  /** True when the witness cosigned the current checkpoint (or nothing is left to do). */
  async #attempt(state: WitnessState): Promise<boolean> {
    const served = this.checkpoints.served();
    if (served === undefined) return true;
    const { checkpoint } = served;
    if (state.knownSize > checkpoint.size) return true;
    const proof = state.knownSize === 0 || state.knownSize === checkpoint.size ? [] : await this.consistencyProof(state.knownSize, checkpoint.size);
    const note = `${checkpoint.text}\n${checkpoint.signatureLines.join('')}`;
    const body = formatAddCheckpoint({ oldSize: state.knownSize, proof: proof.map(fromHex), checkpoint: note });
    const url = `${state.witness.url.replace(/\/+$/, '')}/add-checkpoint`;
    const answer = await boundedFetch(url, { method: 'POST', body, timeoutMs: WITNESS_PUSH_LIMITS.requestTimeoutMs, bytesMax: WITNESS_PUSH_LIMITS.answerBytesMax });
    if (!answer.ok) {
      this.logger.warn({ witness: state.witness.verifier.name, detail: answer.message }, 'a witness did not answer');
      return false;
    }
    const text = bodyText(answer.body);
    if (answer.status === 409) {
      const size = parseTlogSize(text);
      if (size !== undefined && size !== state.knownSize) {
        state.knownSize = size;
        return false;
      }
      this.logger.warn({ witness: state.witness.verifier.name, size: checkpoint.size, answer: text.slice(0, 200) }, 'a witness refused the checkpoint as inconsistent with what it cosigned');
      return true;
    }
    if (answer.status !== 200) {
      this.logger.warn({ witness: state.witness.verifier.name, status: answer.status, answer: text.slice(0, 200) }, 'a witness refused the checkpoint');
      return false;
    }
    // Only this witness's own key counts; any other line in its answer is ignored.
    const opened = openNote(`${checkpoint.text}\n${text}`, [state.witness.verifier]);
    if (!opened.ok) {
      this.logger.warn({ witness: state.witness.verifier.name, detail: opened.message }, 'a witness answered no valid cosignature');
      return false;
    }
    const cosignature = opened.verified[0]!;
    this.checkpoints.addCosignature(checkpoint.text, cosignature.name, `\u2014 ${cosignature.name} ${cosignature.base64}\n`);
    state.knownSize = checkpoint.size;
    return true;
  }
}
