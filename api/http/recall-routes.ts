/**
 * GET /v1/recalls/:id/scope: what a recall covers (docs/contracts.md, "Recalls": the target and,
 * transitively, its contents, its containers and everything made from it) and where each of
 * those things is now, so that everyone holding some can act. A recall is a public safety notice:
 * any reader with a credential may read the recall and its scope, whether or not it is a party
 * to the goods; where each thing is now follows the party rule (party-rule.ts): a member the
 * reader is not a party to is listed without its custody.
 */
import { Router } from 'express';
import { z } from 'zod';
import { readRecall } from '../../contracts/queries.js';
import { recordKey, type TracedRecord } from '../../contracts/rules/inventory.js';
import { ApiError } from '../../node/http/errors.js';
import type { ValidatorContext } from '../../node/validator.js';
import { readerOf, stateReader, type ReadAccess } from './access.js';
import { readableItems, redacted, redactedRecordSchema } from './party-rule.js';
import type { Operation } from './operations.js';
import { hash, shipmentSchema } from './schemas.js';
import { parseRequestPart, transactionIdParameter } from './validation.js';

/** State records read in one batch while listing a recall's scope. */
const RECORDS_PER_BATCH = 1000;

export const recallParameters = z.strictObject({ id: transactionIdParameter.describe('the recall id: the id of its recall.issue transaction') });

export const recallScopeResponse = z.object({
  recallId: hash,
  target: z.string(),
  reason: z.string(),
  issuedBy: z.array(z.string()),
  height: z.number().int(),
  timestamp: z.number().int(),
  scope: z.array(z.string()).describe('the target first, then what the recall reached from it, breadth first'),
  members: z.array(
    z.union([
      z.object({
        id: z.string(),
        kind: z.enum(['instance', 'class']),
        status: z.enum(['active', 'consumed', 'destroyed']),
        possessor: z.string().optional(),
        holdings: z.record(z.string(), z.number()).optional(),
        inTransit: z.array(shipmentSchema),
        quarantined: z.boolean(),
      }),
      redactedRecordSchema,
    ]),
  ),
});

export const recallOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/recalls/{id}/scope',
    operationId: 'recallScope',
    summary: 'the scope of a recall and where each recalled thing is now',
    description: 'Readable by every credentialed reader: a recall is a public safety notice.',
    tags: ['queries'],
    access: 'read',
    params: recallParameters,
    responses: { 200: { description: 'the recall and its scope', schema: recallScopeResponse } },
    errors: { 400: ['bad-parameter'], 401: ['credential-required', 'bad-credential', 'unknown-token', 'stale-signature', 'bad-signature', 'unknown-participant', 'participant-inactive'], 404: ['not-found'] },
  },
];

export function recallRoutes(context: ValidatorContext, access: ReadAccess): Router {
  const router = Router();
  const state = stateReader(context.store);
  router.get('/v1/recalls/:id/scope', access.require, async (request, response) => {
    const { id } = parseRequestPart(recallParameters, request, 'params');
    parseRequestPart(z.strictObject({}), request, 'query');
    const recall = await readRecall(state, id);
    if (recall === undefined) throw new ApiError(404, 'not-found', `no recall ${id}`, 'id');
    const members: z.input<typeof recallScopeResponse>['members'] = [];
    const reader = readerOf(response);
    for (let start = 0; start < recall.scope.length; start += RECORDS_PER_BATCH) {
      const ids = recall.scope.slice(start, start + RECORDS_PER_BATCH);
      const records = (await context.store.getStates(ids.map(recordKey))) as Array<TracedRecord | undefined>;
      const readable = await readableItems(context.store, reader, ids);
      for (const record of records) {
        if (record === undefined) continue;
        if (!readable.has(record.id)) {
          members.push(redacted(record));
          continue;
        }
        members.push({
          id: record.id,
          kind: record.kind,
          status: record.status,
          ...(record.possessor === undefined ? {} : { possessor: record.possessor }),
          ...(record.holdings === undefined ? {} : { holdings: record.holdings }),
          inTransit: record.inTransit,
          quarantined: record.quarantine !== undefined,
        });
      }
    }
    response.json({ ...recall, members });
  });
  return router;
}
