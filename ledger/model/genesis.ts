/**
 * The genesis document (docs/encoding.md, "Genesis"): the chain id, the start time, the first
 * validator set, and the consortium's initial state, which contracts/ defines and validates
 * (participants, admins, approval thresholds). Its hash is the `prevHash` of block 1, so every
 * block chains back to exactly one genesis.
 */
import { z } from 'zod';
import { canonicalBytes } from '../encoding/canonical-json.js';
import { toHex } from '../encoding/hex.js';
import { sha256 } from '../crypto/sha256.js';
import { LEDGER_LIMITS } from '../limits.js';
import { chainId, jsonValue, unixMilliseconds } from './primitives.js';
import { validatorSchema, ValidatorSet } from './validator-set.js';
import { describeZodError } from './zod-errors.js';

export const genesisSchema = z.strictObject({
  chainId,
  genesisTime: unixMilliseconds,
  validators: z.array(validatorSchema).min(1).max(LEDGER_LIMITS.validatorsMax),
  consortium: jsonValue.default({}),
});
export type Genesis = z.infer<typeof genesisSchema>;

export function genesisHash(genesis: Genesis): string {
  return toHex(sha256(canonicalBytes(genesis)));
}

export type GenesisLoad = { ok: true; genesis: Genesis; hash: string; validators: ValidatorSet } | { ok: false; message: string; path: string };

/** Parses and checks a genesis document; errors name the field. */
export function loadGenesis(input: unknown): GenesisLoad {
  const parsed = genesisSchema.safeParse(input);
  if (!parsed.success) return { ok: false, ...describeZodError(parsed.error) };
  const validators = ValidatorSet.create(parsed.data.validators);
  if (!validators.ok) return { ok: false, message: validators.message, path: validators.path };
  return { ok: true, genesis: parsed.data, hash: genesisHash(parsed.data), validators: validators.set };
}
