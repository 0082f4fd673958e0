/**
 * The standard benchmark matrix (`npm run bench`, tools/bench/matrix.ts) and its chart
 * (tools/bench/chart.ts): the chart is well-formed SVG with one series per validator count and
 * a point per run and percentile, its axes labelled; the matrix runs each scenario, searches the
 * maximum as `custodia bench --max` does, records a failed run and goes on, marks a matrix other
 * than the standard one, writes latest.json, the chart and the document's table between its
 * markers only; and it runs end to end on one real validator for two seconds. No figure it
 * measures is asserted: speed is measured, not tested.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { latencyThroughputSvg, type ChartRun } from '../../tools/bench/chart.js';
import {
  DOC_BEGIN,
  DOC_END,
  STANDARD_MATRIX,
  chartRuns,
  markdownTable,
  parseCommandLine,
  replaceBlock,
  runMatrix,
  writeOutputs,
  type MatrixConfig,
  type MatrixReport,
} from '../../tools/bench/matrix.js';
import type { RunOptions, RunResult } from '../../tools/bench/run.js';
import { temporaryDirectories } from '../support/temp-dir.js';
import { fakeRunResult } from './support/fake-bench-network.js';

const newDirectory = temporaryDirectories('bench-matrix');

// A small, strict XML reader: enough to prove the chart is well-formed (every element closed in
// order, attributes quoted and unique, no raw '<' or stray '&' in text) and to walk its tree.
interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

function parseXml(source: string): XmlElement {
  let at = 0;
  const fail = (message: string): never => {
    throw new Error(`${message} at offset ${at}: ${JSON.stringify(source.slice(at, at + 40))}`);
  };
  const checkText = (text: string) => {
    if (text.includes('<')) fail('raw < in text');
    for (const match of text.matchAll(/&([^;]*);?/g)) if (!/^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);$/.test(match[0])) fail(`bad entity ${match[0]}`);
  };
  if (source.startsWith('<?xml')) {
    const end = source.indexOf('?>');
    if (end < 0) fail('unterminated declaration');
    at = end + 2;
  }
  const skipSpace = () => {
    while (at < source.length && /\s/.test(source[at]!)) at++;
  };
  const element = (): XmlElement => {
    if (source[at] !== '<') fail('expected <');
    at++;
    const name = /^[A-Za-z_][\w.:-]*/.exec(source.slice(at))?.[0] ?? fail('expected a name');
    at += name.length;
    const node: XmlElement = { name, attributes: {}, children: [], text: '' };
    for (;;) {
      skipSpace();
      if (source.startsWith('/>', at)) {
        at += 2;
        return node;
      }
      if (source[at] === '>') {
        at++;
        break;
      }
      const attribute = /^([A-Za-z_][\w.:-]*)="([^"]*)"/.exec(source.slice(at)) ?? fail('expected a quoted attribute');
      if (attribute[1]! in node.attributes) fail(`repeated attribute ${attribute[1]}`);
      checkText(attribute[2]!);
      node.attributes[attribute[1]!] = attribute[2]!;
      at += attribute[0].length;
    }
    for (;;) {
      const next = source.indexOf('<', at);
      if (next < 0) fail(`unclosed <${name}>`);
      const text = source.slice(at, next);
      checkText(text);
      node.text += text;
      at = next;
      if (source.startsWith('</', at)) {
        const close = `</${name}>`;
        if (!source.startsWith(close, at)) fail(`expected ${close}`);
        at += close.length;
        return node;
      }
      node.children.push(element());
    }
  };
  skipSpace();
  const root = element();
  skipSpace();
  if (at !== source.length) fail('content after the root element');
  return root;
}

function all(node: XmlElement, predicate: (element: XmlElement) => boolean): XmlElement[] {
  return [...(predicate(node) ? [node] : []), ...node.children.flatMap((child) => all(child, predicate))];
}
const hasClass = (name: string) => (element: XmlElement) => (element.attributes['class'] ?? '').split(' ').includes(name);
const textOf = (element: XmlElement): string => element.text + element.children.map(textOf).join('');

function sampleRuns(): ChartRun[] {
  const runs: ChartRun[] = [];
  for (const [validators, capacity] of [[4, 2000], [7, 1400], [10, 1000]] as const) {
    for (const rate of [100, 400, 800, 1600]) runs.push({ validators, network: 'lan', label: `${rate} events/s`, committedPerS: Math.min(rate, capacity), p50Ms: 5 + rate / 20, p99Ms: 20 + rate / 2 });
    runs.push({ validators, network: 'wan', label: '500 events/s open loop, WAN', committedPerS: 498, p50Ms: 140, p99Ms: 310 });
  }
  return runs;
}

describe('the latency-throughput chart', () => {
  it('is well-formed SVG with one series per validator count, a p50 and a p99 point per run, lines along the local runs, labelled axes and a legend', () => {
    const runs = sampleRuns();
    const svg = parseXml(latencyThroughputSvg(runs, { subtitle: ['a machine & its <facts>', 'second line'] }));
    expect(svg.name).toBe('svg');
    expect(svg.attributes['xmlns']).toBe('http://www.w3.org/2000/svg');
    const [, , width, height] = (svg.attributes['viewBox'] ?? '').split(' ').map(Number);
    const series = all(svg, hasClass('series'));
    expect(series.map((group) => group.attributes['data-validators'])).toEqual(['4', '7', '10']);
    for (const group of series) {
      const points = all(group, hasClass('point'));
      expect(points).toHaveLength(2 * 5);
      expect(all(group, hasClass('p50')).filter(hasClass('point'))).toHaveLength(5);
      expect(all(group, hasClass('wan'))).toHaveLength(2);
      // Every point carries its run in a tooltip, and lies inside the picture.
      for (const point of points) {
        expect(textOf(point.children.find((child) => child.name === 'title')!)).toContain(`${group.attributes['data-validators']} validators`);
        const x = Number(point.attributes['cx'] ?? point.attributes['x'] ?? /^M([\d.]+)/.exec(point.attributes['d'] ?? '')?.[1]);
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(width!);
        const y = Number(point.attributes['cy'] ?? point.attributes['y'] ?? /^M[\d.]+ ([\d.]+)/.exec(point.attributes['d'] ?? '')?.[1]);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(y).toBeLessThanOrEqual(height!);
      }
      const lines = all(group, hasClass('line'));
      expect(lines.map((line) => line.attributes['class'])).toEqual(['line p50', 'line p99']);
      for (const line of lines) expect((line.attributes['points'] ?? '').split(' ')).toHaveLength(4);
    }
    const labels = all(svg, hasClass('axis-label')).map(textOf);
    expect(labels).toEqual(['committed events per second', 'latency, submission to commit (log scale)']);
    // Ticks on both axes, the latency axis in ms and s.
    const ticks = all(svg, hasClass('tick')).map(textOf);
    expect(ticks).toContain('0');
    expect(ticks).toContain('1,000');
    expect(ticks).toContain('100 ms');
    expect(ticks).toContain('1 s');
    expect(all(svg, hasClass('legend-series')).map(textOf)).toEqual(['4 validators', '7 validators', '10 validators']);
    expect(all(svg, hasClass('subtitle')).map(textOf)).toEqual(['a machine &amp; its &lt;facts&gt;', 'second line']);
  });

  it('draws the axes and says so when there is nothing to plot, and escapes what the runs are called', () => {
    const empty = parseXml(latencyThroughputSvg([]));
    expect(all(empty, hasClass('series'))).toHaveLength(0);
    expect(all(empty, hasClass('empty')).map(textOf)).toEqual(['no runs measured']);
    const one = parseXml(latencyThroughputSvg([{ validators: 1, network: 'lan', label: 'a <b> & "c"', committedPerS: 0, p50Ms: 0, p99Ms: 0 }]));
    const points = all(one, hasClass('point'));
    expect(points).toHaveLength(2);
    // One run is a point, not a line; a zero latency sits on the axis floor.
    expect(all(one, hasClass('line'))).toHaveLength(0);
    expect(textOf(points[0]!)).toContain('a &lt;b&gt; &amp; &quot;c&quot;');
  });
});

/** A stand-in for runBenchmark: a network that keeps p99 under 1 s up to `capacity` events/s, and fails on 7 validators' WAN run. */
function fakeRunner(capacityOf: (validators: number) => number) {
  const calls: RunOptions[] = [];
  const run = async (options: RunOptions): Promise<RunResult> => {
    calls.push(options);
    if (options.validators === 7 && options.wan) throw new Error('validator-3 exited (1)');
    return fakeRunResult(options, capacityOf(options.validators));
  };
  return { run, calls };
}

const smallConfig: MatrixConfig = {
  ...STANDARD_MATRIX,
  validatorCounts: [4, 7],
  durationS: 3,
  warmupS: 1,
  search: { trialS: 2, startPerS: 100, ceilingPerS: 20_000, bisections: 3, confirmations: 3 },
};

describe('the matrix', () => {
  it('runs every scenario for every validator count, searches the maximum as custodia bench --max does, and records a failed run without stopping', async () => {
    const fake = fakeRunner((validators) => (validators === 4 ? 1000 : 700));
    const report = await runMatrix(smallConfig, { run: fake.run });
    expect(report.runs.map((run) => `${run.validators} ${run.scenario}`)).toEqual(['4 open-loop', '4 max', '4 wan', '7 open-loop', '7 max', '7 wan']);
    const max4 = report.runs[1]!;
    // Doubling from 100 while p99 holds, then three bisections between 800 and 1600; the best rate then runs for the full window.
    expect(max4.trials!.map((trial) => [trial.ratePerS, trial.passed])).toEqual([[100, true], [200, true], [400, true], [800, true], [1600, false], [1200, false], [1000, true], [1100, false]]);
    expect(max4.trials!.every((trial) => trial.result.durationS === 2)).toBe(true);
    expect(max4.result).toMatchObject({ offeredPerS: 1000, durationS: 3 });
    expect(max4.label).toBe('maximum: 1000 events/s offered');
    expect(report.runs[0]!.result).toMatchObject({ offeredPerS: 100 });
    expect(report.runs[2]!.result).toMatchObject({ offeredPerS: 500 });
    const wanCalls = fake.calls.filter((call) => call.wan);
    expect(wanCalls.map((call) => call.validators)).toEqual([4, 7]);
    expect(fake.calls.filter((call) => !call.wan).every((call) => call.load.kind === 'rate')).toBe(true);
    expect(report.runs[5]).toMatchObject({ validators: 7, scenario: 'wan', error: 'validator-3 exited (1)' });
    expect(report.runs[5]!.result).toBeUndefined();
    // Not the standard matrix, and it says so.
    expect(report.standard).toBe(false);
    expect(report.note).toContain('not the standard matrix');
    expect(report.machine).toMatchObject({ node: process.version });
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(report.machine.gitCommit).toMatch(/^[0-9a-f]{40}$|^unknown$/);
    // The chart plots every run with a result and every trial; the table has a row per run.
    expect(chartRuns(report)).toHaveLength(5 + 8 + 7);
    const table = markdownTable(report).split('\n');
    expect(table).toHaveLength(2 + 6);
    expect(table[2]).toBe('| 4 | 100 events/s open loop | 100 | 10 | 50 | 100 | 6,000 | 1.00 | 150 | 0 |');
    expect(table[7]).toContain('failed: validator-3 exited (1)');
  });

  it('labels a maximum that no full window held as such, and plots the full-window runs before the one it keeps', async () => {
    // Trials of 2 s pass up to 1,000 events/s; a 3-s window holds only 100.
    const run = async (options: RunOptions): Promise<RunResult> => fakeRunResult(options, (durationS) => (durationS > 2 ? 100 : 1000));
    const report = await runMatrix({ ...smallConfig, validatorCounts: [4], scenarios: ['max'] }, { run });
    const max = report.runs[0]!;
    expect(max.confirmations!.map((confirmation) => [confirmation.ratePerS, confirmation.passed])).toEqual([[1000, false], [850, false], [722, false]]);
    expect(max.result).toMatchObject({ offeredPerS: 722, durationS: 3 });
    expect(max.label).toBe('maximum: none held p99 under 1 s for the whole window (the last tried, 722 events/s offered)');
    expect(chartRuns(report)).toHaveLength(1 + 8 + 2);
    expect(markdownTable(report)).toContain('maximum: none held p99 under 1 s for the whole window');
  });

  it('reports a search that fails at its first rate as an error naming what the trial missed, with its trial', async () => {
    const fake = fakeRunner(() => 50);
    const report = await runMatrix({ ...smallConfig, validatorCounts: [4], scenarios: ['max'] }, { run: fake.run });
    expect(report.runs[0]!.error).toBe('even 100 events/s did not pass: p99 5000 ms above 1000 ms; committed 50/s of 100 offered');
    expect(report.runs[0]!.trials).toHaveLength(1);
    expect(report.runs[0]!.trials![0]!.shortfalls).toHaveLength(2);
  });

  it('fails a trial whose requests failed although its p99 held, and says so rather than blaming the latency', async () => {
    const base = fakeRunner(() => 1000);
    const refusing = async (options: RunOptions): Promise<RunResult> => {
      const result = await base.run(options);
      return { ...result, detail: { ...result.detail, failed: 3, failures: { '503 overloaded': 2, ECONNRESET: 1 } } };
    };
    const lines: string[] = [];
    const report = await runMatrix({ ...smallConfig, validatorCounts: [4], scenarios: ['max'] }, { run: refusing, log: (line) => lines.push(line) });
    const trial = report.runs[0]!.trials![0]!;
    expect(trial).toMatchObject({ ratePerS: 100, passed: false, shortfalls: ['3 of 200 requests failed (2 503 overloaded, 1 ECONNRESET)'] });
    expect(trial.result.latencyMs.p99).toBeLessThan(1000);
    expect(report.runs[0]!.error).toBe('even 100 events/s did not pass: 3 of 200 requests failed (2 503 overloaded, 1 ECONNRESET)');
    expect(lines).toContain('    trial 100 events/s: committed 100/s, p99 100 ms (did not pass: 3 of 200 requests failed (2 503 overloaded, 1 ECONNRESET))');
  });

  it('writes latest.json, the chart and the table between the document\'s markers, leaving the rest of the document alone', async () => {
    const directory = await newDirectory();
    const report = await runMatrix({ ...smallConfig, validatorCounts: [4] }, { run: fakeRunner(() => 1000).run });
    const documentFile = join(directory, 'performance.md');
    const before = '# Performance\n\nSome text.\n\n## The standard matrix\n\n';
    const after = '\n\n## Levers\n\n| a | b |\n';
    await writeFile(documentFile, `${before}${DOC_BEGIN}\nold table\n${DOC_END}${after}`);
    await writeOutputs(report, join(directory, 'performance'), documentFile);
    const written = JSON.parse(await readFile(join(directory, 'performance', 'latest.json'), 'utf8')) as MatrixReport;
    expect(written).toEqual(report);
    expect(all(parseXml(await readFile(join(directory, 'performance', 'latency-throughput.svg'), 'utf8')), hasClass('series'))).toHaveLength(1);
    const document = await readFile(documentFile, 'utf8');
    expect(document.startsWith(`${before}${DOC_BEGIN}\n`)).toBe(true);
    expect(document.endsWith(`${DOC_END}${after}`)).toBe(true);
    expect(document).not.toContain('old table');
    expect(document).toContain('](performance/latency-throughput.svg)');
    expect(document).toContain('**Indicative only**: not the standard matrix');
    expect(document).toContain(markdownTable(report));
    // Written again, the block is replaced, not repeated.
    await writeOutputs(report, join(directory, 'performance'), documentFile);
    expect((await readFile(documentFile, 'utf8')).split(DOC_BEGIN)).toHaveLength(2);
    expect(() => replaceBlock('# no markers\n', 'x')).toThrow(/markers/);
    expect(() => replaceBlock(`${DOC_BEGIN}\n${DOC_END}\n${DOC_BEGIN}\n${DOC_END}`, 'x')).toThrow(/once each/);
  });

  it('takes its configuration from flags and the environment, flags first, and refuses bad values', () => {
    expect(parseCommandLine([], {}).config).toEqual(STANDARD_MATRIX);
    const environment = { CUSTODIA_BENCH_DURATION: '10', CUSTODIA_BENCH_WARMUP: '0', CUSTODIA_BENCH_TRIAL: '4' };
    expect(parseCommandLine([], environment).config).toMatchObject({ durationS: 10, warmupS: 0, search: { trialS: 4 } });
    const flagged = parseCommandLine(['--duration', '5', '--validators', '4,7', '--scenarios', 'max', '--max-ceiling', '800', '--no-doc', '--out', '/tmp/x'], environment);
    expect(flagged.config).toMatchObject({ durationS: 5, validatorCounts: [4, 7], scenarios: ['max'], search: { trialS: 4, ceilingPerS: 800 } });
    expect(flagged.documentFile).toBeUndefined();
    expect(flagged.outDirectory).toBe('/tmp/x');
    expect(() => parseCommandLine(['--duration', '0'], {})).toThrow(/--duration/);
    expect(() => parseCommandLine(['--validators', '4,x'], {})).toThrow(/--validators/);
    expect(() => parseCommandLine(['--scenarios', 'fast'], {})).toThrow(/--scenarios/);
    expect(() => parseCommandLine(['--doc', 'a.md', '--no-doc'], {})).toThrow(/--doc or --no-doc/);
  });

  it('runs end to end on one real validator for two seconds', async () => {
    const directory = await newDirectory();
    const report = await runMatrix({ ...STANDARD_MATRIX, validatorCounts: [1], scenarios: ['open-loop'], durationS: 2, warmupS: 1 });
    expect(report.runs).toHaveLength(1);
    const run = report.runs[0]!;
    expect(run.error).toBeUndefined();
    expect(run.result).toMatchObject({ validators: 1, durationS: 2, offeredPerS: 100 });
    expect(run.result!.detail.sent).toBeGreaterThan(0);
    expect(run.result!.detail.acknowledged).toBeGreaterThan(0);
    await writeOutputs(report, directory, undefined);
    const svg = parseXml(await readFile(join(directory, 'latency-throughput.svg'), 'utf8'));
    expect(all(svg, hasClass('series')).map((group) => group.attributes['data-validators'])).toEqual(['1']);
    expect(all(svg, hasClass('point'))).toHaveLength(2);
  }, 120_000);
});
