/**
 * zod schemas of response bodies shared by several routes. They are not used to validate what the
 * server sends (the server builds those values itself); they document it in the OpenAPI document,
 * whose tests check real responses against them.
 */
import { z } from 'zod';
import { blockHeaderSchema } from '../../ledger/model/block.js';
import { quorumCertificateSchema } from '../../ledger/model/certificate.js';
import { transactionResultSchema } from '../../ledger/model/result.js';

export const apiErrorSchema = z
  .strictObject({
    code: z.string().describe('a machine-readable kebab-case code'),
    message: z.string().describe('what is wrong, naming the field'),
    path: z.string().describe('the field (query parameter, path parameter, header or body path) concerned; empty when none'),
  })
  .describe('every error response of the API');

export const hash = z.string().regex(/^[0-9a-f]{64}$/);

export const shipmentSchema = z.object({ from: z.string(), to: z.string(), quantity: z.number().optional(), eventId: z.string() });

/** contracts/rules/inventory.ts TracedRecord: what the consortium knows about one item or lot now. */
export const tracedRecordSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['instance', 'class']),
    commissionedBy: z.string(),
    commissionedIn: z.string(),
    possessor: z.string().optional(),
    holdings: z.record(z.string(), z.number()).optional(),
    unit: z.string().optional().describe('a lot: the unit its quantities are counted in (UN/CEFACT rec. 20, e.g. KGM)'),
    status: z.enum(['active', 'consumed', 'destroyed']),
    inTransit: z.array(shipmentSchema),
    parent: z.string().optional(),
    containers: z.array(z.string()).optional().describe('a lot: the containers holding some of it'),
    children: z.array(z.string()),
    derivedFrom: z.array(z.string()),
    derivedInto: z.array(z.string()),
    temperatureRange: z.object({ minimum: z.number(), maximum: z.number() }).optional(),
    quarantine: z.object({ eventId: z.string(), reason: z.string() }).optional(),
    excursions: z.number().int(),
    recalls: z.array(z.string()),
  })
  .describe('the current custody record of an item (EPC) or lot (EPC class)');

export const blockSummarySchema = z.object({
  height: z.number().int(),
  hash,
  header: blockHeaderSchema,
  certificate: quorumCertificateSchema,
  transactions: z.array(z.object({ id: hash, type: z.string(), result: transactionResultSchema })),
});

export { transactionResultSchema, blockHeaderSchema, quorumCertificateSchema };
