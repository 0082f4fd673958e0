/**
 * Entry points of the deterministic simulator (FoundationDB / TigerBeetle style, over the real
 * Jolteon / DiemBFT v4 core): `runScenario` plays one seed and reports what the checkers found;
 * `runSeeds` plays a range of seeds and summarises them for `custodia sim` and the tests.
 */
import type { UnsafeTestSwitches } from '../../consensus/types.js';
import { Cluster, type ClusterCounters, type DataPlaneSummary, type UnsafeSimSwitches } from './cluster.js';
import { planScenario, SCENARIO_KINDS, validatorName, type ScenarioKind } from './scenarios.js';

export interface ScenarioOptions {
  seed: number;
  validators: number;
  /** Byzantine validators for Byzantine kinds (network kinds run all honest). */
  byzantine: number;
  /** Force a kind instead of the seed's. */
  kind?: ScenarioKind;
  unsafeTestSwitches?: UnsafeTestSwitches;
  unsafeSimSwitches?: UnsafeSimSwitches;
  trace?: boolean;
}

export interface ScenarioResult {
  seed: number;
  kind: ScenarioKind;
  validators: number;
  byzantine: number;
  /** Validators that were Byzantine in this run. */
  faultyValidators: string[];
  /** The first violations found (VIOLATIONS_KEPT_MAX at most), then a line counting the rest. */
  safetyViolations: string[];
  safetyViolationCount: number;
  livenessFailure: string | null;
  /** The lowest committed height among honest validators at the end. */
  commitsMin: number;
  /** Virtual milliseconds from the heal to the moment every honest validator had committed a new block; null if never. */
  recoveryMs: number | null;
  endedAtMs: number;
  counters: ClusterCounters;
  /** What the data plane did: relays, 'missing-transactions' verdicts, wants and fetched bodies, deferred executions, unavailable proposals. */
  data: DataPlaneSummary;
  /** Inputs the honest cores refused, by reason (see consensus/types.ts RejectionReason). */
  rejections: Record<string, number>;
  /** The planned validator-set hand-over, and the lowest epoch an honest running validator ended in. */
  handOver: { startHeight: number; epochMin: number } | null;
  trace?: string[];
}

export function runScenario(options: ScenarioOptions): ScenarioResult {
  const plan = planScenario(options);
  const cluster = new Cluster({ plan, unsafeTestSwitches: options.unsafeTestSwitches, unsafeSimSwitches: options.unsafeSimSwitches, trace: options.trace });
  const endedAtMs = cluster.run();
  const heights = cluster.committedHeights();
  const verdict = cluster.liveness.verdict(endedAtMs, heights);
  let livenessFailure = verdict.failure;
  if (livenessFailure === null && !verdict.satisfied) {
    livenessFailure = cluster.problems[0] ?? `the run stopped at t=${endedAtMs} before liveness was shown`;
  }
  // A run stopped by an exception already reports it as a safety violation; liveness was not measured.
  if (cluster.safety.violations.some((violation) => violation.includes('exception:'))) livenessFailure = null;
  const commitsMin = Math.min(...[...heights.values()]);
  const result: ScenarioResult = {
    seed: options.seed,
    kind: plan.kind,
    validators: options.validators,
    byzantine: options.byzantine,
    faultyValidators: plan.faulty.map(validatorName),
    safetyViolations: [...cluster.safety.violations],
    safetyViolationCount: cluster.safety.violationCount,
    livenessFailure,
    commitsMin: Number.isFinite(commitsMin) ? commitsMin : 0,
    recoveryMs: verdict.satisfied ? cluster.liveness.recoveryMs : null,
    endedAtMs,
    counters: cluster.counters,
    data: cluster.dataPlane(),
    rejections: cluster.honestRejections(),
    handOver: plan.handOver === null ? null : { startHeight: plan.handOver.startHeight, epochMin: cluster.honestEpochMin() },
  };
  if (cluster.safety.violationCount > cluster.safety.violations.length) {
    result.safetyViolations.push(`... and ${cluster.safety.violationCount - cluster.safety.violations.length} more`);
  }
  if (options.trace === true) {
    cluster.trace.add(endedAtMs, `end: commitsMin=${result.commitsMin} violations=${cluster.safety.violationCount} liveness=${livenessFailure === null ? 'ok' : 'FAILED'}`);
    result.trace = cluster.trace.lines;
  }
  return result;
}

export interface RunSummary {
  seeds: number;
  validators: number;
  byzantine: number;
  safetyViolations: number;
  livenessFailures: number;
  commitsMin: number;
  scenarios: Record<string, number>;
  /** Runs that planned a validator-set hand-over, and those whose honest validators all ended past it. */
  handOvers: { planned: number; completed: number };
  failingSeeds: number[];
}

export interface SeedRange {
  firstSeed: number;
  seeds: number;
  validators: number;
  byzantine: number;
  kind?: ScenarioKind;
  unsafeTestSwitches?: UnsafeTestSwitches;
  /** Called after each seed, e.g. to draw progress or print a failure as soon as it is found. */
  onResult?: (result: ScenarioResult, done: number) => void;
}

/** Diagnoses kept by runSeeds; the seeds of all failures are always listed. */
export const FAILURES_KEPT_MAX = 100;

export function runSeeds(range: SeedRange): { summary: RunSummary; failures: ScenarioResult[] } {
  const summary: RunSummary = {
    seeds: range.seeds,
    validators: range.validators,
    byzantine: range.byzantine,
    safetyViolations: 0,
    livenessFailures: 0,
    commitsMin: Number.MAX_SAFE_INTEGER,
    scenarios: {},
    handOvers: { planned: 0, completed: 0 },
    failingSeeds: [],
  };
  const failures: ScenarioResult[] = [];
  for (let offset = 0; offset < range.seeds; offset++) {
    const result = runScenario({
      seed: range.firstSeed + offset,
      validators: range.validators,
      byzantine: range.byzantine,
      kind: range.kind,
      unsafeTestSwitches: range.unsafeTestSwitches,
    });
    summary.scenarios[result.kind] = (summary.scenarios[result.kind] ?? 0) + 1;
    summary.safetyViolations += result.safetyViolationCount;
    if (result.livenessFailure !== null) summary.livenessFailures += 1;
    summary.commitsMin = Math.min(summary.commitsMin, result.commitsMin);
    if (result.handOver !== null) {
      summary.handOvers.planned += 1;
      if (result.handOver.epochMin >= 1) summary.handOvers.completed += 1;
    }
    if (result.safetyViolations.length > 0 || result.livenessFailure !== null) {
      summary.failingSeeds.push(result.seed);
      // Failures keep their diagnosis (a bounded number of them); passing runs are not kept.
      if (failures.length < FAILURES_KEPT_MAX) failures.push(result);
    }
    range.onResult?.(result, offset + 1);
  }
  if (range.seeds === 0) summary.commitsMin = 0;
  summary.scenarios = inKindOrder(summary.scenarios);
  return { summary, failures };
}

/** Scenario counts listed in SCENARIO_KINDS order, so equal runs print equal text however they were split. */
function inKindOrder(counts: Record<string, number>): Record<string, number> {
  const ordered: Record<string, number> = {};
  for (const kind of SCENARIO_KINDS) if (counts[kind] !== undefined) ordered[kind] = counts[kind];
  return ordered;
}

/** One summary for consecutive seed ranges run apart (e.g. in several processes). */
export function mergeSummaries(parts: readonly RunSummary[]): RunSummary {
  const first = parts[0];
  if (first === undefined) throw new RangeError('nothing to merge');
  const scenarios: Record<string, number> = {};
  for (const part of parts) for (const [kind, count] of Object.entries(part.scenarios)) scenarios[kind] = (scenarios[kind] ?? 0) + count;
  return {
    seeds: parts.reduce((sum, part) => sum + part.seeds, 0),
    validators: first.validators,
    byzantine: first.byzantine,
    safetyViolations: parts.reduce((sum, part) => sum + part.safetyViolations, 0),
    livenessFailures: parts.reduce((sum, part) => sum + part.livenessFailures, 0),
    commitsMin: Math.min(...parts.map((part) => part.commitsMin)),
    scenarios: inKindOrder(scenarios),
    handOvers: {
      planned: parts.reduce((sum, part) => sum + part.handOvers.planned, 0),
      completed: parts.reduce((sum, part) => sum + part.handOvers.completed, 0),
    },
    failingSeeds: parts.flatMap((part) => part.failingSeeds).sort((left, right) => left - right),
  };
}

/** A failing run in a few lines, ending with the command that replays it. */
export function describeFailure(result: ScenarioResult, options: { byzantine?: number; unsafe?: boolean } = {}): string {
  const faulty = result.faultyValidators.length === 0 ? '' : ` (Byzantine: ${result.faultyValidators.join(', ')})`;
  const lines = [`seed ${result.seed}: ${result.kind} with ${result.validators} validators${faulty}`];
  for (const violation of result.safetyViolations) lines.push(`  safety: ${violation}`);
  if (result.livenessFailure !== null) lines.push(`  liveness: ${result.livenessFailure}`);
  const byzantine = options.byzantine ?? result.byzantine;
  lines.push(
    `  replay: npx custodia sim --seed ${result.seed} --validators ${result.validators} --byzantine ${byzantine} --kind ${result.kind}${options.unsafe === true ? ' --unsafe-skip-safe-to-vote' : ''} --trace`,
  );
  return lines.join('\n');
}
