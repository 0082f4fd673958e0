/**
 * `custodia repair --config FILE [--force] [--timeout-ms N] [--json]`: rebuilds a stopped
 * validator's ledger from its peers, keeping its safety state (tools/repair/repair-ledger.ts;
 * docs/operations.md, "Damage and repair"). It first reports what `custodia verify` finds; a
 * healthy ledger is left alone unless --force. Exit 0 when repaired (or healthy), 1 when it
 * could not repair (refused, no peer, timed out, the rebuilt ledger failed its check), 2 for a
 * usage error. Progress goes to stderr; the result to stdout.
 */
import { Command } from 'commander';
import { loadConfig } from '../../node/config.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, fail } from '../exit-codes.js';
import { repairLedger, type RepairOutcome } from '../repair/repair-ledger.js';
import { exitOnInterrupt } from './exit-on-interrupt.js';

/** Ten minutes fetch a long chain on a slow link; an hour is the most one run may wait. */
const REPAIR_TIMEOUT_DEFAULT_MS = 600_000;
const REPAIR_TIMEOUT_MIN_MS = 1_000;
const REPAIR_TIMEOUT_MAX_MS = 3_600_000;

interface RepairCommandOptions {
  config: string;
  force?: boolean;
  timeoutMs: string;
  json?: boolean;
}

export function repairCommand(): Command {
  return new Command('repair')
    .description("rebuild a stopped validator's damaged ledger from its peers, keeping its consensus store (its safety state)")
    .requiredOption('--config <file>', "the validator's JSON config file")
    .option('--force', 'rebuild the ledger even when it checks healthy')
    .option('--timeout-ms <ms>', `give up after this long (${REPAIR_TIMEOUT_MIN_MS} to ${REPAIR_TIMEOUT_MAX_MS})`, String(REPAIR_TIMEOUT_DEFAULT_MS))
    .option('--json', 'print the result as one JSON object')
    .action(async (options: RepairCommandOptions) => {
      process.exitCode = await exitOnInterrupt(() => runRepair(options));
    });
}

async function runRepair(options: RepairCommandOptions): Promise<number> {
  const timeoutMs = Number(options.timeoutMs);
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < REPAIR_TIMEOUT_MIN_MS || timeoutMs > REPAIR_TIMEOUT_MAX_MS) {
    return fail(`--timeout-ms must be a whole number of milliseconds from ${REPAIR_TIMEOUT_MIN_MS} to ${REPAIR_TIMEOUT_MAX_MS}`, EXIT_USAGE);
  }
  const loaded = await loadConfig(options.config);
  if (!loaded.ok) return fail(loaded.message, EXIT_USAGE);
  let lastReported = -1;
  const outcome = await repairLedger(loaded.config, {
    force: options.force === true,
    timeoutMs,
    onPhase: (message) => process.stderr.write(`repair: ${message}\n`),
    onProgress: (height, target) => {
      // A line per hundred blocks keeps a long rebuild visible without flooding a log.
      if (height - lastReported < 100 && !(target !== null && height >= target && lastReported < target)) return;
      lastReported = height;
      process.stderr.write(`repair: fetched to height ${height}${target === null ? '' : ` of ${target}`}\n`);
    },
  });
  report(outcome, options.json === true);
  return outcome.kind === 'repaired' || outcome.kind === 'healthy' ? EXIT_OK : EXIT_FAILED;
}

function report(outcome: RepairOutcome, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(jsonOf(outcome))}\n`);
    return;
  }
  switch (outcome.kind) {
    case 'refused':
      process.stderr.write(`error: ${outcome.message}\n`);
      return;
    case 'healthy':
      process.stdout.write(`ok: the ledger verified from genesis to height ${outcome.height}; nothing to repair (--force rebuilds it anyway)\n`);
      return;
    case 'repaired':
      process.stdout.write(
        [
          `repaired: the ledger was rebuilt from the peers and verified from genesis to height ${outcome.height}`,
          `  damage        ${outcome.damage ?? 'none (rebuilt with --force)'}`,
          `  old ledger    ${outcome.movedTo ?? 'there was none'}${outcome.movedTo === null ? '' : ' (remove it once you no longer need it)'}`,
          `  head block    ${outcome.summary.headHash}`,
          `  consensus/    kept as it was: the safety state never moved back`,
          `  log           ${outcome.logFile}`,
        ].join('\n') + '\n',
      );
      return;
    case 'failed':
      process.stderr.write(`error: repair failed at height ${outcome.height}: ${outcome.message} (log: ${outcome.logFile})\n`);
      return;
  }
}

function jsonOf(outcome: RepairOutcome): Record<string, unknown> {
  switch (outcome.kind) {
    case 'refused':
      return { repaired: false, refused: true, message: outcome.message };
    case 'healthy':
      return { repaired: false, healthy: true, height: outcome.height };
    case 'repaired':
      return { repaired: true, damage: outcome.damage, movedTo: outcome.movedTo, height: outcome.height, headHash: outcome.summary.headHash, verified: true, logFile: outcome.logFile };
    case 'failed':
      return { repaired: false, damage: outcome.damage, movedTo: outcome.movedTo, height: outcome.height, message: outcome.message, logFile: outcome.logFile };
  }
}
