/**
 * The stage measurement (tools/bench/stages.ts): every stage of one validator's pipeline runs on
 * real signed captures through execution and the block store, and each is reported as CPU per
 * transaction, the total their sum. Figures are measured, never asserted against a bound.
 */
import { describe, expect, it } from 'vitest';
import { runStages, STAGES } from '../../tools/bench/stages.js';

describe('custodia stage measurement', () => {
  it('runs every stage on accepted transactions and reports CPU per transaction for each', async () => {
    const result = await runStages({ transactions: 24, block: 12, repeats: 1, profile: undefined, json: true });
    expect(result).toMatchObject({ transactions: 24, block: 12, repeats: 1 });
    for (const stage of STAGES) expect(result.microsPerTransaction[stage], stage).toBeGreaterThan(0);
    const sum = STAGES.reduce((total, stage) => total + result.microsPerTransaction[stage], 0);
    expect(result.microsPerTransaction.total).toBeCloseTo(sum, 0);
  });
});
