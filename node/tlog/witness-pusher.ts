/**
 * Pushes the validators' checkpoint to the outside witnesses named in the node's config
 * (c2sp.org/tlog-witness, "add-checkpoint"), with the RFC 9162 consistency proof from the size
 * each witness last cosigned, and keeps the cosignatures that verify under the witness's
 * configured key (c2sp.org/tlog-cosignature) to serve with the checkpoint. A 409 answer names
 * the witness's size: the request is made once more from it. A witness that finds the
 * checkpoint inconsistent with what it cosigned (409 at its own size, or 422) is logged and not
 * asked again for that checkpoint. Other failures are retried with a bounded, growing delay;
 * one request per witness is in flight at a time.
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

type Outcome = 'cosigned' | 'retry' | 'done';

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
    let outcome: Outcome = 'retry';
    try {
      for (let attempt = 0; attempt < WITNESS_PUSH_LIMITS.attemptsPerCheckpoint && outcome === 'retry' && !this.#stopped; attempt++) outcome = await this.#attempt(state);
    } finally {
      state.busy = false;
    }
    if (outcome === 'cosigned') {
      state.retryDelayMs = WITNESS_PUSH_LIMITS.retryBaseMs;
      // A newer checkpoint served while this one was on its way goes out at once.
      const served = this.checkpoints.served()?.checkpoint.size;
      if (served !== undefined && served > state.knownSize && !this.#stopped) queueMicrotask(() => void this.#pushTo(state));
    } else if (outcome === 'retry' && !this.#stopped) {
      state.timer = setTimeout(() => void this.#pushTo(state), state.retryDelayMs);
      state.timer.unref();
      state.retryDelayMs = Math.min(state.retryDelayMs * 2, WITNESS_PUSH_LIMITS.retryMaxMs);
    }
  }

  /** Whether the witness cosigned, the request is worth making again, or this checkpoint is done with (nothing to push, or refused as a fork). */
  async #attempt(state: WitnessState): Promise<Outcome> {
    const served = this.checkpoints.served();
    if (served === undefined) return 'done';
    const { checkpoint } = served;
    if (state.knownSize > checkpoint.size) return 'done';
    const proof = state.knownSize === 0 || state.knownSize === checkpoint.size ? [] : await this.consistencyProof(state.knownSize, checkpoint.size);
    const note = `${checkpoint.text}\n${checkpoint.signatureLines.join('')}`;
    const body = formatAddCheckpoint({ oldSize: state.knownSize, proof: proof.map(fromHex), checkpoint: note });
    const url = `${state.witness.url.replace(/\/+$/, '')}/add-checkpoint`;
    const answer = await boundedFetch(url, { method: 'POST', body, timeoutMs: WITNESS_PUSH_LIMITS.requestTimeoutMs, bytesMax: WITNESS_PUSH_LIMITS.answerBytesMax });
    if (!answer.ok) {
      this.logger.warn({ witness: state.witness.verifier.name, detail: answer.message }, 'a witness did not answer');
      return 'retry';
    }
    const text = bodyText(answer.body);
    if (answer.status === 409) {
      const size = parseTlogSize(text);
      if (size !== undefined && size !== state.knownSize) {
        state.knownSize = size;
        return 'retry';
      }
      this.logger.warn({ witness: state.witness.verifier.name, size: checkpoint.size, answer: text.slice(0, 200) }, 'a witness refused the checkpoint as inconsistent with what it cosigned');
      return 'done';
    }
    if (answer.status === 422) {
      this.logger.warn({ witness: state.witness.verifier.name, size: checkpoint.size, from: state.knownSize, answer: text.slice(0, 200) }, 'a witness found the checkpoint does not extend what it cosigned');
      return 'done';
    }
    if (answer.status !== 200) {
      this.logger.warn({ witness: state.witness.verifier.name, status: answer.status, answer: text.slice(0, 200) }, 'a witness refused the checkpoint');
      return 'retry';
    }
    // Only this witness's own key counts; any other line in its answer is ignored.
    const opened = openNote(`${checkpoint.text}\n${text}`, [state.witness.verifier]);
    if (!opened.ok) {
      this.logger.warn({ witness: state.witness.verifier.name, detail: opened.message }, 'a witness answered no valid cosignature');
      return 'retry';
    }
    const cosignature = opened.verified[0]!;
    this.checkpoints.addCosignature(checkpoint.text, cosignature.name, `\u2014 ${cosignature.name} ${cosignature.base64}\n`);
    state.knownSize = checkpoint.size;
    return 'cosigned';
  }
}
