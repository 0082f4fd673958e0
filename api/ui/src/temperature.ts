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
import { formatCelsius, formatTime, partyName, toCelsius, type Directory } from './format.js';
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

const CHART_WIDTH = 520;
const CHART_HEIGHT = 210;
const PADDING = { left: 46, right: 16, top: 14, bottom: 28 };

function chart(readings: readonly Reading[], range: Range | undefined): SVGSVGElement {
  const values = readings.map((reading) => reading.celsius);
  const low = Math.min(...values, range?.minimum ?? Number.POSITIVE_INFINITY);
  const high = Math.max(...values, range?.maximum ?? Number.NEGATIVE_INFINITY);
  const span = Math.max(high - low, 2);
  const bottom = Math.floor(low - span * 0.15);
  const top = Math.ceil(high + span * 0.15);
  const times = readings.map((reading) => Date.parse(reading.time));
  const first = Math.min(...times);
  const last = Math.max(...times);
  const plotWidth = CHART_WIDTH - PADDING.left - PADDING.right;
  const plotHeight = CHART_HEIGHT - PADDING.top - PADDING.bottom;
  const x = (time: number) => PADDING.left + (last === first ? plotWidth / 2 : ((time - first) / (last - first)) * plotWidth);
  const y = (celsius: number) => PADDING.top + ((top - celsius) / (top - bottom)) * plotHeight;

  const svg = svgElement('svg', { class: 'chart', viewBox: `0 0 ${CHART_WIDTH} ${CHART_HEIGHT}`, role: 'img', 'aria-label': 'temperature readings against the allowed range', 'data-testid': 'temperature-chart' });
  if (range !== undefined) {
    svg.append(svgElement('rect', { class: 'band', x: PADDING.left, y: y(range.maximum), width: plotWidth, height: Math.max(0, y(range.minimum) - y(range.maximum)) }));
    for (const limit of [range.minimum, range.maximum]) {
      svg.append(svgElement('line', { class: 'band-edge', x1: PADDING.left, x2: PADDING.left + plotWidth, y1: y(limit), y2: y(limit) }));
    }
  }
  const ticks = 4;
  for (let tick = 0; tick <= ticks; tick++) {
    const celsius = bottom + ((top - bottom) * tick) / ticks;
    svg.append(svgElement('line', { class: 'grid-line', x1: PADDING.left, x2: PADDING.left + plotWidth, y1: y(celsius), y2: y(celsius) }));
    svg.append(svgElement('text', { x: PADDING.left - 6, y: y(celsius) + 3.5, 'text-anchor': 'end' }, `${celsius.toFixed(0)}°`));
  }
  svg.append(svgElement('line', { class: 'axis', x1: PADDING.left, x2: PADDING.left + plotWidth, y1: PADDING.top + plotHeight, y2: PADDING.top + plotHeight }));
  svg.append(svgElement('text', { x: PADDING.left, y: CHART_HEIGHT - 8 }, formatTime(first)));
  if (last !== first) svg.append(svgElement('text', { x: PADDING.left + plotWidth, y: CHART_HEIGHT - 8, 'text-anchor': 'end' }, formatTime(last)));

  if (readings.length > 1) {
    const points = readings.map((reading) => `${x(Date.parse(reading.time)).toFixed(1)},${y(reading.celsius).toFixed(1)}`).join(' ');
    svg.append(svgElement('polyline', { class: 'series', points }));
  }
  for (const reading of readings) {
    const cx = x(Date.parse(reading.time));
    const cy = y(reading.celsius);
    svg.append(svgElement('circle', { class: reading.excursion ? 'point excursion' : 'point', cx, cy, r: reading.excursion ? 5.5 : 4 }, svgElement('title', {}, `${formatCelsius(reading.celsius)} at ${formatTime(reading.time)}`)));
    if (reading.excursion) svg.append(svgElement('text', { class: 'excursion-label', x: cx + 9, y: cy + 4 }, `${formatCelsius(reading.celsius)} excursion`));
  }
  return svg;
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
