/** EPCIS builders for contract tests: api/epcis-builders.ts on a counting clock that a test can reset. */
import { createEventBuilders } from '../../../api/epcis-builders.js';

let minute = 0;

/** Event times count up from one clock so that events differ; a run that must repeat exactly resets it. */
export function resetEventTimes(): void {
  minute = 0;
}

const builders = createEventBuilders(() => {
  minute += 1;
  return new Date(Date.UTC(2026, 2, 1, 8, 0, 0) + minute * 60_000).toISOString();
});

export const { objectEvent, commissioning, commissionLot, shipping, receiving, temperatureReading, aggregation, transformation } = builders;
export const capture = builders.capture.bind(builders);
export const epcisDocument = builders.document.bind(builders);
