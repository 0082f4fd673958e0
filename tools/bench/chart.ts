/**
 * The standard matrix's chart (issue 12, `npm run bench`): submission-to-commit latency (p50 and
 * p99) against committed throughput, one series per validator count, as a self-contained SVG 1.1
 * document written by hand (no charting dependency). The latency axis is logarithmic, since p50
 * at light load and p99 near saturation lie orders of magnitude apart; the throughput axis is
 * linear from zero.
 *
 * Every plotted point is an element of class `point` inside its series' `<g class="series"
 * data-validators="N">`, with a `<title>` that names the run, so that the chart can be read by a
 * person (hovering) and checked by a test (counting).
 */

/** One measured run, as the chart needs it. */
export interface ChartRun {
  validators: number;
  /** `lan` runs form the series' curve; `wan` runs (links delayed) are marked apart, unjoined. */
  network: 'lan' | 'wan';
  /** What the run was, for the point's tooltip ("100 events/s open loop", "maximum"). */
  label: string;
  committedPerS: number;
  p50Ms: number;
  p99Ms: number;
}

export interface ChartOptions {
  title?: string;
  /** Up to two lines under the title: the machine and the date, say. */
  subtitle?: readonly string[];
}

const WIDTH = 900;
const HEIGHT = 534;
const PLOT = { left: 80, right: 640, top: 84, bottom: 464 };
/** Distinguishable on white and for the common colour-vision deficiencies (Okabe and Ito). */
const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];
/** Latencies at or below this are drawn on it: a logarithmic axis has no zero. */
const LATENCY_FLOOR_MS = 1;
const FONT = 'font-family="Helvetica, Arial, sans-serif"';

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Rounds for coordinates: two decimals are far below a pixel and keep the file small. */
function at(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/** A round step (1, 2 or 5 times a power of ten) giving about `count` ticks up to `maximum`. */
function niceStep(maximum: number, count: number): number {
  const raw = maximum / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const multiple = [1, 2, 5, 10].find((candidate) => candidate * power >= raw) ?? 10;
  return multiple * power;
}

function formatCount(value: number): string {
  return value >= 1000 ? value.toLocaleString('en-GB') : String(value);
}

function formatMs(value: number): string {
  return value >= 1000 ? `${formatCount(value / 1000)} s` : `${value} ms`;
}

/** Ticks of a logarithmic axis: 1, 2 and 5 in every decade from `low` to `high` (both powers of ten). */
function logTicks(low: number, high: number): number[] {
  const ticks: number[] = [];
  for (let decade = low; decade <= high; decade *= 10) for (const multiple of [1, 2, 5]) if (decade * multiple <= high) ticks.push(decade * multiple);
  return ticks;
}

function marker(shape: 'circle' | 'square' | 'triangle', x: number, y: number, size: number, colour: string, filled: boolean, classes: string, title: string): string {
  const paint = `fill="${filled ? colour : '#ffffff'}" stroke="${colour}" stroke-width="1.5"`;
  const tooltip = `<title>${escapeXml(title)}</title>`;
  if (shape === 'circle') return `<circle class="${classes}" cx="${at(x)}" cy="${at(y)}" r="${at(size)}" ${paint}>${tooltip}</circle>`;
  if (shape === 'square') return `<rect class="${classes}" x="${at(x - size)}" y="${at(y - size)}" width="${at(2 * size)}" height="${at(2 * size)}" ${paint}>${tooltip}</rect>`;
  const h = size * 1.2;
  return `<path class="${classes}" d="M${at(x)} ${at(y - h)}L${at(x + h)} ${at(y + h * 0.8)}L${at(x - h)} ${at(y + h * 0.8)}Z" ${paint}>${tooltip}</path>`;
}

/** The SVG document for `runs`; an empty list gives axes and a note, not an error. */
export function latencyThroughputSvg(runs: readonly ChartRun[], options: ChartOptions = {}): string {
  const counts = [...new Set(runs.map((run) => run.validators))].sort((left, right) => left - right);
  const throughputMax = Math.max(1, ...runs.map((run) => run.committedPerS));
  const xStep = niceStep(throughputMax * 1.05, 6);
  const xMax = Math.ceil((throughputMax * 1.05) / xStep) * xStep;
  const latencies = runs.flatMap((run) => [run.p50Ms, run.p99Ms]).map((ms) => Math.max(LATENCY_FLOOR_MS, ms));
  const yLow = 10 ** Math.floor(Math.log10(Math.min(10, ...latencies)));
  const yHigh = 10 ** Math.ceil(Math.log10(Math.max(1000, ...latencies)));
  const x = (perS: number) => PLOT.left + (Math.max(0, perS) / xMax) * (PLOT.right - PLOT.left);
  const y = (ms: number) => PLOT.bottom - ((Math.log10(Math.max(LATENCY_FLOOR_MS, ms)) - Math.log10(yLow)) / (Math.log10(yHigh) - Math.log10(yLow))) * (PLOT.bottom - PLOT.top);

  const parts: string[] = [];
  parts.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" ${FONT} font-size="12">`);
  parts.push(`<rect x="0" y="0" width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`);
  parts.push(`<text class="title" x="${PLOT.left}" y="28" font-size="16" font-weight="bold">${escapeXml(options.title ?? 'Submission-to-commit latency against committed throughput')}</text>`);
  for (const [index, line] of (options.subtitle ?? []).slice(0, 2).entries()) parts.push(`<text class="subtitle" x="${PLOT.left}" y="${48 + 16 * index}" fill="#555555">${escapeXml(line)}</text>`);

  // Grid and ticks.
  parts.push(`<g class="axis x-axis">`);
  for (let tick = 0; tick <= xMax + xStep / 2; tick += xStep) {
    parts.push(`<line x1="${at(x(tick))}" y1="${PLOT.top}" x2="${at(x(tick))}" y2="${PLOT.bottom}" stroke="#e5e5e5"/>`);
    parts.push(`<text class="tick" x="${at(x(tick))}" y="${PLOT.bottom + 18}" text-anchor="middle">${formatCount(tick)}</text>`);
  }
  parts.push(`<text class="axis-label" x="${at((PLOT.left + PLOT.right) / 2)}" y="${PLOT.bottom + 42}" text-anchor="middle" font-size="13">committed events per second</text>`);
  parts.push(`</g>`);
  parts.push(`<g class="axis y-axis">`);
  for (const tick of logTicks(yLow, yHigh)) {
    const major = Number.isInteger(Math.log10(tick));
    parts.push(`<line x1="${PLOT.left}" y1="${at(y(tick))}" x2="${PLOT.right}" y2="${at(y(tick))}" stroke="${major ? '#cccccc' : '#eeeeee'}"/>`);
    parts.push(`<text class="tick" x="${PLOT.left - 8}" y="${at(y(tick) + 4)}" text-anchor="end">${formatMs(tick)}</text>`);
  }
  const yMiddle = (PLOT.top + PLOT.bottom) / 2;
  parts.push(`<text class="axis-label" x="22" y="${at(yMiddle)}" text-anchor="middle" font-size="13" transform="rotate(-90 22 ${at(yMiddle)})">latency, submission to commit (log scale)</text>`);
  parts.push(`</g>`);
  parts.push(`<rect x="${PLOT.left}" y="${PLOT.top}" width="${PLOT.right - PLOT.left}" height="${PLOT.bottom - PLOT.top}" fill="none" stroke="#333333"/>`);
  if (runs.length === 0) parts.push(`<text class="empty" x="${at((PLOT.left + PLOT.right) / 2)}" y="${at(yMiddle)}" text-anchor="middle" fill="#555555">no runs measured</text>`);

  // One series per validator count: p50 solid with filled circles, p99 dashed with hollow
  // squares, both joined along the local (LAN) runs in order of throughput; WAN runs as triangles
  // (filled p50, hollow p99), not joined, since they measure another network.
  for (const [index, validators] of counts.entries()) {
    const colour = PALETTE[index % PALETTE.length]!;
    const mine = runs.filter((run) => run.validators === validators);
    const lan = mine.filter((run) => run.network === 'lan').sort((left, right) => left.committedPerS - right.committedPerS);
    parts.push(`<g class="series" data-validators="${validators}">`);
    for (const [percentile, dash] of [['p50', ''], ['p99', ' stroke-dasharray="6 4"']] as const) {
      if (lan.length > 1) {
        const points = lan.map((run) => `${at(x(run.committedPerS))},${at(y(run[`${percentile}Ms`]))}`).join(' ');
        parts.push(`<polyline class="line ${percentile}" points="${points}" fill="none" stroke="${colour}" stroke-width="2"${dash}/>`);
      }
    }
    for (const run of mine) {
      const describe = (percentile: 'p50' | 'p99') => `${validators} validators, ${run.label}${run.network === 'wan' ? ' (WAN)' : ''}: ${run.committedPerS} events/s committed, ${percentile} ${run[`${percentile}Ms`]} ms`;
      const shape = run.network === 'wan' ? 'triangle' : undefined;
      parts.push(marker(shape ?? 'circle', x(run.committedPerS), y(run.p50Ms), 4, colour, true, `point p50 ${run.network}`, describe('p50')));
      parts.push(marker(shape ?? 'square', x(run.committedPerS), y(run.p99Ms), 3.5, colour, false, `point p99 ${run.network}`, describe('p99')));
    }
    parts.push(`</g>`);
  }

  // Legend: a colour per validator count, then the key to lines and markers.
  const legendX = PLOT.right + 24;
  let legendY = PLOT.top + 6;
  parts.push(`<g class="legend">`);
  for (const [index, validators] of counts.entries()) {
    const colour = PALETTE[index % PALETTE.length]!;
    parts.push(`<g class="legend-series" data-validators="${validators}"><line x1="${legendX}" y1="${legendY}" x2="${legendX + 24}" y2="${legendY}" stroke="${colour}" stroke-width="3"/><text x="${legendX + 32}" y="${legendY + 4}">${validators} validator${validators === 1 ? '' : 's'}</text></g>`);
    legendY += 20;
  }
  legendY += 10;
  const key = (shape: 'circle' | 'square' | 'triangle', filled: boolean, dash: string, text: string) => {
    const line = dash === 'none' ? '' : `<line x1="${legendX}" y1="${legendY}" x2="${legendX + 24}" y2="${legendY}" stroke="#333333" stroke-width="2"${dash}/>`;
    parts.push(`<g class="legend-key">${line}${marker(shape, legendX + 12, legendY, 3.5, '#333333', filled, 'key', text)}<text x="${legendX + 32}" y="${legendY + 4}">${escapeXml(text)}</text></g>`);
    legendY += 20;
  };
  key('circle', true, '', 'p50');
  key('square', false, ' stroke-dasharray="6 4"', 'p99');
  key('triangle', true, 'none', 'WAN p50 (links 25 ± 5 ms)');
  key('triangle', false, 'none', 'WAN p99');
  parts.push(`</g>`);
  parts.push(`</svg>`);
  return `${parts.join('\n')}\n`;
}
