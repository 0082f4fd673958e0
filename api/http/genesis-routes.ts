/**
 * GET /v1/genesis: the genesis document this node runs and its hash. An auditor should take the
 * validator keys it trusts from its own copy of the genesis; the hash lets it compare that copy
 * with what the node serves (the web UI shows it beside every verification).
 */
import { Router } from 'express';
import { z } from 'zod';
import type { ValidatorContext } from '../../node/validator.js';
import type { Operation } from './operations.js';

export const genesisResponse = z.object({ hash: z.string().regex(/^[0-9a-f]{64}$/), genesis: z.record(z.string(), z.unknown()) });

export const genesisOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/genesis',
    operationId: 'genesis',
    summary: 'the genesis document and its hash',
    description: 'Public: it holds only the chain id, the validators and the consortium registry (ids, names, roles, public keys).',
    tags: ['ledger'],
    access: 'public',
    responses: { 200: { description: 'the genesis and its hash', schema: genesisResponse } },
    errors: {},
  },
];

export function genesisRoutes(context: ValidatorContext): Router {
  const router = Router();
  router.get('/v1/genesis', (_request, response) => {
    response.json({ hash: context.genesisHash, genesis: context.genesis });
  });
  return router;
}
