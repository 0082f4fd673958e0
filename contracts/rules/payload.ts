/** Parses a contract's payload with its zod schema; a mismatch is a `malformed-payload` refusal naming the field. */
import type { z } from 'zod';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { describeZodError } from '../../ledger/model/zod-errors.js';
import { refuse, type Refusal } from '../reasons.js';

export function parsePayload<Schema extends z.ZodType>(schema: Schema, payload: JsonValue): { ok: true; value: z.infer<Schema> } | Refusal {
  const parsed = schema.safeParse(payload);
  if (parsed.success) return { ok: true, value: parsed.data };
  const { path, message } = describeZodError(parsed.error);
  return refuse('malformed-payload', path === '' ? `payload: ${message}` : `payload.${message}`);
}
