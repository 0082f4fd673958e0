/**
 * Parsing of query strings and path parameters with zod (issue 6: every query string parsed with
 * zod, every error JSON {code, message, path} naming the field). The schemas passed here are the
 * same objects the OpenAPI document is generated from, so the documentation cannot drift from
 * what the server accepts.
 */
import type { Request } from 'express';
import { z } from 'zod';
import { timestampMilliseconds } from '../../contracts/epcis/index.js';
import { ApiError } from '../../node/http/errors.js';
import { decimalInteger } from '../../node/http/integers.js';

/** Any one query value or path parameter, in UTF-16 code units: longer input is refused, never scanned. */
export const PARAMETER_LENGTH_MAX = 2048;

export type RequestPart = 'query' | 'params';

const CODES: Record<RequestPart, string> = { query: 'bad-query', params: 'bad-parameter' };

/** The first issue as {code, message, path}; unknown members are named by their key. */
function apiErrorOf(error: z.ZodError, part: RequestPart): ApiError {
  const issue = error.issues[0];
  if (issue === undefined) return new ApiError(400, CODES[part], 'invalid request');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    return new ApiError(400, CODES[part], `${key}: is not a parameter of this request`, key);
  }
  const path = issue.path.map(String).join('.');
  return new ApiError(400, CODES[part], path === '' ? issue.message : `${path}: ${issue.message}`, path);
}

/** The query of a route that takes none: any parameter is refused (built once, not per request). */
export const noQuery = z.strictObject({});

export function parseRequestPart<Schema extends z.ZodType>(schema: Schema, request: Request, part: RequestPart): z.output<Schema> {
  const parsed = schema.safeParse(part === 'query' ? request.query : request.params);
  if (!parsed.success) throw apiErrorOf(parsed.error, part);
  return parsed.data;
}

/** An EPC, EPC class or other identifier as it appears in events: an absolute URI without spaces. */
export const identifierParameter = z
  .string()
  .min(1, 'must not be empty')
  .max(512, 'must be at most 512 characters')
  .regex(/^[A-Za-z][A-Za-z0-9+.-]*:[^\s\u0000-\u001f\u007f]+$/, 'expected an EPC or EPC class URI such as urn:epc:id:sgtin:0614141.107346.2018');

export const transactionIdParameter = z.string().regex(/^[0-9a-f]{64}$/, 'expected a transaction id: 64 lowercase hex digits');

/** A positive integer in a query string or path (heights, log sizes, counts): decimal digits only. */
export function positiveIntegerParameter(maximum = Number.MAX_SAFE_INTEGER) {
  return decimalInteger(1, maximum);
}

const MILLISECONDS_PER_DAY = 86_400_000;

/** A date (2026-01-31, midnight UTC) or an RFC 3339 date-time with its zone, as milliseconds; `dayEnd` turns a bare date into the end of that day. */
function dateParameter(dayEnd: boolean) {
  return z
    .string()
    .max(64)
    .transform((value, context) => {
      const bareDate = /^\d{4}-\d{2}-\d{2}$/.test(value);
      const milliseconds = timestampMilliseconds(bareDate ? `${value}T00:00:00Z` : value);
      if (milliseconds === undefined) {
        context.addIssue({ code: 'custom', message: 'expected a date (2026-01-31) or an RFC 3339 date-time with a time zone' });
        return z.NEVER;
      }
      return bareDate && dayEnd ? milliseconds + MILLISECONDS_PER_DAY : milliseconds;
    })
    .optional();
}

/** The start of a range, inclusive. */
export const rangeStartParameter = dateParameter(false);
/** The end of a range: a bare date includes that whole day; an instant is exclusive. */
export const rangeEndParameter = dateParameter(true);
