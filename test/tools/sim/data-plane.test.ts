/**
 * The simulator's data plane (docs/consensus.md, sections 2 "Payloads: references, not bodies"
 * and 7): proposals carry only transaction ids, bodies are relayed at admission over the same
 * lossy, delayed links, and a validator that lacks bodies answers 'missing-transactions',
 * fetches them (proposer first) and votes only once it holds them. Covered here: runs where
 * bodies arrive after the proposals naming them, Byzantine leaders proposing ids no one has (or
 * a mix of known and unknown ones) over many seeds, and a switch that breaks the rule on honest
 * validators to show the data-availability checkers fire.
 */
import { describe, expect, it } from 'vitest';
import { describeFailure, runScenario, type ScenarioResult } from '../../../tools/sim/run.js';
import type { ScenarioKind } from '../../../tools/sim/scenarios.js';

function byzantineFor(validators: number): number {
  return Math.floor((validators - 1) / 3);
}

function expectSafeAndLive(result: ScenarioResult): void {
  expect(result.safetyViolations, describeFailure(result)).toEqual([]);
  expect(result.livenessFailure, describeFailure(result)).toBeNull();
  expect(result.commitsMin).toBeGreaterThan(0);
}

/**
 * Validators that received a proposal, then wanted and received bodies for it, and only then
 * voted for it: the whole fetch path, read off the trace in order.
 */
function fetchedThenVoted(trace: readonly string[]): Set<string> {
  const proposed = new Map<string, string>();
  const fetched = new Set<string>();
  const found = new Set<string>();
  for (const line of trace) {
    let match = / deliver \S+->(v\d+) proposal r\d+ h\d+ ([0-9a-f]{8}) /.exec(line);
    if (match !== null) {
      proposed.set(`${match[1]}|${match[2]}`, line);
      continue;
    }
    match = / deliver \S+->(v\d+) tx-bodies ([0-9a-f]{8}) /.exec(line);
    if (match !== null) {
      if (proposed.has(`${match[1]}|${match[2]}`)) fetched.add(`${match[1]}|${match[2]}`);
      continue;
    }
    match = / deliver (v\d+)->\S+ vote (v\d+) r\d+ h\d+ ([0-9a-f]{8})/.exec(line);
    if (match !== null && match[1] === match[2] && fetched.has(`${match[1]}|${match[3]}`)) found.add(`${match[1]}|${match[3]}`);
  }
  return found;
}

describe('bodies that arrive after the proposals naming them', () => {
  it.each([
    [1, 4, 'late-bodies'],
    [2, 4, 'late-bodies'],
    [3, 7, 'late-bodies'],
    [4, 4, 'lossy'],
    [5, 7, 'lossy'],
  ] as Array<[number, number, ScenarioKind]>)('seed %i, %i validators (%s): missing-transactions, wants and fetched bodies happen, and the run stays safe and live', (seed, validators, kind) => {
    const result = runScenario({ seed, validators, byzantine: byzantineFor(validators), kind, trace: true });
    expectSafeAndLive(result);
    const data = result.data;
    expect(data.relaysSent).toBeGreaterThan(0);
    expect(data.relaysReceived).toBeGreaterThan(0);
    expect(data.missingVerdicts).toBeGreaterThan(0);
    expect(data.wantsSent).toBeGreaterThanOrEqual(data.wantsCompleted);
    expect(data.answersSent).toBeGreaterThan(0);
    expect(data.bodiesFetched).toBeGreaterThan(0);
    expect(data.wantsCompleted).toBeGreaterThan(0);
    expect(data.unavailableProposals).toBe(0);
    expect(result.counters.dataDelivered).toBeGreaterThan(0);
    // Some validator voted for a block only after fetching its bodies.
    expect(fetchedThenVoted(result.trace!).size).toBeGreaterThan(0);
  });

  it.each([
    [1, 'late-bodies'],
    [2, 'forged-sync'],
    [3, 'partition-isolate'],
  ] as Array<[number, ScenarioKind]>)('seed %i (%s): committed blocks whose bodies a validator lacked are executed once it has fetched them', (seed, kind) => {
    const result = runScenario({ seed, validators: 4, byzantine: 1, kind });
    expectSafeAndLive(result);
    expect(result.data.deferredExecutions).toBeGreaterThan(0);
    expect(result.data.deferredExecuted).toBe(result.data.deferredExecutions);
    expect(result.data.executionLagMax).toBe(0);
    expect(result.data.bodiesFetched).toBeGreaterThan(0);
  });
});

describe('a Byzantine leader proposing transaction ids no one has', () => {
  const cases: Array<[ScenarioKind, number, number]> = [];
  for (const kind of ['unknown-ids', 'some-unknown-ids'] as const) {
    for (let seed = 1; seed <= 12; seed++) cases.push([kind, 4, seed]);
    for (let seed = 1; seed <= 2; seed++) cases.push([kind, 7, seed]);
  }

  it.each(cases)('%s, %i validators, seed %i: never voted for, never committed, and commits continue after those rounds', (kind, validators, seed) => {
    const result = runScenario({ seed, validators, byzantine: byzantineFor(validators), kind });
    // Safety includes the data-availability checkers: no honest vote for, and no honest commit of, a block naming an undisseminated id.
    expectSafeAndLive(result);
    const data = result.data;
    expect(data.unavailableProposals).toBeGreaterThan(0);
    expect(data.unavailableBeforeHeal).toBeGreaterThan(0);
    expect(data.missingVerdicts).toBeGreaterThan(0);
    expect(data.wantsSent).toBeGreaterThan(0);
    // Every unavailable proposal before the heal was followed by new commits on every honest validator.
    expect(data.unavailableFollowedByCommits).toBeGreaterThanOrEqual(data.unavailableBeforeHeal);
  });

  it('the checkers fire when honest validators vote without holding the bodies (a test-only switch)', () => {
    const broken = runScenario({ seed: 1, validators: 4, byzantine: 1, kind: 'unknown-ids', unsafeSimSwitches: { voteWithoutBodies: true } });
    expect(broken.safetyViolations.some((violation) => violation.includes(' unavailable vote: '))).toBe(true);
    const control = runScenario({ seed: 1, validators: 4, byzantine: 1, kind: 'unknown-ids' });
    expect(control.safetyViolations).toEqual([]);
  });
});
