/**
 * Fault control for chaos runs (`custodia chaos`, issue 13): `POST /faults` on the monitoring
 * listener isolates this validator from every peer, or heals it, through the transport's frame
 * hooks (node/transport/faults.ts), so a partition needs no root and no netem. `GET /faults`
 * says what is in force.
 *
 * It is mounted only when the config sets `faultControl: true` (testnets written for chaos), and
 * the validator logs a warning at start when it is: an operator's network never has it. The body
 * is parsed by the same strict reader as the API's.
 */
import { Router } from 'express';
import { z } from 'zod';
import { describeZodError } from '../../ledger/model/zod-errors.js';
import type { TransportFaults } from '../transport/faults.js';
import { ApiError } from './errors.js';
import { jsonBody, rawBody } from './json-body.js';

const FAULT_BODY_BYTES_MAX = 4096;

const faultRequest = z.strictObject({
  /** true: drop every frame to and from every peer; false: heal. */
  isolated: z.boolean(),
});

export interface FaultControlTarget {
  faults: TransportFaults;
  /** Every other validator this one knows, so that isolation covers peers not yet connected. */
  peers(): readonly string[];
}

export function faultControlRoutes(target: FaultControlTarget): Router {
  const router = Router();
  let isolated = false;
  router.get('/faults', (_request, response) => void response.json({ isolated }));
  router.post('/faults', rawBody(FAULT_BODY_BYTES_MAX), (request, response) => {
    const parsed = faultRequest.safeParse(jsonBody(request, FAULT_BODY_BYTES_MAX));
    if (!parsed.success) {
      const described = describeZodError(parsed.error);
      throw new ApiError(400, 'bad-fault', described.message, described.path);
    }
    isolated = parsed.data.isolated;
    if (isolated) target.faults.isolate(target.peers());
    else target.faults.heal();
    response.json({ isolated });
  });
  return router;
}
