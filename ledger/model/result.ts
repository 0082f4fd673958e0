/**
 * Transaction results (docs/encoding.md, "Result"). Rules run at commit, in block order; a
 * transaction they refuse is still recorded, with a machine-readable reason, and changes nothing.
 */
import { z } from 'zod';
import { LEDGER_LIMITS } from '../limits.js';

export const reasonCode = z
  .string()
  .max(64)
  .regex(/^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/, 'expected a kebab-case reason code such as custody-not-held');

export const transactionResultSchema = z.discriminatedUnion('status', [
  z.strictObject({ status: z.literal('accepted') }),
  z.strictObject({
    status: z.literal('rejected'),
    code: reasonCode,
    message: z.string().max(LEDGER_LIMITS.resultMessageLengthMax),
  }),
]);
export type TransactionResult = z.infer<typeof transactionResultSchema>;

export const ACCEPTED: TransactionResult = Object.freeze({ status: 'accepted' });

export function rejected(code: string, message: string): TransactionResult {
  return { status: 'rejected', code, message: message.slice(0, LEDGER_LIMITS.resultMessageLengthMax) };
}
