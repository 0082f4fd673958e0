/**
 * `custodia epcis validate FILE...`: checks EPCIS 2.0 JSON/JSON-LD files (an EPCISDocument or
 * an EPCISQueryDocument) with contracts/epcis and prints `FILE: ok`, or the errors as
 * `path: message`. A file ending in .xml is EPCIS 2.0 or 1.2 XML: it is converted to the
 * EPCIS 2.0 JSON-LD form first (api/epcis-xml, docs/epcis-xml.md), and the line names the
 * version found, followed by the conversion's warnings. Exits 1 when any file is invalid, 2
 * when a file cannot be read. `custodia epcis sign` (epcis-sign.ts) prints the headers that
 * capture a document through the EPCIS REST binding.
 */
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { EPCIS_XML_LIMITS, parseEpcisXml, type EpcisXmlProblem, type EpcisXmlVersion, type EpcisXmlWarning } from '../../api/epcis-xml/index.js';
import { validateEpcisDocument, type EpcisValidationError } from '../../contracts/epcis/index.js';
import { parseStrictJson } from '../../ledger/encoding/strict-json.js';
import { epcisSignCommand } from './epcis-sign.js';

/** Large enough for a document at EPCIS_LIMITS.eventsPerDocumentMax events of ordinary size. */
const EPCIS_FILE_BYTES_MAX = 64 * 1024 * 1024;

/** A command whose subcommands also take the settings the program gives it (exit override, help). */
class CommandGroup extends Command {
  override copyInheritedSettings(source: Command): this {
    super.copyInheritedSettings(source);
    for (const subcommand of this.commands) subcommand.copyInheritedSettings(this);
    return this;
  }
}

interface ValidateOptions {
  json?: boolean;
}

/** What an XML file was: the EPCIS version found and what the conversion reported. */
interface XmlConversion {
  format: 'xml';
  version: EpcisXmlVersion;
  warnings: EpcisXmlWarning[];
}

type FileOutcome =
  | ({ file: string; ok: true } & Partial<XmlConversion>)
  | ({ file: string; ok: false; errors: EpcisValidationError[] } & Partial<XmlConversion>)
  | { file: string; ok: false; format: 'xml'; conversionProblem: EpcisXmlProblem }
  | { file: string; ok: false; readError: string };

function isXmlFile(file: string): boolean {
  return file.toLowerCase().endsWith('.xml');
}

export function epcisCommand(): Command {
  const group = new CommandGroup('epcis').description('work with EPCIS 2.0 documents');
  group.addCommand(
    new Command('validate')
      .description('check EPCIS 2.0 JSON/JSON-LD documents, or EPCIS 2.0 / 1.2 XML documents (files ending in .xml, converted first), against the EPCIS 2.0 and CBV 2.0 rules Custodia enforces')
      .argument('<files...>', 'EPCISDocument or EPCISQueryDocument files (.jsonld, .json or .xml)')
      .option('--json', 'print the outcome of every file as one JSON array')
      .action(async (files: string[], options: ValidateOptions) => {
        process.exitCode = await runValidate(files, options);
      }),
  );
  group.addCommand(epcisSignCommand());
  return group;
}

async function validateFile(file: string): Promise<FileOutcome> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return { file, ok: false, readError: (error as Error).message };
  }
  if (isXmlFile(file)) {
    // A local file, not a request: as large as a JSON file may be, with elements in proportion.
    const converted = parseEpcisXml(text, { ...EPCIS_XML_LIMITS, bytesMax: EPCIS_FILE_BYTES_MAX, elementsMax: 16 * EPCIS_XML_LIMITS.elementsMax });
    if (!converted.ok) return { file, ok: false, format: 'xml', conversionProblem: converted.problem };
    const conversion: XmlConversion = { format: 'xml', version: converted.version, warnings: converted.warnings };
    const validation = validateEpcisDocument(converted.document);
    return validation.ok ? { file, ok: true, ...conversion } : { file, ok: false, errors: validation.errors, ...conversion };
  }
  // Strict parsing: a duplicate member name would leave two readings of one event.
  const parsed = parseStrictJson(text, { bytesMax: EPCIS_FILE_BYTES_MAX });
  if (!parsed.ok) return { file, ok: false, errors: [{ path: '', message: `not valid JSON: ${parsed.error.message}` }] };
  const validation = validateEpcisDocument(parsed.value);
  return validation.ok ? { file, ok: true } : { file, ok: false, errors: validation.errors };
}

async function runValidate(files: readonly string[], options: ValidateOptions): Promise<number> {
  const outcomes: FileOutcome[] = [];
  for (const file of files) outcomes.push(await validateFile(file));
  if (options.json) {
    process.stdout.write(`${JSON.stringify(outcomes)}\n`);
  } else {
    for (const outcome of outcomes) printOutcome(outcome);
  }
  if (outcomes.some((outcome) => 'readError' in outcome)) return 2;
  return outcomes.every((outcome) => outcome.ok) ? 0 : 1;
}

/** ` (EPCIS 1.2 XML)` after the verdict, and the conversion's warnings under it, for XML files. */
function xmlNote(outcome: Partial<XmlConversion>): { suffix: string; lines: string[] } {
  if (outcome.version === undefined) return { suffix: '', lines: [] };
  const lines = (outcome.warnings ?? []).map((warning) => `  warning: ${warning.path === undefined ? '' : `${warning.path}: `}${warning.message}`);
  return { suffix: ` (EPCIS ${outcome.version} XML)`, lines };
}

function printOutcome(outcome: FileOutcome): void {
  const out: string[] = [];
  if ('readError' in outcome) {
    process.stderr.write(`${outcome.file}: cannot read: ${outcome.readError}\n`);
    return;
  }
  if ('conversionProblem' in outcome) {
    const { code, message, path } = outcome.conversionProblem;
    out.push(`${outcome.file}: not convertible EPCIS XML`, `  ${code}: ${path === undefined ? '' : `${path}: `}${message}`);
  } else if (outcome.ok) {
    const note = xmlNote(outcome);
    out.push(`${outcome.file}: ok${note.suffix}`, ...note.lines);
  } else {
    const note = xmlNote(outcome);
    const count = outcome.errors.length;
    out.push(`${outcome.file}: ${count} ${count === 1 ? 'error' : 'errors'}${note.suffix}`, ...outcome.errors.map((error) => `  ${error.path === '' ? '' : `${error.path}: `}${error.message}`), ...note.lines);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}
