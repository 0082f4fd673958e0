/**
 * GET /v1/recalls/:id/scope: what a recall covers (docs/contracts.md, "Recalls": the target and,
 * transitively, its contents, its containers and everything made from it) and where each of
 * those things is now, so that everyone holding some can act. A recall is a public safety notice:
 * any reader with a credential may read the recall and its scope, whether or not it is a party
 * to the goods; where each thing is now follows the party rule (party-rule.ts): a member the
 * reader is not a party to is listed without its custody.
 */
import { Router, type Request } from 'express';
import { z } from 'zod';
import { readParticipant } from '../../contracts/participants.js';
import { readRecall } from '../../contracts/queries.js';
import { productOf } from '../../contracts/rules/master-data.js';
import { recordKey, type TracedRecord } from '../../contracts/rules/inventory.js';
import { ApiError } from '../../node/http/errors.js';
import type { ValidatorContext } from '../../node/validator.js';
import { readerOf, stateReader, type ReadAccess, type Reader } from './access.js';
import { csvTable } from './fsma204.js';
import { readableItems, redacted, redactedRecordSchema } from './party-rule.js';
import type { Operation } from './operations.js';
import { hash, shipmentSchema } from './schemas.js';
import { noQuery, parseRequestPart, transactionIdParameter } from './validation.js';

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
        unit: z.string().optional().describe('a lot: the unit its holdings are counted in'),
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
  {
    method: 'get',
    path: '/v1/recalls/{id}/scope.csv',
    operationId: 'recallScopeCsv',
    summary: 'the scope of a recall as a spreadsheet: one row per holder of each recalled thing',
    description: 'RFC 4180 CSV, as the FSMA 204 export. The party rule applies as for the JSON scope.',
    tags: ['exports'],
    access: 'read',
    params: recallParameters,
    responses: { 200: { description: 'RFC 4180 CSV with a header row', contentType: 'text/csv', schema: z.string() } },
    errors: { 400: ['bad-parameter'], 401: ['credential-required', 'bad-credential', 'unknown-token', 'stale-signature', 'bad-signature', 'unknown-participant', 'participant-inactive'], 404: ['not-found'] },
  },
];

type ScopeMember = z.input<typeof recallScopeResponse>['members'][number];

/** Where each thing in a recall's scope is now, as this reader may see it. */
async function scopeMembers(context: ValidatorContext, reader: Reader, scope: readonly string[]): Promise<ScopeMember[]> {
  const members: ScopeMember[] = [];
  for (let start = 0; start < scope.length; start += RECORDS_PER_BATCH) {
    const ids = scope.slice(start, start + RECORDS_PER_BATCH);
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
        ...(record.unit === undefined ? {} : { unit: record.unit }),
        inTransit: record.inTransit,
        quarantined: record.quarantine !== undefined,
      });
    }
  }
  return members;
}

export const RECALL_CSV_COLUMNS = ['Recalled', 'Kind', 'Product', 'Status', 'Held by', 'Quantity', 'Unit of Measure', 'In transit to', 'Quarantined', 'Recall ID', 'Reason'] as const;

export function recallRoutes(context: ValidatorContext, access: ReadAccess): Router {
  const router = Router();
  const state = stateReader(context.store);

  const recallOf = async (request: Request) => {
    const { id } = parseRequestPart(recallParameters, request, 'params');
    parseRequestPart(noQuery, request, 'query');
    const recall = await readRecall(state, id);
    if (recall === undefined) throw new ApiError(404, 'not-found', `no recall ${id}`, 'id');
    return recall;
  };

  router.get('/v1/recalls/:id/scope', access.require, async (request, response) => {
    const recall = await recallOf(request);
    response.json({ ...recall, members: await scopeMembers(context, readerOf(response), recall.scope) } satisfies z.input<typeof recallScopeResponse>);
  });

  // One row per holder of each thing in scope (a lot held by three parties is three rows), so a recall coordinator can call each.
  router.get('/v1/recalls/:id/scope.csv', access.require, async (request, response) => {
    const recall = await recallOf(request);
    const members = await scopeMembers(context, readerOf(response), recall.scope);
    const names = new Map<string, string>();
    const nameOf = async (id: string) => {
      if (!names.has(id)) names.set(id, (await readParticipant(state, id))?.name ?? '');
      const name = names.get(id)!;
      return name === '' ? id : `${name} (${id})`;
    };
    const rows: Array<Record<(typeof RECALL_CSV_COLUMNS)[number], string | number>> = [];
    for (const member of members) {
      const product = (await productOf(state, member.id))?.description ?? '';
      const base = { Recalled: member.id, Kind: member.kind === 'class' ? 'lot' : 'item', Product: product, 'Recall ID': recall.recallId, Reason: recall.reason };
      if ('redacted' in member) {
        rows.push({ ...base, Status: 'recalled', 'Held by': 'not shared with you', Quantity: '', 'Unit of Measure': '', 'In transit to': '', Quarantined: '' });
        continue;
      }
      const common = { ...base, Status: member.status === 'active' ? 'recalled' : `recalled, ${member.status}`, Quarantined: member.quarantined ? 'yes' : 'no' };
      const inTransit = (await Promise.all(member.inTransit.map(async (shipment) => `${await nameOf(shipment.to)}${shipment.quantity === undefined ? '' : `: ${shipment.quantity}`}`))).join('; ');
      const holders: Array<[string, number | '']> = member.kind === 'instance' ? (member.possessor === undefined ? [] : [[member.possessor, 1]]) : Object.entries(member.holdings ?? {});
      if (holders.length === 0) rows.push({ ...common, 'Held by': '', Quantity: '', 'Unit of Measure': '', 'In transit to': inTransit });
      for (const [holder, quantity] of holders) {
        rows.push({ ...common, 'Held by': await nameOf(holder), Quantity: quantity, 'Unit of Measure': member.kind === 'class' ? (member.unit ?? '') : 'EA', 'In transit to': inTransit });
      }
    }
    response.setHeader('Content-Disposition', `attachment; filename="recall-${recall.recallId.slice(0, 12)}.csv"`);
    response.type('text/csv; charset=utf-8; header=present').send(csvTable(RECALL_CSV_COLUMNS, rows));
  });
  return router;
}
