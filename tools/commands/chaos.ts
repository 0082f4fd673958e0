/**
 * `custodia chaos`: a seeded chaos run against a local network of real validator processes
 * (tools/chaos/run.ts). Prints progress on stderr and a summary (or, with --json, one object) on
 * stdout; exits 0 only when nothing acknowledged was lost, no fork, no double signature, every
 * store verified and commits resumed within --stall-max-ms after every fault.
 */
import { Command } from 'commander';
import { describeStall, runChaos, type ChaosReport } from '../chaos/run.js';
import { CHAOS_FAULT_KINDS, DEFAULT_CLOCK_SKEW_MS, type ChaosFaultKind } from '../chaos/faults.js';
import { EXIT_FAILED, fail } from '../exit-codes.js';
import { integerOption } from '../integer-option.js';

interface ChaosCommandOptions {
  validators: string;
  duration: string;
  seed?: string;
  rate: string;
  faults: string;
  stallMaxMs: string;
  holdMs: string;
  clockSkewMs: string;
  keep?: boolean;
  json?: boolean;
}


export function chaosCommand(): Command {
  return new Command('chaos')
    .description('run a local network under load while killing, pausing, isolating, skewing the clocks of, and damaging and repairing the ledgers of up to f validators at a time; check nothing acknowledged is lost, no fork, no double signature')
    .option('--validators <n>', 'validators (at least 4)', '4')
    .option('--duration <seconds>', 'how long faults are injected (every kind is injected at least once, however short)', '120')
    .option('--seed <s>', 'the seed of the fault order (random when absent; printed)')
    .option('--rate <events>', 'transactions offered per second', '20')
    .option('--faults <kinds>', `fault kinds, comma-separated (${CHAOS_FAULT_KINDS.join(', ')})`, CHAOS_FAULT_KINDS.join(','))
    .option('--hold-ms <min-max>', 'how long each fault is held, drawn between the two, ms', '2000-8000')
    .option('--clock-skew-ms <min-max>', 'how far a clock-skew fault sets the clock ahead or behind, drawn between the two, ms; a clock that was ahead stands still that long after it is set right, and the fault lasts until then', `${DEFAULT_CLOCK_SKEW_MS.min}-${DEFAULT_CLOCK_SKEW_MS.max}`)
    .option('--stall-max-ms <ms>', 'the longest stall or catch-up after a fault the run accepts', '30000')
    .option('--keep', "keep the testnet folder (the validators' logs and data)")
    .option('--json', 'print one JSON object')
    .action(async (options: ChaosCommandOptions) => {
      const parsed = {
        validators: integerOption(options.validators, 'validators', 4, 31),
        duration: integerOption(options.duration, 'duration', 1, 7 * 24 * 3600),
        seed: options.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : integerOption(options.seed, 'seed', 0, Number.MAX_SAFE_INTEGER),
        rate: integerOption(options.rate, 'rate', 1, 10_000),
        stallMaxMs: integerOption(options.stallMaxMs, 'stall-max-ms', 1_000, 3_600_000),
      };
      for (const value of Object.values(parsed)) if (typeof value === 'string') return void (process.exitCode = fail(value));
      const holdMs = rangeOption(options.holdMs, 100, 3_600_000);
      if (holdMs === undefined) return void (process.exitCode = fail('--hold-ms is MIN-MAX in ms, from 100 to 3600000, MIN at most MAX'));
      const clockSkewMs = rangeOption(options.clockSkewMs, 6_000, 600_000);
      if (clockSkewMs === undefined) return void (process.exitCode = fail('--clock-skew-ms is MIN-MAX in ms, from 6000 (beyond the 5 s a clock may be off) to 600000, MIN at most MAX'));
      const kinds = options.faults.split(',').map((kind) => kind.trim());
      const unknown = kinds.filter((kind) => !(CHAOS_FAULT_KINDS as readonly string[]).includes(kind));
      if (unknown.length > 0 || kinds.length === 0) return void (process.exitCode = fail(`--faults: unknown kind ${unknown.join(', ')} (known: ${CHAOS_FAULT_KINDS.join(', ')})`));
      const log = (line: string) => process.stderr.write(`${line}\n`);
      let report: ChaosReport;
      try {
        report = await runChaos({
          validators: parsed.validators as number,
          durationS: parsed.duration as number,
          seed: parsed.seed as number,
          ratePerS: parsed.rate as number,
          kinds: kinds as ChaosFaultKind[],
          stallMaxMs: parsed.stallMaxMs as number,
          holdMs,
          clockSkewMs,
          keep: options.keep === true,
          log,
        });
      } catch (error) {
        process.stderr.write(`error: ${(error as Error).message}\n`);
        process.exitCode = EXIT_FAILED;
        return;
      }
      process.stdout.write(options.json === true ? `${JSON.stringify(report)}\n` : summary(report));
      if (!report.ok) process.exitCode = EXIT_FAILED;
    });
}

/** MIN-MAX in whole milliseconds within [lowest, highest], MIN at most MAX; undefined otherwise. */
function rangeOption(text: string, lowest: number, highest: number): { min: number; max: number } | undefined {
  const match = /^(\d{1,7})-(\d{1,7})$/.exec(text);
  if (match === null) return undefined;
  const range = { min: Number(match[1]), max: Number(match[2]) };
  return range.min >= lowest && range.max >= range.min && range.max <= highest ? range : undefined;
}

function summary(report: ChaosReport): string {
  const byKind = new Map<string, number>();
  for (const fault of report.faults) byKind.set(fault.kind, (byKind.get(fault.kind) ?? 0) + 1);
  const lines = [
    `${report.ok ? 'ok' : 'FAILED'}: chaos run of ${report.validators} validators for ${report.durationS} s, seed ${report.seed}`,
    `  faults        ${report.faults.length} (${[...byKind].map(([kind, count]) => `${count} ${kind}`).join(', ')})`,
    `  transactions  ${report.sent} sent, ${report.acknowledged} acknowledged as committed, ${report.lost} lost`,
    `  chains        ${report.forks} forks; ${report.converged ? 'one head everywhere' : 'NOT CONVERGED: the heads still differ'}; ${report.verify.filter((outcome) => outcome.ok).length} of ${report.verify.length} stores verified, height ${report.height}`,
    `  signatures    ${report.doubleSigns} double signatures seen`,
    `  stalls        longest ${report.maxStallMs} ms without a commit under load; slowest catch-up ${report.maxRecoveryMs ?? 'never'} ms; slowest resumption of commits after a heal ${report.maxResumeMs ?? 'never'} ms`,
  ];
  for (const stall of report.stalls) lines.push(`  ${describeStall(stall)}`);
  for (const outcome of report.verify.filter((entry) => !entry.ok)) lines.push(`  validator-${outcome.validator} failed verification at height ${outcome.height}: ${outcome.message}`);
  for (const example of report.lostExamples) lines.push(`  lost ${example.id} on validator(s) ${example.validators.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
