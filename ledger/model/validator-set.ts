/**
 * The validator set: who may vote, and how many votes make a quorum. With n validators the
 * protocol tolerates f = floor((n - 1) / 3) Byzantine ones and needs n - f votes, so that any
 * two quorums share at least f + 1 validators, one of them honest.
 */
import { z } from 'zod';
import { checkRegistrableKey } from '../crypto/ed25519.js';
import { fromHex } from '../encoding/hex.js';
import { LEDGER_LIMITS } from '../limits.js';
import { identifier, publicKeyHex } from './primitives.js';

/**
 * A validator set change must be approved at least this many blocks before the height where it
 * takes effect. Consensus relies on it: a validator that has executed through height h knows
 * every set change that can take effect at or below h + this notice, so it can tell, for each
 * block it votes on, which set certifies it (docs/consensus.md, "Validator-set epochs").
 */
export const VALIDATOR_SET_CHANGE_NOTICE_BLOCKS = 10;

export const validatorSchema = z.strictObject({
  id: identifier,
  publicKey: publicKeyHex,
  /** Where peers reach it (host:port); the operator's config may override. */
  address: z.string().max(256).optional(),
});
export type Validator = z.infer<typeof validatorSchema>;

export interface ValidatorEntry {
  readonly id: string;
  readonly index: number;
  readonly publicKey: Uint8Array;
  readonly publicKeyHex: string;
}

export type ValidatorSetResult = { ok: true; set: ValidatorSet } | { ok: false; message: string; path: string };

export class ValidatorSet {
  readonly size: number;
  /** The most Byzantine validators the set tolerates. */
  readonly faultsTolerated: number;
  /** Votes needed for a certificate: n - f. */
  readonly quorum: number;
  private readonly byId: Map<string, ValidatorEntry>;

  private constructor(readonly validators: readonly ValidatorEntry[]) {
    this.size = validators.length;
    this.faultsTolerated = Math.floor((this.size - 1) / 3);
    this.quorum = this.size - this.faultsTolerated;
    this.byId = new Map(validators.map((validator) => [validator.id, validator]));
  }

  /** Refuses duplicate ids or keys and keys of small or mixed order (the registration rule). */
  static create(validators: readonly Validator[]): ValidatorSetResult {
    if (validators.length === 0) return { ok: false, message: 'the validator set is empty', path: 'validators' };
    if (validators.length > LEDGER_LIMITS.validatorsMax) {
      return { ok: false, message: `at most ${LEDGER_LIMITS.validatorsMax} validators`, path: 'validators' };
    }
    const ids = new Set<string>();
    const keys = new Set<string>();
    const entries: ValidatorEntry[] = [];
    for (const [index, validator] of validators.entries()) {
      const path = `validators.${index}`;
      if (ids.has(validator.id)) return { ok: false, message: `validator id ${validator.id} appears twice`, path: `${path}.id` };
      if (keys.has(validator.publicKey)) return { ok: false, message: `validator ${validator.id} reuses another validator's key`, path: `${path}.publicKey` };
      const publicKey = fromHex(validator.publicKey);
      const keyCheck = checkRegistrableKey(publicKey);
      if (!keyCheck.ok) return { ok: false, message: `validator ${validator.id}: ${keyCheck.message}`, path: `${path}.publicKey` };
      ids.add(validator.id);
      keys.add(validator.publicKey);
      entries.push({ id: validator.id, index, publicKey, publicKeyHex: validator.publicKey });
    }
    return { ok: true, set: new ValidatorSet(entries) };
  }

  get(id: string): ValidatorEntry | undefined {
    return this.byId.get(id);
  }

  at(index: number): ValidatorEntry {
    const validator = this.validators[index];
    if (validator === undefined) throw new RangeError(`no validator at index ${index}`);
    return validator;
  }
}
