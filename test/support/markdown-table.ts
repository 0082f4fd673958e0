/**
 * Reads a table of a Markdown document in this repository (GitHub-flavoured pipe tables), so a
 * test can check each cell of a table the documentation states: the document and the behaviour
 * cannot drift apart.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface MarkdownTable {
  header: string[];
  rows: string[][];
}

/** The first table after the heading `heading` (the heading's text exactly) in the file at `path`, relative to the repository root. */
export function markdownTable(path: string, heading: string): MarkdownTable {
  const text = readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8');
  const lines = text.split('\n');
  const start = lines.findIndex((line) => /^#+ /.test(line) && line.replace(/^#+ /, '').trim() === heading);
  if (start < 0) throw new Error(`${path} has no heading "${heading}"`);
  const first = lines.findIndex((line, index) => index > start && line.startsWith('|'));
  if (first < 0) throw new Error(`${path}: no table under "${heading}"`);
  const tableLines: string[] = [];
  for (let index = first; index < lines.length && lines[index]!.startsWith('|'); index++) tableLines.push(lines[index]!);
  const [headerLine, separator, ...rowLines] = tableLines;
  if (headerLine === undefined || separator === undefined || !/^\|[-| :]+\|$/.test(separator)) throw new Error(`${path}: the table under "${heading}" has no header`);
  const cells = (line: string) => line.slice(1, -1).split('|').map((cell) => cell.trim());
  const header = cells(headerLine);
  const rows = rowLines.map(cells);
  for (const row of rows) if (row.length !== header.length) throw new Error(`${path}: row "${row[0]}" has ${row.length} cells, the header ${header.length}`);
  return { header, rows };
}

/** A cell without the backticks of inline code. */
export function plain(cell: string): string {
  return cell.replace(/`/g, '');
}
