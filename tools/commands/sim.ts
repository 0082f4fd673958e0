/**
 * `custodia sim`: runs seeded deterministic simulations of the consensus core (tools/sim: the
 * real Jolteon / DiemBFT v4 core under a simulated network, crashes and Byzantine validators,
 * FoundationDB / TigerBeetle style) and reports what the checkers found. Exits 0 when every
 * scenario is safe and live, 1 on any violation, 2 on a usage error. A failing seed is replayed
 * exactly with `--seed S --trace` and the same --validators and --byzantine.
 */
import { spawn } from 'node:child_process';
import { Command, InvalidArgumentError, Option } from 'commander';
import { describeFailure, mergeSummaries, runScenario, runSeeds, type RunSummary, type ScenarioResult } from '../sim/run.js';
import { faultsTolerated, isByzantineKind, isScenarioKind, SCENARIO_KINDS, type ScenarioKind } from '../sim/scenarios.js';
import { terminalProgress } from '../progress.js';
import { fail } from '../exit-codes.js';
import { CUSTODIA_BINARY } from '../validator-process.js';

/** The protocol's range (issue 3): n = 4 to 31. */
const VALIDATORS_MIN = 4;
const VALIDATORS_MAX = 31;
/** Seeds per invocation; a 10,000-seed soak fits easily. */
const SEEDS_MAX = 1_000_000;
/** Failing seeds described in full on the terminal; the rest are listed by number. */
const FAILURES_DESCRIBED_MAX = 20;
/** Worker processes for a long run; more than the machine's cores only adds memory. */
const JOBS_MAX = 64;

interface SimOptions {
  seeds: number;
  firstSeed: number;
  seed?: number;
  validators: number;
  byzantine?: number;
  kind?: string;
  json?: boolean;
  trace?: boolean;
  unsafeSkipSafeToVote?: boolean;
  jobs: number;
}

function integerOption(minimum: number, maximum: number): (text: string) => number {
  return (text) => {
    if (!/^-?\d+$/.test(text)) throw new InvalidArgumentError(`expected an integer, got ${JSON.stringify(text)}`);
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < minimum || value > maximum) throw new InvalidArgumentError(`expected an integer from ${minimum} to ${maximum}`);
    return value;
  };
}

export function simCommand(): Command {
  return new Command('sim')
    .description('run seeded deterministic simulations of consensus under network faults, crashes and Byzantine validators')
    .option('--seeds <n>', 'how many seeded scenarios to run', integerOption(1, SEEDS_MAX), 100)
    .option('--first-seed <seed>', 'the first seed of the range', integerOption(-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER), 1)
    .option('--seed <seed>', 'run exactly one seed (a replay of a failing run)', integerOption(-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER))
    .option('--validators <n>', `validators in the cluster (${VALIDATORS_MIN} to ${VALIDATORS_MAX})`, integerOption(VALIDATORS_MIN, VALIDATORS_MAX), 4)
    .option('--byzantine <k>', 'Byzantine validators in Byzantine scenario kinds (0 to f; default f = floor((n - 1) / 3))', integerOption(0, VALIDATORS_MAX))
    .option('--kind <kind>', `run only this scenario kind: ${SCENARIO_KINDS.join(', ')}`)
    .option('--json', 'print one JSON summary object')
    .option('--trace', 'with --seed: print the message trace (one line per delivered or dropped message, commit and fault)')
    .option('--jobs <n>', `split the seeds over this many processes (1 to ${JOBS_MAX})`, integerOption(1, JOBS_MAX), 1)
    .addOption(
      new Option('--unsafe-skip-safe-to-vote', 'TEST ONLY: honest validators skip the safe-to-vote rule, so the checkers must find violations').hideHelp(),
    )
    .action(async (options: SimOptions) => {
      process.exitCode = await runSim(options);
    });
}

async function runSim(options: SimOptions): Promise<number> {
  const validators = options.validators;
  const tolerated = faultsTolerated(validators);
  const byzantine = options.byzantine ?? tolerated;
  if (byzantine > tolerated) return fail(`--byzantine ${byzantine}: ${validators} validators tolerate at most ${tolerated} Byzantine ones`);
  let kind: ScenarioKind | undefined;
  if (options.kind !== undefined) {
    if (!isScenarioKind(options.kind)) return fail(`--kind ${options.kind}: expected one of ${SCENARIO_KINDS.join(', ')}`);
    kind = options.kind;
    if (isByzantineKind(kind) && byzantine === 0) return fail(`--kind ${kind} needs at least one Byzantine validator (--byzantine)`);
  }
  if (options.trace === true && options.seed === undefined) return fail('--trace replays one scenario: give it --seed');
  if (options.trace === true && options.json === true) return fail('--trace and --json cannot be combined: the trace is text');
  const unsafeTestSwitches = options.unsafeSkipSafeToVote === true ? { skipSafeToVoteRule: true } : undefined;

  if (options.trace === true && options.seed !== undefined) {
    const result = runScenario({ seed: options.seed, validators, byzantine, kind, unsafeTestSwitches, trace: true });
    process.stdout.write(`${(result.trace ?? []).join('\n')}\n`);
    if (!passed(result)) process.stderr.write(describeFailures([result], byzantine, unsafeTestSwitches !== undefined));
    return passed(result) ? 0 : 1;
  }

  const firstSeed = options.seed ?? options.firstSeed;
  const seeds = options.seed === undefined ? options.seeds : 1;
  const unsafe = unsafeTestSwitches !== undefined;
  let summary: RunSummary;
  let failureText: string;
  if (options.jobs > 1 && seeds > 1) {
    const split = await runInProcesses({ firstSeed, seeds, validators, byzantine, kind, unsafe, jobs: Math.min(options.jobs, seeds) });
    if (!split.ok) return fail(split.message);
    summary = split.summary;
    failureText = split.failureText;
  } else {
    const progress = options.json === true ? { update() {}, finish() {} } : terminalProgress('simulating');
    const run = runSeeds({ firstSeed, seeds, validators, byzantine, kind, unsafeTestSwitches, onResult: (_, done) => progress.update(done, seeds) });
    progress.finish();
    summary = run.summary;
    failureText = describeFailures(run.failures, byzantine, unsafe);
  }
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    process.stderr.write(failureText);
  } else {
    const kinds = Object.entries(summary.scenarios)
      .map(([name, count]) => `${name} ${count}`)
      .join(', ');
    const lines = [
      `${seeds} seeded scenario${seeds === 1 ? '' : 's'} (seeds ${firstSeed}..${firstSeed + seeds - 1}), ${validators} validators, up to ${byzantine} Byzantine`,
      `  scenarios          ${kinds}`,
      `  lowest height      ${summary.commitsMin} (committed by every honest validator in every scenario)`,
      `  hand-overs         ${summary.handOvers.completed} of ${summary.handOvers.planned} planned validator-set hand-overs completed on every honest validator`,
      `  safety violations  ${summary.safetyViolations}`,
      `  liveness failures  ${summary.livenessFailures}`,
    ];
    if (unsafeTestSwitches !== undefined) lines.push('  UNSAFE: honest validators ran without the safe-to-vote rule (test only)');
    process.stdout.write(`${lines.join('\n')}\n${failureText}`);
    process.stdout.write(summary.failingSeeds.length === 0 ? 'ok\n' : `FAILED: seeds ${summary.failingSeeds.join(', ')}\n`);
  }
  return summary.failingSeeds.length === 0 ? 0 : 1;
}

function passed(result: ScenarioResult): boolean {
  return result.safetyViolations.length === 0 && result.livenessFailure === null;
}

function describeFailures(failures: readonly ScenarioResult[], byzantine: number, unsafe: boolean): string {
  let text = '';
  for (const failure of failures.slice(0, FAILURES_DESCRIBED_MAX)) text += `${describeFailure(failure, { byzantine, unsafe })}\n`;
  if (failures.length > FAILURES_DESCRIBED_MAX) text += `... and ${failures.length - FAILURES_DESCRIBED_MAX} more failing seeds; replay any of them with --seed\n`;
  return text;
}

/**
 * A long run split into contiguous seed ranges, each run by a child `custodia sim --json`: the
 * simulator is single-threaded and CPU-bound, so this is how a 10,000-seed soak uses every core.
 * Each seed's run is the same wherever it executes, so the merged summary equals a serial run's.
 */
async function runInProcesses(options: {
  firstSeed: number;
  seeds: number;
  validators: number;
  byzantine: number;
  kind: ScenarioKind | undefined;
  unsafe: boolean;
  jobs: number;
}): Promise<{ ok: true; summary: RunSummary; failureText: string } | { ok: false; message: string }> {
  const ranges: Array<{ first: number; count: number }> = [];
  const base = Math.floor(options.seeds / options.jobs);
  let next = options.firstSeed;
  for (let job = 0; job < options.jobs; job++) {
    const count = base + (job < options.seeds % options.jobs ? 1 : 0);
    ranges.push({ first: next, count });
    next += count;
  }
  const children = await Promise.all(
    ranges.map(({ first, count }) => {
      const args = ['sim', '--first-seed', String(first), '--seeds', String(count), '--validators', String(options.validators), '--byzantine', String(options.byzantine), '--json'];
      if (options.kind !== undefined) args.push('--kind', options.kind);
      if (options.unsafe) args.push('--unsafe-skip-safe-to-vote');
      return runChild(args);
    }),
  );
  const parts: RunSummary[] = [];
  let failureText = '';
  for (const [index, child] of children.entries()) {
    const range = ranges[index]!;
    if (child.code !== 0 && child.code !== 1) {
      return { ok: false, message: `the worker for seeds ${range.first}..${range.first + range.count - 1} exited with ${child.code}: ${child.stderr.trim()}` };
    }
    try {
      parts.push(JSON.parse(child.stdout) as RunSummary);
    } catch {
      return { ok: false, message: `the worker for seeds ${range.first}..${range.first + range.count - 1} printed no summary` };
    }
    failureText += child.stderr;
  }
  return { ok: true, summary: mergeSummaries(parts), failureText };
}

function runChild(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CUSTODIA_BINARY, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
