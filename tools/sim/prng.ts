/**
 * The simulator's only source of randomness: xoshiro128** (Blackman and Vigna, 2018) over
 * 32-bit integers. As in FoundationDB's and TigerBeetle's deterministic simulation, every
 * random choice (delays, losses, crashes, workload, Byzantine moves) is drawn from a stream
 * derived from the scenario seed, so one seed replays one run exactly. Math.random is never
 * used: it cannot be seeded.
 *
 * Streams are derived by label (`fork('network')`, `fork('workload')`) from SHA-256 of the
 * seed path rather than drawn from a parent stream, so adding a draw to one concern does not
 * shift the numbers every other concern sees: a scenario stays recognisable across code edits.
 */
import { sha256 } from '../../ledger/crypto/sha256.js';
import { toHex, utf8 } from '../../ledger/encoding/hex.js';

const TWO_TO_THE_32 = 4294967296;

function rotateLeft(value: number, shift: number): number {
  return ((value << shift) | (value >>> (32 - shift))) >>> 0;
}

export class Prng {
  #state0: number;
  #state1: number;
  #state2: number;
  #state3: number;

  private constructor(
    /** The derivation path, e.g. `7/network`: kept so that forks are independent of draws. */
    readonly path: string,
  ) {
    const digest = sha256(utf8(`custodia/sim/prng/${path}`));
    const view = new DataView(digest.buffer, digest.byteOffset, digest.byteLength);
    this.#state0 = view.getUint32(0);
    this.#state1 = view.getUint32(4);
    this.#state2 = view.getUint32(8);
    this.#state3 = view.getUint32(12);
    // xoshiro's one forbidden state; SHA-256 makes it astronomically unlikely, but a zero state would emit zeros forever.
    if ((this.#state0 | this.#state1 | this.#state2 | this.#state3) === 0) this.#state0 = 1;
  }

  static fromSeed(seed: number, label = 'root'): Prng {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`a seed is a safe integer, got ${seed}`);
    return new Prng(`${seed}/${label}`);
  }

  /** An independent stream named by `label`; the same label always gives the same stream. */
  fork(label: string): Prng {
    return new Prng(`${this.path}/${label}`);
  }

  nextUint32(): number {
    const result = Math.imul(rotateLeft(Math.imul(this.#state1, 5) >>> 0, 7), 9) >>> 0;
    const shifted = (this.#state1 << 9) >>> 0;
    this.#state2 = (this.#state2 ^ this.#state0) >>> 0;
    this.#state3 = (this.#state3 ^ this.#state1) >>> 0;
    this.#state1 = (this.#state1 ^ this.#state2) >>> 0;
    this.#state0 = (this.#state0 ^ this.#state3) >>> 0;
    this.#state2 = (this.#state2 ^ shifted) >>> 0;
    this.#state3 = rotateLeft(this.#state3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of precision. */
  nextFloat(): number {
    return this.nextUint32() / TWO_TO_THE_32;
  }

  /** Uniform integer in [0, bound); rejection sampling keeps it unbiased for every bound. */
  intBelow(bound: number): number {
    if (!Number.isInteger(bound) || bound < 1 || bound > TWO_TO_THE_32) throw new RangeError(`intBelow needs an integer bound in [1, 2^32], got ${bound}`);
    const limit = TWO_TO_THE_32 - (TWO_TO_THE_32 % bound);
    for (;;) {
      const value = this.nextUint32();
      if (value < limit) return value % bound;
    }
  }

  /** Uniform integer in [minimum, maximum], both included. */
  intBetween(minimum: number, maximum: number): number {
    if (maximum < minimum) throw new RangeError(`empty range [${minimum}, ${maximum}]`);
    return minimum + this.intBelow(maximum - minimum + 1);
  }

  chance(probability: number): boolean {
    return this.nextFloat() < probability;
  }

  pick<Item>(items: readonly Item[]): Item {
    if (items.length === 0) throw new RangeError('cannot pick from an empty list');
    return items[this.intBelow(items.length)]!;
  }

  /** A shuffled copy (Fisher-Yates). */
  shuffle<Item>(items: readonly Item[]): Item[] {
    const copy = [...items];
    for (let index = copy.length - 1; index > 0; index--) {
      const other = this.intBelow(index + 1);
      const held = copy[index]!;
      copy[index] = copy[other]!;
      copy[other] = held;
    }
    return copy;
  }

  /** `count` distinct items in random order. */
  sample<Item>(items: readonly Item[], count: number): Item[] {
    return this.shuffle(items).slice(0, count);
  }

  /** Random bytes as lowercase hex, e.g. a block hash that names no block. */
  hex(byteCount: number): string {
    const bytes = new Uint8Array(byteCount);
    for (let index = 0; index < byteCount; index++) bytes[index] = this.nextUint32() & 0xff;
    return toHex(bytes);
  }
}
