/// <reference lib="dom" />
/**
 * Temperature readings of an item or lot, from the sensor reports in its custody events, against
 * the range the lot declared (ilmd custodia:temperatureRange). A reading outside the range is an
 * excursion: the contracts quarantined the lot when it was recorded, so the UI marks the same
 * readings red in the chart and the table. Fahrenheit reports are shown in Celsius, as the rules
 * compare them.
 */
import { badge, cell, empty, table } from './components.js';
import { element, routeLink, svgElement } from './dom.js';
import { formatCelsius, formatClock, formatShortDay, formatTime, partyName, startOfDay, toCelsius, type Directory } from './format.js';
import type { CustodyEvent, TracedRecord } from './types.js';

export interface Reading {
  time: string;
  celsius: number;
  /** value, minValue or maxValue of the sensor report. */
  measure: 'value' | 'minimum' | 'maximum';
  excursion: boolean;
  event: CustodyEvent;
}

type Range = NonNullable<TracedRecord['temperatureRange']>;

export function temperatureReadings(events: readonly CustodyEvent[], range: Range | undefined): Reading[] {
  const readings: Reading[] = [];
  for (const event of events) {
    for (const report of event.readings) {
      if (report.type !== 'Temperature') continue;
      const measures: Array<[Reading['measure'], number | undefined]> = [
        ['value', report.value],
        ['minimum', report.minValue],
        ['maximum', report.maxValue],
      ];
      for (const [measure, raw] of measures) {
        if (raw === undefined) continue;
        const celsius = toCelsius(raw, report.uom);
        const excursion = range !== undefined && (celsius < range.minimum || celsius > range.maximum);
        readings.push({ time: event.eventTime, celsius, measure, excursion, event });
      }
    }
  }
  return readings.sort((left, right) => Date.parse(left.time) - Date.parse(right.time));
}

const CHART_WIDTH = 480;
const CHART_HEIGHT = 230;
const PADDING = { left: 48, right: 14, top: 14, bottom: 40 };
/** Room one time label needs on the axis, in chart units. */
const X_LABEL_WIDTH = 60;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const TIME_STEPS = [HOUR_MS, 2 * HOUR_MS, 3 * HOUR_MS, 6 * HOUR_MS, 12 * HOUR_MS, DAY_MS, 2 * DAY_MS, 7 * DAY_MS, 14 * DAY_MS, 28 * DAY_MS];
const DEGREE_STEPS = [0.5, 1, 2, 5, 10, 20, 50];

/** Degree ticks at a round step, at most six, covering [low, high]. */
function degreeTicks(low: number, high: number): { bottom: number; top: number; step: number } {
  const step = DEGREE_STEPS.find((candidate) => (Math.ceil(high / candidate) - Math.floor(low / candidate)) <= 6) ?? 100;
  return { bottom: Math.floor(low / step) * step, top: Math.ceil(high / step) * step, step };
}

/**
 * Time ticks on round hours or midnights of this browser's time zone, as many as fit without
 * their labels overlapping.
 */
function timeTicks(first: number, last: number, fitting: number): { ticks: number[]; step: number } {
  const span = Math.max(last - first, 1);
  const step = TIME_STEPS.find((candidate) => span / candidate <= fitting) ?? TIME_STEPS[TIME_STEPS.length - 1]!;
  const ticks: number[] = [];
  // Steps below a day count from local midnight (hours are not all equal across a DST change, but close enough for ticks).
  for (let tick = startOfDay(first); tick <= last; tick = step < DAY_MS ? tick + step : startOfDay(tick + step + HOUR_MS * 3)) {
    if (tick >= first) ticks.push(tick);
  }
  return { ticks, step };
}

function chart(readings: readonly Reading[], range: Range | undefined): SVGSVGElement {
  const values = readings.map((reading) => reading.celsius);
  const low = Math.min(...values, range?.minimum ?? Number.POSITIVE_INFINITY);
  const high = Math.max(...values, range?.maximum ?? Number.NEGATIVE_INFINITY);
  const margin = Math.max((high - low) * 0.08, 0.5);
  const { bottom, top, step: degreeStep } = degreeTicks(low - margin, high + margin);
  const times = readings.map((reading) => Date.parse(reading.time));
  const earliest = Math.min(...times);
  const latest = Math.max(...times);
  // A little room either side, so the first and last readings do not sit on the plot's edge.
  const pad = latest === earliest ? HOUR_MS : (latest - earliest) * 0.05;
  const first = earliest - pad;
  const last = latest + pad;
  const plotWidth = CHART_WIDTH - PADDING.left - PADDING.right;
  const plotHeight = CHART_HEIGHT - PADDING.top - PADDING.bottom;
  const x = (time: number) => PADDING.left + ((time - first) / (last - first)) * plotWidth;
  const y = (celsius: number) => PADDING.top + ((top - celsius) / (top - bottom)) * plotHeight;

  const svg = svgElement('svg', {
    class: 'chart',
    viewBox: `0 0 ${CHART_WIDTH} ${CHART_HEIGHT}`,
    role: 'img',
    'aria-label': `${readings.length} temperature readings from ${formatTime(earliest)} to ${formatTime(latest)}${range === undefined ? '' : ` against the allowed ${formatCelsius(range.minimum)} to ${formatCelsius(range.maximum)}`}`,
    'data-testid': 'temperature-chart',
  });
  if (range !== undefined) {
    const bandTop = y(Math.min(range.maximum, top));
    const bandBottom = y(Math.max(range.minimum, bottom));
    svg.append(svgElement('rect', { class: 'band', x: PADDING.left, y: bandTop, width: plotWidth, height: Math.max(0, bandBottom - bandTop) }));
    for (const limit of [range.minimum, range.maximum]) {
      if (limit < bottom || limit > top) continue;
      svg.append(svgElement('line', { class: 'band-edge', x1: PADDING.left, x2: PADDING.left + plotWidth, y1: y(limit), y2: y(limit) }));
    }
    svg.append(svgElement('text', { class: 'band-label', x: PADDING.left + plotWidth - 4, y: bandTop + 12, 'text-anchor': 'end' }, `allowed ${formatRangeEnd(range.minimum)} to ${formatCelsius(range.maximum)}`));
  }
  for (let celsius = bottom; celsius <= top + degreeStep / 1000; celsius += degreeStep) {
    svg.append(svgElement('line', { class: 'grid-line', x1: PADDING.left, x2: PADDING.left + plotWidth, y1: y(celsius), y2: y(celsius) }));
    svg.append(svgElement('text', { class: 'tick-label', x: PADDING.left - 6, y: y(celsius) + 3.5, 'text-anchor': 'end' }, `${degreeStep < 1 ? celsius.toFixed(1) : celsius.toFixed(0)} °C`));
  }
  const axisY = PADDING.top + plotHeight;
  svg.append(svgElement('line', { class: 'axis', x1: PADDING.left, x2: PADDING.left + plotWidth, y1: axisY, y2: axisY }));
  const { ticks, step } = timeTicks(first, last, Math.max(1, Math.floor(plotWidth / X_LABEL_WIDTH)));
  let previousDay: number | undefined;
  for (const tick of ticks) {
    const tickX = x(tick);
    const day = startOfDay(tick);
    svg.append(svgElement('line', { class: 'tick', x1: tickX, x2: tickX, y1: axisY, y2: axisY + 4 }));
    if (step < DAY_MS) svg.append(svgElement('text', { class: 'tick-label', x: tickX, y: axisY + 17, 'text-anchor': 'middle' }, formatClock(tick)));
    if (step >= DAY_MS || day !== previousDay) svg.append(svgElement('text', { class: 'tick-label tick-day', x: tickX, y: axisY + (step < DAY_MS ? 31 : 17), 'text-anchor': 'middle' }, formatShortDay(tick)));
    previousDay = day;
  }

  if (readings.length > 1) {
    const points = readings.map((reading) => `${x(Date.parse(reading.time)).toFixed(1)},${y(reading.celsius).toFixed(1)}`).join(' ');
    svg.append(svgElement('polyline', { class: 'series', points }));
  }
  for (const reading of readings) {
    const cx = x(Date.parse(reading.time));
    const cy = y(reading.celsius);
    svg.append(svgElement('circle', { class: reading.excursion ? 'point excursion' : 'point', cx, cy, r: reading.excursion ? 5.5 : 4 }, svgElement('title', {}, `${formatCelsius(reading.celsius)} at ${formatTime(reading.time)}`)));
    if (reading.excursion) {
      const leftward = cx > PADDING.left + plotWidth - 110;
      svg.append(svgElement('text', { class: 'excursion-label', x: leftward ? cx - 9 : cx + 9, y: cy + 4, 'text-anchor': leftward ? 'end' : 'start' }, `${formatCelsius(reading.celsius)} excursion`));
    }
  }
  return svg;
}

/** The low end of a range without its unit when the high end carries it: "2.0 to 8.0 °C". */
function formatRangeEnd(value: number): string {
  return value.toFixed(1);
}

export function temperatureView(readings: readonly Reading[], range: Range | undefined, directory: Directory): HTMLElement[] {
  if (readings.length === 0) {
    return [element('div', { class: 'card-body' }, empty(range === undefined ? 'No temperature readings were recorded, and no range was declared.' : `No temperature readings were recorded. Allowed range: ${formatCelsius(range.minimum)} to ${formatCelsius(range.maximum)}.`))];
  }
  const rows = readings.map((reading) =>
    element(
      'tr',
      { class: reading.excursion ? 'excursion' : undefined, 'data-excursion': reading.excursion ? 'true' : 'false' },
      cell(routeLink(`/tx/${reading.event.txId}`, { title: `transaction ${reading.event.txId}` }, formatTime(reading.time))),
      cell(`${formatCelsius(reading.celsius)}${reading.measure === 'value' ? '' : ` (${reading.measure})`}`, { numeric: true }),
      cell(reading.excursion ? badge('Excursion', 'bad') : range === undefined ? badge('No range', 'neutral') : badge('In range', 'good')),
      cell(reading.event.signers.map((signer) => partyName(directory, signer)).join(', '), { narrowHidden: true }),
    ),
  );
  return [
    element('div', { class: 'card-body' }, chart(readings, range)),
    table(['Time', { label: 'Reading', numeric: true }, 'Status', { label: 'Recorded by', narrowHidden: true }], rows),
  ];
}
