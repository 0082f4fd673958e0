/**
 * Integers in paths and query strings: plain decimal digits, without sign, leading zeros,
 * exponent, fraction or hexadecimal (`1e3`, `0x10`, ` 7`, `07` are refused), within a named
 * range. zod's coerce would take anything Number() takes, so `/v1/blocks/0x10` would be block 16.
 */
import { z } from 'zod';

const DECIMAL_PATTERN = /^(?:0|[1-9][0-9]{0,15})$/;

export function decimalInteger(minimum: number, maximum = Number.MAX_SAFE_INTEGER) {
  return z
    .string()
    .regex(DECIMAL_PATTERN, 'expected a decimal integer (digits only, no leading zeros)')
    .transform(Number)
    .pipe(z.number().int().min(minimum, `must be at least ${minimum}`).max(maximum, `must be at most ${maximum}`));
}
