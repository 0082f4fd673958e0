/**
 * The simulator's "disk rolled back" fault (issue 13): a crashed validator's consensus store loses
 * its latest writes (1 to 16) while its ledger and its safety record's copy stay (docs/consensus.md
 * section 3, "A rolled-back store"). With neither the copy nor the safety floor the checker finds a
 * double vote within a few seeds; with the floor alone, a rollback that loses the certificate of
 * the round just signed still signs twice (seed 1); with the copy, no seed does, and the kind is
 * part of the seed rotation.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../tools/sim/run.js';
import { isScenarioKind, kindForSeed } from '../../../tools/sim/scenarios.js';

const SEED_BOUND = 10;
const kind = 'consensus-store-rolled-back';

describe('a rolled-back consensus store', () => {
  it('without the copy and the floor, a restarted validator signs a second vote for a round, and the checker finds it', () => {
    let found: string | undefined;
    for (let seed = 1; seed <= SEED_BOUND && found === undefined; seed++) {
      const result = runScenario({ seed, validators: 4, byzantine: 0, kind, unsafeTestSwitches: { skipSafetyFloor: true }, unsafeSimSwitches: { noSafetyRecordCopy: true }, trace: true });
      expect(result.trace!.some((line) => / consensus store of v\d+ rolled back [1-9]\d* writes$/.test(line))).toBe(true);
      found = result.safetyViolations.find((violation) => violation.includes('double vote: '));
    }
    expect(found, `no double vote within ${SEED_BOUND} seeds`).toMatch(/double vote: v\d+ signed votes for [0-9a-f]{12} and [0-9a-f]{12} in round \d+/);
  });

  it('with the floor but without the copy, a rollback past the last certificate still signs twice (seed 1)', () => {
    const result = runScenario({ seed: 1, validators: 4, byzantine: 0, kind, unsafeSimSwitches: { noSafetyRecordCopy: true } });
    expect(result.safetyViolations.some((violation) => violation.includes('double vote: '))).toBe(true);
  });

  it('with the copy, no seed signs twice and every seed commits after the heal', () => {
    for (let seed = 1; seed <= SEED_BOUND; seed++) {
      const result = runScenario({ seed, validators: 4, byzantine: 0, kind });
      expect({ seed, violations: result.safetyViolations, liveness: result.livenessFailure }).toEqual({ seed, violations: [], liveness: null });
    }
  });

  it('is a kind of the seed rotation, runnable by name', () => {
    expect(isScenarioKind(kind)).toBe(true);
    const kinds = new Set(Array.from({ length: 60 }, (_, index) => kindForSeed(index + 1, 0)));
    expect(kinds.has(kind)).toBe(true);
  });
});
