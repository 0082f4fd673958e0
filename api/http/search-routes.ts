/**
 * GET /v1/search?q=: items and lots by what a person types (issue 11, "Search like a person"):
 * the identifier, its GS1 key without the URN prefix, its lot code or serial, its GTIN, or any part
 * of it between separators, or the start of one (`SALAD` finds
 * urn:epc:class:lgtin:0614142.077777.SALAD-7). Exact matches come first, then whole words, then
 * prefixes (ledger/store/auditor-indices.ts). Each result says what the item is now and, from
 * its maker's master data, what product it is. A participant that is not an auditor finds only
 * items whose history it may read, so a search says nothing of others' goods.
 */
import { Router } from 'express';
import { z } from 'zod';
import { AUDITOR_INDEX_LIMITS } from '../../ledger/store/auditor-indices.js';
import { productOf } from '../../contracts/rules/master-data.js';
import { isClassIdentifier, recordKey, type TracedRecord } from '../../contracts/rules/inventory.js';
import type { ValidatorContext } from '../../node/validator.js';
import { readerOf, stateReader, type ReadAccess } from './access.js';
import type { Operation } from './operations.js';
import { readableItems } from './party-rule.js';
import { parseRequestPart, positiveIntegerParameter } from './validation.js';

export const SEARCH_RESULTS_DEFAULT = 20;

export const searchQuery = z.strictObject({
  q: z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters').describe('what to look for: an identifier, a GS1 key, a lot code, a GTIN, or part of one'),
  limit: positiveIntegerParameter(AUDITOR_INDEX_LIMITS.searchResultsMax).optional().describe(`results, 1 to ${AUDITOR_INDEX_LIMITS.searchResultsMax} (default ${SEARCH_RESULTS_DEFAULT})`),
});

export const searchResponse = z.object({
  query: z.string(),
  results: z.array(
    z.object({
      id: z.string(),
      kind: z.enum(['instance', 'class']),
      match: z.enum(['exact', 'word', 'prefix']).describe('exact: the identifier, GS1 key, lot code or GTIN; word: whole words of it; prefix: the start of one'),
      description: z.string().optional().describe("the product, from its maker's master data"),
      status: z.enum(['active', 'consumed', 'destroyed', 'recalled', 'quarantined']).optional().describe('what it is now: recalled and quarantined before the rest'),
    }),
  ),
  complete: z.boolean().describe('false when more matched than were read or returned: type more of it'),
});

export const searchOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/search',
    operationId: 'search',
    summary: 'items and lots by identifier, GS1 key, lot code, GTIN or part of one, exact matches first',
    tags: ['queries'],
    access: 'read',
    query: searchQuery,
    responses: { 200: { description: 'the matches, best first', schema: searchResponse } },
    errors: { 400: ['bad-query'], 401: ['credential-required', 'bad-credential', 'unknown-token', 'stale-signature', 'bad-signature', 'unknown-participant', 'participant-inactive'] },
  },
];

/** One status for what a thing is now: a recall or quarantine says more than "active". */
export function conditionOf(record: Pick<TracedRecord, 'status' | 'recalls' | 'quarantine'>): z.infer<typeof searchResponse>['results'][number]['status'] {
  if (record.recalls.length > 0) return 'recalled';
  if (record.quarantine !== undefined && record.status === 'active') return 'quarantined';
  return record.status;
}

export function searchRoutes(context: ValidatorContext, access: ReadAccess): Router {
  const router = Router();
  const state = stateReader(context.store);
  router.get('/v1/search', access.require, async (request, response) => {
    const { q, limit } = parseRequestPart(searchQuery, request, 'query');
    const reader = readerOf(response);
    const found = await context.store.searchIdentifiers(q, limit ?? SEARCH_RESULTS_DEFAULT);
    const readable = await readableItems(context.store, reader, found.hits.map((hit) => hit.id));
    const hits = found.hits.filter((hit) => readable.has(hit.id));
    const records = (await context.store.getStates(hits.map((hit) => recordKey(hit.id)))) as Array<TracedRecord | undefined>;
    const results: z.input<typeof searchResponse>['results'] = [];
    for (const [index, hit] of hits.entries()) {
      const record = records[index];
      const description = (await productOf(state, hit.id))?.description;
      results.push({
        id: hit.id,
        kind: isClassIdentifier(hit.id) ? 'class' : 'instance',
        match: hit.match,
        ...(description === undefined ? {} : { description }),
        ...(record === undefined ? {} : { status: conditionOf(record) }),
      });
    }
    response.json({ query: q, results, complete: found.complete } satisfies z.input<typeof searchResponse>);
  });
  return router;
}
