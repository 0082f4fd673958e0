/// <reference lib="dom" />
/**
 * Draws a trace (GET /v1/items/:epc/trace) as an SVG graph without a library: nodes in columns
 * by their distance from the traced item, arrows in the direction goods moved (an input into
 * what was made from it, a packed thing into its container), so that a trace back reads left to
 * right towards the item and a trace forward reads left to right away from it.
 */
import { element, svgElement } from './dom.js';
import { conditionOf, identifierKind, shortUrn } from './format.js';
import type { RedactedRecord, TraceGraph, TracedRecord } from './types.js';

const NODE_WIDTH = 220;
const NODE_HEIGHT = 60;
const COLUMN_GAP = 76;
const ROW_GAP = 18;
const MARGIN = 12;
const LABEL_CHARACTERS_MAX = 28;

let graphCount = 0;

function truncateMiddle(text: string, lengthMax: number): string {
  if (text.length <= lengthMax) return text;
  const head = Math.ceil((lengthMax - 1) * 0.55);
  return `${text.slice(0, head)}…${text.slice(text.length - (lengthMax - 1 - head))}`;
}

/** Breadth-first distance from the root over the edges, whichever way they point. */
function distances(graph: TraceGraph): Map<string, number> {
  const neighbours = new Map<string, string[]>();
  const link = (from: string, to: string) => neighbours.set(from, [...(neighbours.get(from) ?? []), to]);
  for (const edge of graph.edges) {
    link(edge.from, edge.to);
    link(edge.to, edge.from);
  }
  const distance = new Map([[graph.root, 0]]);
  const queue = [graph.root];
  for (let index = 0; index < queue.length; index++) {
    const current = queue[index]!;
    for (const next of neighbours.get(current) ?? []) {
      if (distance.has(next)) continue;
      distance.set(next, distance.get(current)! + 1);
      queue.push(next);
    }
  }
  return distance;
}

/**
 * Material flows from `source` to `target`. An edge says `from` was made from `to`, or `from`
 * contains `to`; either way the goods went from `to` into `from`.
 */
function flowOf(edge: TraceGraph['edges'][number]): { source: string; target: string } {
  return { source: edge.to, target: edge.from };
}

/** The node's one status (format.ts conditionOf); an item not shared with the reader shows only whether it is recalled. */
function statusLine(record: TracedRecord | RedactedRecord): { text: string; flagged: boolean; status: string } {
  if ('redacted' in record) return record.recalls.length > 0 ? { text: 'RECALLED', flagged: true, status: 'recalled' } : { text: 'NOT SHARED', flagged: false, status: 'not-shared' };
  const condition = conditionOf(record) ?? record.status;
  return { text: condition.toUpperCase(), flagged: condition === 'recalled' || condition === 'quarantined', status: condition };
}

/**
 * A GS1 key reads best as its distinguishing last part (the lot or serial) with the company
 * prefix and item reference beneath: `urn:epc:class:lgtin:0614142.0077777.SALAD-7` ->
 * `SALAD-7` over `lgtin 0614142.0077777`.
 */
function labelLines(id: string): { main: string; detail: string } {
  const match = /^urn:epc:(?:id|class|idpat):([a-z0-9]+):(.+)\.([^.]+)$/.exec(id);
  if (match === null) return { main: shortUrn(id), detail: '' };
  return { main: match[3]!, detail: `${match[1]} ${match[2]}` };
}

export function traceGraphView(graph: TraceGraph): HTMLElement {
  const graphId = `trace-${++graphCount}`;
  const records = new Map(graph.nodes.map((record) => [record.id, record]));
  const distance = distances(graph);
  const maximum = Math.max(0, ...[...records.keys()].map((id) => distance.get(id) ?? 0));

  // Columns: a trace back puts the root last (rightmost), a trace forward first.
  const columns: string[][] = Array.from({ length: maximum + 1 }, () => []);
  for (const id of records.keys()) {
    const step = distance.get(id) ?? maximum;
    const column = graph.direction === 'back' ? maximum - step : step;
    columns[column]!.push(id);
  }
  // Keep each node near the nodes it connects to in the previous column (barycentre ordering).
  const rowOf = new Map<string, number>();
  const connected = (id: string) => graph.edges.flatMap((edge) => (edge.from === id ? [edge.to] : edge.to === id ? [edge.from] : []));
  for (const column of columns) {
    const weight = (id: string) => {
      const placed = connected(id).flatMap((other) => (rowOf.has(other) ? [rowOf.get(other)!] : []));
      return placed.length === 0 ? Number.POSITIVE_INFINITY : placed.reduce((sum, row) => sum + row, 0) / placed.length;
    };
    column.sort((left, right) => weight(left) - weight(right) || left.localeCompare(right));
    column.forEach((id, row) => rowOf.set(id, row));
  }

  const rows = Math.max(1, ...columns.map((column) => column.length));
  const width = MARGIN * 2 + columns.length * NODE_WIDTH + (columns.length - 1) * COLUMN_GAP;
  const height = MARGIN * 2 + rows * NODE_HEIGHT + (rows - 1) * ROW_GAP;
  const position = new Map<string, { x: number; y: number }>();
  columns.forEach((column, columnIndex) => {
    const offset = ((rows - column.length) * (NODE_HEIGHT + ROW_GAP)) / 2;
    column.forEach((id, row) => position.set(id, { x: MARGIN + columnIndex * (NODE_WIDTH + COLUMN_GAP), y: MARGIN + offset + row * (NODE_HEIGHT + ROW_GAP) }));
  });

  const svg = svgElement('svg', {
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: 'img',
    'aria-label': `trace ${graph.direction} from ${graph.root}: ${graph.nodes.length} nodes`,
    'data-testid': `trace-graph-${graph.direction}`,
  });
  const markerId = `${graphId}-arrow`;
  svg.append(
    svgElement(
      'defs',
      {},
      svgElement('marker', { id: markerId, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, svgElement('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#9aa6b6' })),
    ),
  );

  const drawn = new Set<string>();
  for (const edge of graph.edges) {
    const { source, target } = flowOf(edge);
    const key = `${source}\u0000${target}\u0000${edge.relation}`;
    if (drawn.has(key)) continue;
    drawn.add(key);
    const from = position.get(source);
    const to = position.get(target);
    if (from === undefined || to === undefined) continue;
    const forwards = to.x > from.x;
    const startX = forwards ? from.x + NODE_WIDTH : from.x;
    const endX = forwards ? to.x : to.x + NODE_WIDTH;
    const startY = from.y + NODE_HEIGHT / 2;
    const endY = to.y + NODE_HEIGHT / 2;
    const bend = Math.max(30, Math.abs(endX - startX) / 2);
    const direction = forwards ? 1 : -1;
    const path = `M ${startX} ${startY} C ${startX + bend * direction} ${startY}, ${endX - bend * direction} ${endY}, ${endX} ${endY}`;
    svg.append(svgElement('path', { d: path, class: `graph-edge ${edge.relation === 'contains' ? 'contains' : 'made-from'}`, 'marker-end': `url(#${markerId})` }));
    svg.append(
      svgElement('text', { x: (startX + endX) / 2, y: (startY + endY) / 2 - 5, 'text-anchor': 'middle', class: 'graph-edge-label' }, edge.relation === 'contains' ? 'packed in' : 'made into'),
    );
  }

  for (const [id, record] of records) {
    const at = position.get(id)!;
    const status = statusLine(record);
    const labels = labelLines(id);
    const classes = ['graph-node', id === graph.root ? 'root' : '', record.recalls.length > 0 ? 'recalled' : ''].filter(Boolean).join(' ');
    const link = svgElement(
      'a',
      { href: `#/item/${encodeURIComponent(id)}` },
      svgElement('title', {}, id),
      svgElement('rect', { x: at.x, y: at.y, width: NODE_WIDTH, height: NODE_HEIGHT, rx: 7 }),
      svgElement('text', { x: at.x + 12, y: at.y + 17, class: 'graph-kind' }, `${identifierKind(id)}${id === graph.root ? ' · this item' : ''}`),
      svgElement('text', { x: at.x + NODE_WIDTH - 12, y: at.y + 17, 'text-anchor': 'end', class: status.flagged ? 'graph-kind graph-flag' : 'graph-kind' }, status.text),
      svgElement('text', { x: at.x + 12, y: at.y + 35, class: 'graph-main' }, truncateMiddle(labels.main, LABEL_CHARACTERS_MAX)),
      svgElement('text', { x: at.x + 12, y: at.y + 50, class: 'graph-detail' }, truncateMiddle(labels.detail, LABEL_CHARACTERS_MAX + 4)),
    );
    svg.append(svgElement('g', { class: classes, 'data-node': id, 'data-status': status.status }, link));
  }

  return element('div', { class: 'graph-frame' }, svg);
}
