/**
 * The simulator's "disk rolled back" fault (issue 13): a crashed validator's consensus store loses
 * its latest writes (1 to 16) while its ledger stays. With the safety floor switched off (a
 * test-only switch) the checker finds a double vote within a few seeds; with it on, those seeds'
 * restarted validators resume above the certificates they still hold. The kind stays out of the
 * seed rotation (scenarios.ts KNOWN_LIMIT_KINDS): a rollback deeper than the last certificate
 * held can still sign twice with the floor on, which docs/consensus.md states as a limit.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../tools/sim/run.js';
import { isScenarioKind, kindForSeed, KNOWN_LIMIT_KINDS } from '../../../tools/sim/scenarios.js';

const SEED_BOUND = 10;

describe('a rolled-back consensus store', () => {
  it('without the floor, a restarted validator signs a second vote for a round, and the checker finds it', () => {
    let found: string | undefined;
    for (let seed = 1; seed <= SEED_BOUND && found === undefined; seed++) {
      const result = runScenario({ seed, validators: 4, byzantine: 0, kind: 'consensus-store-rolled-back', unsafeTestSwitches: { skipSafetyFloor: true }, trace: true });
      expect(result.trace!.some((line) => / consensus store of v\d+ rolled back [1-9]\d* writes$/.test(line))).toBe(true);
      found = result.safetyViolations.find((violation) => violation.includes('double vote: '));
    }
    expect(found, `no double vote within ${SEED_BOUND} seeds`).toMatch(/double vote: v\d+ signed votes for [0-9a-f]{12} and [0-9a-f]{12} in round \d+/);
  });

  it('is a kind of its own, runnable by name, outside the seed rotation', () => {
    expect(isScenarioKind('consensus-store-rolled-back')).toBe(true);
    for (let seed = 1; seed <= 60; seed++) for (const byzantine of [0, 1]) expect(KNOWN_LIMIT_KINDS).not.toContain(kindForSeed(seed, byzantine));
  });
});
