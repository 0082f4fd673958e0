/**
 * `custodia epcis validate FILE...`: checks EPCIS 2.0 JSON/JSON-LD files (an EPCISDocument or
 * an EPCISQueryDocument) with contracts/epcis and prints `FILE: ok`, or the errors as
 * `path: message`. Exits 1 when any file is invalid, 2 when a file cannot be read.
 * `custodia epcis sign` (epcis-sign.ts) prints the headers that capture a document through the
 * EPCIS REST binding.
 */
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
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

type FileOutcome =
  | { file: string; ok: true }
  | { file: string; ok: false; errors: EpcisValidationError[] }
  | { file: string; ok: false; readError: string };

export function epcisCommand(): Command {
  const group = new CommandGroup('epcis').description('work with EPCIS 2.0 documents');
  group.addCommand(
    new Command('validate')
      .description('check EPCIS 2.0 JSON/JSON-LD documents against the EPCIS 2.0 and CBV 2.0 rules Custodia enforces')
      .argument('<files...>', 'EPCISDocument or EPCISQueryDocument files')
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

function printOutcome(outcome: FileOutcome): void {
  if (outcome.ok) {
    process.stdout.write(`${outcome.file}: ok\n`);
  } else if ('readError' in outcome) {
    process.stderr.write(`${outcome.file}: cannot read: ${outcome.readError}\n`);
  } else {
    const count = outcome.errors.length;
    const lines = outcome.errors.map((error) => `  ${error.path === '' ? '' : `${error.path}: `}${error.message}`);
    process.stdout.write(`${outcome.file}: ${count} ${count === 1 ? 'error' : 'errors'}\n${lines.join('\n')}\n`);
  }
}
