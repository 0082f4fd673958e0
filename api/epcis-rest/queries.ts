/**
 * Named queries of the EPCIS REST binding (openapi.yaml: /queries, QueryDefinition; GS1's
 * query-schema.json): a definition maps SimpleEventQuery parameters to a value or a list of
 * alternatives, `{"EQ_bizStep": ["shipping", "receiving"], "eventType": ["ObjectEvent"]}`.
 * Definitions run on the same engine as GET /events and /v1/events (api/http/event-query.ts): a
 * list becomes that engine's pipe-separated alternatives, and a parameter the engine does not
 * know is refused when the query is created, not when it runs.
 */
import { z } from 'zod';
import { ApiError } from '../../node/http/errors.js';
import { ALTERNATIVES_MAX, eventQuerySchema, type EventQueryParameters } from '../http/event-query.js';
import type { QueryDefinition } from './store.js';

/** A query name: short, and safe in a URL path segment and a store key. */
export const queryNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a query name is 1-64 of A-Z a-z 0-9 . _ -, starting with a letter or digit');

const definitionSchema = z.record(z.string().max(64), z.union([z.string().max(2048), z.array(z.string().max(2048)).min(1).max(ALTERNATIVES_MAX)])).refine((definition) => Object.keys(definition).length <= 32, 'a query has at most 32 parameters');

export const namedQueryBody = z.strictObject({ name: queryNameSchema, query: definitionSchema });

/** The criteria a definition stands for, or a 400 naming the parameter. */
export function queryParameters(definition: QueryDefinition): EventQueryParameters {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(definition)) {
    if (name === 'perPage' || name === 'nextPageToken') throw new ApiError(400, 'bad-query', `query.${name}: paging is chosen when the query's events are read, not in its definition`, `query.${name}`);
    if (Array.isArray(value) && value.some((entry) => entry.includes('|'))) throw new ApiError(400, 'bad-query', `query.${name}: alternatives are listed as an array, each without |`, `query.${name}`);
    flat[name] = Array.isArray(value) ? value.join('|') : value;
  }
  const parsed = eventQuerySchema.safeParse(flat);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = issue.code === 'unrecognized_keys' ? issue.keys[0]! : issue.path.map(String).join('.');
    throw new ApiError(400, 'bad-query', issue.code === 'unrecognized_keys' ? `query.${key}: is not a query parameter Custodia supports` : `query.${key}: ${issue.message}`, `query.${key}`);
  }
  return parsed.data;
}
