/**
 * Fault control for chaos runs (`custodia chaos`, issue 13): `POST /faults` on the monitoring
 * listener isolates this validator from every peer, or heals it, through the transport's frame
 * hooks (node/transport/faults.ts), so a partition needs no root and no netem; and it skews the
 * clock the consensus core runs on. `GET /faults` says what is in force.
 *
 * It is mounted only when the config sets `faults.control: true` (testnets written for chaos),
 * and the validator logs a warning at start when it is: an operator's network never has it. The
 * body is parsed by the same strict reader as the API's.
 */
import { Router } from 'express';
import { z } from 'zod';
import { describeZodError } from '../../ledger/model/zod-errors.js';
import { CLOCK_FAULT_OFFSET_MAX_MS } from '../config.js';
import type { TransportFaults } from '../transport/faults.js';
import { ApiError } from './errors.js';
import { jsonBody, rawBody } from './json-body.js';

const FAULT_BODY_BYTES_MAX = 4096;

const faultRequest = z
  .strictObject({
    /** true: drop every frame to and from every peer; false: heal. */
    isolated: z.boolean().optional(),
    /** Added to the consensus clock (negative: slow); 0 heals. */
    clockOffsetMs: z.number().int().min(-CLOCK_FAULT_OFFSET_MAX_MS).max(CLOCK_FAULT_OFFSET_MAX_MS).optional(),
  })
  .refine((request) => request.isolated !== undefined || request.clockOffsetMs !== undefined, 'give isolated, clockOffsetMs or both');

export interface FaultControlTarget {
  faults: TransportFaults;
  /** Every other validator this one knows, so that isolation covers peers not yet connected. */
  peers(): readonly string[];
  setClockOffsetMs(offsetMs: number): void;
  /** The skew in force at start (the config's faults.clockOffsetMs). */
  clockOffsetMs: number;
}

export function faultControlRoutes(target: FaultControlTarget): Router {
  const router = Router();
  let isolated = false;
  let clockOffsetMs = target.clockOffsetMs;
  router.get('/faults', (_request, response) => void response.json({ isolated, clockOffsetMs }));
  router.post('/faults', rawBody(FAULT_BODY_BYTES_MAX), (request, response) => {
    const parsed = faultRequest.safeParse(jsonBody(request, FAULT_BODY_BYTES_MAX));
    if (!parsed.success) {
      const described = describeZodError(parsed.error);
      throw new ApiError(400, 'bad-fault', described.message, described.path);
    }
    if (parsed.data.isolated !== undefined) {
      isolated = parsed.data.isolated;
      if (isolated) target.faults.isolate(target.peers());
      else target.faults.heal();
    }
    if (parsed.data.clockOffsetMs !== undefined) {
      clockOffsetMs = parsed.data.clockOffsetMs;
      target.setClockOffsetMs(clockOffsetMs);
    }
    response.json({ isolated, clockOffsetMs });
  });
  return router;
}
