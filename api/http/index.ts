/**
 * The query API of a validator (issue 6: queries, proofs, approvals, exports, streams, access and
 * the OpenAPI document), mounted by node/validator.ts after its own submission and block routes:
 * `startValidator(config, { routes: apiRoutes })`. Each router serves one concern; their
 * operation descriptions together make GET /v1/openapi.json. Unknown /v1/ paths answer with a
 * JSON 404 like every other error. /epcis is the GS1 EPCIS 2.0 REST binding (api/epcis-rest,
 * docs/epcis.md), whose errors are problem+json. Everything else is the auditor web UI (api/ui).
 */
import { Router } from 'express';
import { ApiError } from '../../node/http/errors.js';
import type { ValidatorContext } from '../../node/validator.js';
import { ReadAccess } from './access.js';
import { approvalOperations, approvalRoutes } from './approval-routes.js';
import { blockEventOperations, blockEventRoutes } from './block-event-routes.js';
import { blockListOperations, blockListRoutes } from './block-list-routes.js';
import { captureOperations, captureRoutes } from './capture-routes.js';
import { eventOperations, eventRoutes } from './event-routes.js';
import { exportOperations, exportRoutes } from './export-routes.js';
import { genesisOperations, genesisRoutes } from './genesis-routes.js';
import { itemOperations, itemRoutes } from './item-routes.js';
import { openApiOperations, openApiRoutes } from './openapi.js';
import type { Operation } from './operations.js';
import { proofOperations, proofRoutes } from './proof-routes.js';
import { recallOperations, recallRoutes } from './recall-routes.js';
import { searchOperations, searchRoutes } from './search-routes.js';
import { stateProofOperations, stateProofRoutes } from './state-proof-routes.js';
import { streamOperations, streamRoutes, type StreamOptions } from './stream-routes.js';
import { submissionOperations } from './submission-operations.js';
import { uiRoutes } from '../ui/serve.js';
import { tlogProofOperations, tlogRoutes } from './tlog-routes.js';
import { EPCIS_BASE_PATH, validatorEpcisRoutes, type EpcisRestOptions } from '../epcis-rest/index.js';

export interface ApiRouteOptions {
  stream?: StreamOptions;
  /** The GS1 EPCIS REST binding at /epcis: extra formats (EPCIS XML), webhook timings. */
  epcis?: EpcisRestOptions;
}

/** Every operation the node serves, its own submission routes included. */
export const API_OPERATIONS: readonly Operation[] = [
  ...submissionOperations,
  ...captureOperations,
  ...eventOperations,
  ...itemOperations,
  ...searchOperations,
  ...recallOperations,
  ...blockListOperations,
  ...blockEventOperations,
  ...proofOperations,
  ...stateProofOperations,
  ...tlogProofOperations,
  ...approvalOperations,
  ...exportOperations,
  ...streamOperations,
  ...openApiOperations,
  ...genesisOperations,
];

export function apiRoutes(context: ValidatorContext, options: ApiRouteOptions = {}): Router {
  const access = new ReadAccess(context);
  const router = Router();
  router.use(captureRoutes(context));
  router.use(eventRoutes(context, access));
  router.use(itemRoutes(context, access));
  router.use(searchRoutes(context, access));
  router.use(recallRoutes(context, access));
  router.use(blockListRoutes(context));
  router.use(blockEventRoutes(context, access));
  router.use(tlogRoutes(context, access));
  router.use(proofRoutes(context, access));
  router.use(stateProofRoutes(context, access));
  router.use(approvalRoutes(context, access));
  router.use(exportRoutes(context, access));
  router.use(streamRoutes(context, access, options.stream));
  router.use(openApiRoutes(context, () => API_OPERATIONS));
  router.use(genesisRoutes(context));
  // The GS1 EPCIS 2.0 REST binding, for EPCIS tools as they are (docs/epcis.md).
  router.use(EPCIS_BASE_PATH, validatorEpcisRoutes(context, access, options.epcis));
  router.use('/v1', (request) => {
    throw new ApiError(404, 'no-such-route', `no route ${request.method} ${request.originalUrl.split('?')[0]}`, '');
  });
  // The auditor web UI, outside /v1.
  router.use(uiRoutes());
  return router;
}

export { ReadAccess } from './access.js';
export type { Reader } from './access.js';
