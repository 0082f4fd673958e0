/**
 * `npm run bench`: the standard benchmark matrix (issue 12). For 4, 7 and 10 validators it runs
 * `custodia bench` programmatically (tools/bench/run.ts) three ways: an open loop at 100 events/s,
 * a search for the highest rate whose p99 stays under 1 s (`--max`), and an open loop at 500
 * events/s with every validator-to-validator link delayed (`--wan`). It writes every result with
 * the machine's facts to docs/performance/latest.json, the chart of latency against throughput to
 * docs/performance/latency-throughput.svg (tools/bench/chart.ts), and the table and chart into
 * docs/performance.md between the markers of "The standard matrix".
 *
 *   npm run bench [-- --validators 4,7,10] [--scenarios open-loop,max,wan] [--duration 60]
 *     [--warmup 5] [--trial 15] [--rate 100] [--wan-rate 500] [--max-start 100]
 *     [--max-ceiling 20000] [--bisections 3] [--confirmations 3] [--out DIR] [--doc FILE | --no-doc] [--render]
 *
 * The windows can also be set with CUSTODIA_BENCH_DURATION, CUSTODIA_BENCH_WARMUP and
 * CUSTODIA_BENCH_TRIAL (seconds; a flag wins). `--render` runs nothing: it redraws the chart and
 * the table from the latest.json in --out. A matrix that differs from the standard one (shorter
 * windows, fewer validator counts or scenarios) says so in latest.json and in the document.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, release, totalmem, type as osType } from 'node:os';
import { join, relative, dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { firstTrialFailed, searchMaximum, STANDARD_SEARCH, type Runner, type SearchConfig, type SearchTrial } from './search.js';
import { latencyThroughputSvg, type ChartRun } from './chart.js';
import { runBenchmark, type RunOptions, type RunResult } from './run.js';

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));

export const SCENARIOS = ['open-loop', 'max', 'wan'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface MatrixConfig {
  validatorCounts: number[];
  scenarios: Scenario[];
  /** The measured window of every run (and of the chosen rate after the search), s. */
  durationS: number;
  warmupS: number;
  openLoopRatePerS: number;
  wanRatePerS: number;
  /** The maximum search: trials of `trialS` doubling from `startPerS` up to `ceilingPerS`, then `bisections` halvings, then up to `confirmations` full-window runs. */
  search: SearchConfig;
  batch: number;
}

export const STANDARD_MATRIX: MatrixConfig = {
  validatorCounts: [4, 7, 10],
  scenarios: [...SCENARIOS],
  durationS: 60,
  warmupS: 5,
  openLoopRatePerS: 100,
  wanRatePerS: 500,
  search: STANDARD_SEARCH,
  batch: 1,
};

export interface MachineFacts {
  cpuModel: string;
  cores: number;
  availableParallelism: number;
  memoryGiB: number;
  os: string;
  node: string;
  /** The load average when the matrix started: the machine is shared, and this says how much. */
  loadAverage: number[];
  startedAt: string;
  finishedAt: string;
  gitCommit: string;
  /** Whether tracked files differed from the commit when the matrix ran. */
  gitDirty: boolean;
}

export interface MatrixRun {
  validators: number;
  scenario: Scenario;
  label: string;
  /** Absent when the run failed; `error` then says why. */
  result?: RunResult;
  error?: string;
  /** The maximum search's trials, in the order run. */
  trials?: SearchTrial[];
  /** The maximum search's full-window runs, from the best trial's rate down; `result` is the one that held, or the last. */
  confirmations?: SearchTrial[];
}

export interface MatrixReport {
  kind: 'custodia-bench-matrix';
  /** True only for the standard matrix in full: 60-s windows, 4, 7 and 10 validators, every scenario. */
  standard: boolean;
  note?: string;
  machine: MachineFacts;
  config: MatrixConfig;
  runs: MatrixRun[];
}

export type { Runner, SearchTrial } from './search.js';

function sameMatrix(config: MatrixConfig, standard: MatrixConfig): boolean {
  return JSON.stringify(config) === JSON.stringify(standard);
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: repositoryRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

export function machineFacts(startedAt: Date, finishedAt: Date): MachineFacts {
  const processors = cpus();
  return {
    cpuModel: processors[0]?.model.trim() ?? 'unknown',
    cores: processors.length,
    availableParallelism: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${osType()} ${release()}`,
    node: process.version,
    loadAverage: loadavg().map((load) => Math.round(load * 100) / 100),
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    gitCommit: git(['rev-parse', 'HEAD']) || 'unknown',
    gitDirty: git(['status', '--porcelain', '--untracked-files=no']) !== '',
  };
}

function labelOf(scenario: Scenario, config: MatrixConfig): string {
  if (scenario === 'open-loop') return `${config.openLoopRatePerS} events/s open loop`;
  if (scenario === 'max') return 'maximum (p99 under 1 s)';
  return `${config.wanRatePerS} events/s open loop, WAN`;
}

/** Runs the matrix, validator count by validator count; a run that fails is recorded with its error and the matrix goes on. */
export async function runMatrix(config: MatrixConfig, options: { run?: Runner; log?: (line: string) => void } = {}): Promise<MatrixReport> {
  const run = options.run ?? runBenchmark;
  const log = options.log ?? (() => undefined);
  const startedAt = new Date();
  const machineAtStart = machineFacts(startedAt, startedAt);
  const runs: MatrixRun[] = [];
  for (const validators of config.validatorCounts) {
    for (const scenario of config.scenarios) {
      const label = labelOf(scenario, config);
      log(`${validators} validators, ${label}`);
      const base = { validators, durationS: config.durationS, warmupS: config.warmupS, batch: config.batch, wan: scenario === 'wan' };
      const entry: MatrixRun = { validators, scenario, label };
      try {
        if (scenario === 'max') {
          const searched = await searchMaximum({ ...base, wan: false }, config.search, run, log);
          entry.trials = searched.trials;
          entry.confirmations = searched.confirmations;
          if (searched.best === undefined) entry.error = firstTrialFailed(searched.trials);
          else {
            entry.result = searched.best;
            entry.label = searched.held === true ? `maximum: ${searched.bestRatePerS} events/s offered` : `maximum: none held p99 under 1 s for the whole window (the last tried, ${searched.bestRatePerS} events/s offered)`;
          }
        } else entry.result = await run({ ...base, load: { kind: 'rate', ratePerS: scenario === 'open-loop' ? config.openLoopRatePerS : config.wanRatePerS } });
      } catch (error) {
        entry.error = (error as Error).message;
      }
      if (entry.result !== undefined) log(`  committed ${entry.result.committedPerS}/s, p50 ${entry.result.latencyMs.p50} ms, p99 ${entry.result.latencyMs.p99} ms`);
      else log(`  failed: ${entry.error}`);
      runs.push(entry);
    }
  }
  const standard = sameMatrix(config, STANDARD_MATRIX);
  return {
    kind: 'custodia-bench-matrix',
    standard,
    ...(standard ? {} : { note: `not the standard matrix: ${describeConfig(config)}, where the standard one is ${describeConfig(STANDARD_MATRIX)}` }),
    machine: { ...machineAtStart, finishedAt: new Date().toISOString() },
    config,
    runs,
  };
}

function describeConfig(config: MatrixConfig): string {
  return `${config.validatorCounts.join(', ')} validators × ${config.scenarios.join(', ')}, ${config.durationS}-s windows after ${config.warmupS} s warm-up, ${config.search.trialS}-s search trials from ${config.search.startPerS} to ${config.search.ceilingPerS} events/s`;
}

/** The chart's points: each run, and the maximum search's trials as points on the same curve. */
export function chartRuns(report: MatrixReport): ChartRun[] {
  const points: ChartRun[] = [];
  const point = (validators: number, network: 'lan' | 'wan', label: string, result: RunResult): ChartRun => ({ validators, network, label, committedPerS: result.committedPerS, p50Ms: result.latencyMs.p50, p99Ms: result.latencyMs.p99 });
  for (const run of report.runs) {
    for (const trial of run.trials ?? []) points.push(point(run.validators, 'lan', `search trial at ${trial.ratePerS} events/s (${trial.result.durationS} s)`, trial.result));
    // The full-window runs before the one kept as the result are points too.
    for (const confirmation of run.confirmations ?? []) {
      if (confirmation.result !== run.result) points.push(point(run.validators, 'lan', `full window at ${confirmation.ratePerS} events/s (${confirmation.result.durationS} s)`, confirmation.result));
    }
    if (run.result !== undefined) points.push(point(run.validators, run.scenario === 'wan' ? 'wan' : 'lan', run.label, run.result));
  }
  return points;
}

export function chartOf(report: MatrixReport): string {
  const machine = report.machine;
  const subtitle = [
    `${machine.startedAt.slice(0, 10)}, ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, commit ${machine.gitCommit.slice(0, 10)}${machine.gitDirty ? ' (modified)' : ''}`,
    `${report.config.durationS}-s windows; every validator and the load generator on the one machine${report.standard ? '' : '; NOT the standard matrix'}`,
  ];
  return latencyThroughputSvg(chartRuns(report), { subtitle });
}

const number = (value: number) => (Number.isInteger(value) ? value.toLocaleString('en-GB') : value.toLocaleString('en-GB', { maximumFractionDigits: 1 }));

/** The table docs/performance.md shows: one row per run. */
export function markdownTable(report: MatrixReport): string {
  const rows = [
    '| validators | load | committed events/s | p50 ms | p95 ms | p99 ms | max ms | CPU, cores in all | peak RSS per validator, MB | refused |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const run of report.runs) {
    const result = run.result;
    if (result === undefined) {
      rows.push(`| ${run.validators} | ${run.label} | failed: ${(run.error ?? 'no result').replace(/\|/g, '\\|')} | | | | | | | |`);
      continue;
    }
    const cores = result.cpuSecondsPerValidator.reduce((sum, seconds) => sum + seconds, 0) / result.durationS;
    rows.push(
      `| ${run.validators} | ${run.label} | ${number(result.committedPerS)} | ${number(result.latencyMs.p50)} | ${number(result.latencyMs.p95)} | ${number(result.latencyMs.p99)} | ${number(result.latencyMs.max)} | ${cores.toFixed(2)} | ${number(result.rssMbMax)} | ${result.detail.failed} |`,
    );
  }
  return rows.join('\n');
}

export const DOC_BEGIN = '<!-- standard-matrix:begin: written by `npm run bench` (tools/bench/matrix.ts) from docs/performance/latest.json; do not edit by hand -->';
export const DOC_END = '<!-- standard-matrix:end -->';

/** What goes between the markers in docs/performance.md; `chartPath` is relative to the document. */
export function documentBlock(report: MatrixReport, chartPath: string): string {
  const machine = report.machine;
  const lines = [
    `Measured ${machine.startedAt.slice(0, 16).replace('T', ' ')} UTC on ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}, commit \`${machine.gitCommit.slice(0, 10)}\`${machine.gitDirty ? ' with uncommitted changes' : ''}; load average ${machine.loadAverage.join(', ')} at the start. ${report.config.durationS}-s measured windows after a ${report.config.warmupS}-s warm-up; the maximum search's trials (${report.config.search.trialS} s each) are points on each curve too.`,
  ];
  if (!report.standard) lines.push('', `**Indicative only**: ${report.note ?? 'not the standard matrix'}.`);
  lines.push('', `![p50 and p99 latency against committed throughput, one series per validator count](${chartPath})`, '', markdownTable(report));
  return lines.join('\n');
}

/** `document` with the text between the markers replaced by `block`; the markers must be there, once each. */
export function replaceBlock(document: string, block: string): string {
  const begin = document.indexOf(DOC_BEGIN);
  const end = document.indexOf(DOC_END);
  if (begin < 0 || end < begin || document.indexOf(DOC_BEGIN, begin + 1) >= 0) throw new Error(`the document must hold the markers ${DOC_BEGIN} and ${DOC_END}, once each, in that order`);
  return `${document.slice(0, begin + DOC_BEGIN.length)}\n${block}\n${document.slice(end)}`;
}

export const LATEST_FILE = 'latest.json';
export const CHART_FILE = 'latency-throughput.svg';

/** Writes latest.json and the chart into `outDirectory`, and the block into `documentFile` unless it is undefined. */
export async function writeOutputs(report: MatrixReport, outDirectory: string, documentFile: string | undefined): Promise<void> {
  await mkdir(outDirectory, { recursive: true });
  await writeFile(join(outDirectory, LATEST_FILE), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(join(outDirectory, CHART_FILE), chartOf(report));
  if (documentFile !== undefined) {
    const chartPath = relative(dirname(documentFile), join(outDirectory, CHART_FILE)).split('\\').join('/');
    // Re-read just before writing: others edit the rest of the document.
    const document = await readFile(documentFile, 'utf8');
    await writeFile(documentFile, replaceBlock(document, documentBlock(report, chartPath)));
  }
}

function positive(text: string | undefined, name: string, fallback: number, minimum = 1): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < minimum) throw new UsageError(`${name} must be an integer of at least ${minimum}, not ${JSON.stringify(text)}`);
  return value;
}

class UsageError extends Error {}

/** The configuration, output folder and document from the command line and environment. */
export function parseCommandLine(argv: string[], environment: NodeJS.ProcessEnv = process.env): { config: MatrixConfig; outDirectory: string; documentFile: string | undefined; render: boolean } {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      validators: { type: 'string' },
      scenarios: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      trial: { type: 'string' },
      rate: { type: 'string' },
      'wan-rate': { type: 'string' },
      'max-start': { type: 'string' },
      'max-ceiling': { type: 'string' },
      bisections: { type: 'string' },
      confirmations: { type: 'string' },
      out: { type: 'string' },
      doc: { type: 'string' },
      'no-doc': { type: 'boolean' },
      render: { type: 'boolean' },
    },
  });
  const standard = STANDARD_MATRIX;
  const validatorCounts = values.validators === undefined ? standard.validatorCounts : values.validators.split(',').map((count) => positive(count.trim(), '--validators', 0));
  if (validatorCounts.some((count) => count > 31)) throw new UsageError('--validators takes counts from 1 to 31');
  const scenarios = values.scenarios === undefined ? standard.scenarios : values.scenarios.split(',').map((name) => name.trim());
  for (const name of scenarios) if (!(SCENARIOS as readonly string[]).includes(name)) throw new UsageError(`--scenarios takes ${SCENARIOS.join(', ')}; not ${JSON.stringify(name)}`);
  const config: MatrixConfig = {
    validatorCounts,
    scenarios: scenarios as Scenario[],
    durationS: positive(values.duration ?? environment['CUSTODIA_BENCH_DURATION'], '--duration', standard.durationS),
    warmupS: positive(values.warmup ?? environment['CUSTODIA_BENCH_WARMUP'], '--warmup', standard.warmupS, 0),
    openLoopRatePerS: positive(values.rate, '--rate', standard.openLoopRatePerS),
    wanRatePerS: positive(values['wan-rate'], '--wan-rate', standard.wanRatePerS),
    search: {
      trialS: positive(values.trial ?? environment['CUSTODIA_BENCH_TRIAL'], '--trial', standard.search.trialS),
      startPerS: positive(values['max-start'], '--max-start', standard.search.startPerS),
      ceilingPerS: positive(values['max-ceiling'], '--max-ceiling', standard.search.ceilingPerS),
      bisections: positive(values.bisections, '--bisections', standard.search.bisections, 0),
      confirmations: positive(values.confirmations, '--confirmations', standard.search.confirmations),
    },
    batch: standard.batch,
  };
  if (values.doc !== undefined && values['no-doc'] === true) throw new UsageError('give --doc or --no-doc, not both');
  const outDirectory = resolve(values.out ?? join(repositoryRoot, 'docs', 'performance'));
  const documentFile = values['no-doc'] === true ? undefined : resolve(values.doc ?? join(repositoryRoot, 'docs', 'performance.md'));
  return { config, outDirectory, documentFile, render: values.render === true };
}

export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n`);
    return 2;
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  let report: MatrixReport;
  if (parsed.render) report = JSON.parse(await readFile(join(parsed.outDirectory, LATEST_FILE), 'utf8')) as MatrixReport;
  else {
    log(`the benchmark matrix: ${describeConfig(parsed.config)}`);
    report = await runMatrix(parsed.config, { log });
  }
  await writeOutputs(report, parsed.outDirectory, parsed.documentFile);
  log(`wrote ${join(parsed.outDirectory, LATEST_FILE)} and ${CHART_FILE}${parsed.documentFile === undefined ? '' : `, and the table in ${parsed.documentFile}`}`);
  return report.runs.some((run) => run.result === undefined) ? 1 : 0;
}

// Run as a script (`npm run bench`), not when imported (tests).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(`error: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
