/**
 * `custodia bench storage [--events 1000000] [--json]`: the storage benchmark (issue 12;
 * tools/bench/storage.ts). Commits N events through execution and the block store, then times lot
 * history, trace, inclusion proof and `custodia verify`, and reports peak RSS beside the issue's
 * targets. Prints a summary, or one JSON object with --json; progress goes to stderr.
 */
import { Command } from 'commander';
import { runStorageBenchmark, STORAGE_BENCH_LIMITS, type StorageBenchResult } from '../bench/storage.js';
import { BYTES_PER_MIB, WRITE_BUFFER_BYTES_DEFAULT, WRITE_BUFFER_BYTES_MAX, WRITE_BUFFER_BYTES_MIN } from '../../ledger/store/write-buffer.js';
import { fail } from '../exit-codes.js';
import { integerOption } from '../integer-option.js';

interface StorageOptions {
  events: string;
  blockTransactions: string;
  samples: string;
  dir?: string;
  writeBufferMb: string;
  json?: boolean;
}


export function benchStorageCommand(): Command {
  return new Command('storage')
    .description('commit N events through execution and the block store, then time lot history, trace, inclusion proofs and verify, and report peak RSS')
    .option('--events <n>', 'events to commit (whole stories of 6)', '1000000')
    .option('--block-transactions <n>', 'transactions per block, about', '200')
    .option('--samples <n>', 'queries of each kind timed', '1000')
    .option('--dir <dir>', 'write the testnet and its ledger here and keep them (default: a temporary folder, removed)')
    .option('--write-buffer-mb <n>', "the ledger's LevelDB write buffer, MiB (a validator's store.writeBufferMb)", String(WRITE_BUFFER_BYTES_DEFAULT / BYTES_PER_MIB))
    .option('--json', 'print one JSON object')
    .action(async (_own: StorageOptions, command: Command) => {
      // `bench` has a --json of its own, which commander fills wherever the flag is; read both.
      const options = command.optsWithGlobals<StorageOptions>();
      const events = integerOption(options.events, 'events', 6, STORAGE_BENCH_LIMITS.eventsMax);
      const blockTransactions = integerOption(options.blockTransactions, 'block-transactions', 6, STORAGE_BENCH_LIMITS.blockTransactionsMax);
      const samples = integerOption(options.samples, 'samples', 1, STORAGE_BENCH_LIMITS.samplesMax);
      const writeBufferMb = integerOption(options.writeBufferMb, 'write-buffer-mb', WRITE_BUFFER_BYTES_MIN / BYTES_PER_MIB, WRITE_BUFFER_BYTES_MAX / BYTES_PER_MIB);
      for (const value of [events, blockTransactions, samples, writeBufferMb]) if (typeof value === 'string') return void (process.exitCode = fail(value));
      const log = options.json === true ? () => undefined : (line: string) => process.stderr.write(`${line}\n`);
      let result: StorageBenchResult;
      try {
        result = await runStorageBenchmark({
          events: events as number,
          blockTransactions: blockTransactions as number,
          samples: samples as number,
          writeBufferMb: writeBufferMb as number,
          ...(options.dir === undefined ? {} : { directory: options.dir }),
          log,
        });
      } catch (error) {
        process.stderr.write(`error: ${(error as Error).message}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(options.json === true ? `${JSON.stringify(result)}\n` : summary(result));
    });
}

function summary(result: StorageBenchResult): string {
  const { detail } = result;
  const mark = (met: boolean) => (met ? 'met' : 'MISSED');
  const ms = (latency: { p50: number; p99: number; max: number }) => `p50 ${latency.p50} ms, p99 ${latency.p99} ms, max ${latency.max} ms`;
  const lines = [
    `${result.events} events in ${result.blocks} blocks of about ${detail.blockTransactions}, store ${detail.storeMb} MB`,
    `  load           ${result.committedPerS} events/s committed (${detail.loadSeconds} s: signing ${detail.signSeconds} s, execution ${detail.executeSeconds} s, append ${detail.appendSeconds} s; ${detail.executeAndAppendPerS} events/s executed and appended; ${detail.loadCpuUsPerEvent} µs of CPU an event, write buffer ${detail.writeBufferMb} MiB)`,
    `  lot history    ${ms(result.lotHistoryMs)} (target p99 ${detail.targets.lotHistoryP99Ms} ms: ${mark(detail.met.lotHistoryP99Ms)})`,
    `  trace          ${ms(result.traceMs)}`,
    `  proof          ${ms(result.inclusionProofMs)} (target p99 ${detail.targets.inclusionProofP99Ms} ms: ${mark(detail.met.inclusionProofP99Ms)})`,
    `  state proof    ${ms(result.stateProofMs)}`,
    `  verify         ${result.verifyEventsPerS} events/s, ${detail.verifySeconds} s (target ${detail.targets.verifyEventsPerS}: ${mark(detail.met.verifyEventsPerS)})`,
    `  validator      peak RSS ${result.validatorRssMbMax} MB serving the ledger (ready ${detail.serving.readyS} s after its start, ${detail.serving.rssMbReady} MB then; after serving ${detail.serving.rssAnonMbEnd} MB private, ${detail.serving.rssFileMbEnd} MB of mapped files; target ${detail.targets.rssMbMax} MB: ${mark(detail.met.validatorRssMbMax)}); over HTTP: history ${ms(detail.serving.historyHttpMs)}, proof ${ms(detail.serving.proofHttpMs)}`,
    `  memory         peak RSS of this benchmark process ${result.rssMbMax} MB (loading, queries and verify in-process; target ${detail.targets.rssMbMax} MB: ${mark(detail.met.rssMbMax)})`,
    ...(detail.directory === undefined ? [] : [`  data           ${detail.directory}/net (custodia verify --data ${detail.directory}/net/validator-0/data --genesis ${detail.directory}/net/genesis.json)`]),
  ];
  return `${lines.join('\n')}\n`;
}
