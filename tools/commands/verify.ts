/**
 * `custodia verify --data DIR --genesis FILE`: re-checks a node's whole ledger from genesis
 * (ledger/verify/verify-ledger.ts) and prints a summary; exits 1 naming the first bad height.
 */
import { Command } from 'commander';
import { readGenesisFile } from '../../ledger/files/genesis-file.js';
import { genesisHash } from '../../ledger/model/genesis.js';
import { openStoreForReading } from '../../ledger/store/block-store.js';
import { verifyLedger } from '../../ledger/verify/verify-ledger.js';
import { terminalProgress } from '../progress.js';

interface VerifyOptions {
  data: string;
  genesis: string;
  json?: boolean;
}

export function verifyCommand(): Command {
  return new Command('verify')
    .description('re-check a ledger from genesis: hash chain, transaction signatures, Merkle log, state roots and certificates')
    .requiredOption('--data <dir>', "the node's data directory (its LevelDB store); the node must be stopped")
    .requiredOption('--genesis <file>', 'the genesis file whose validator keys you trust')
    .option('--json', 'print the result as one JSON object')
    .action(async (options: VerifyOptions) => {
      process.exitCode = await runVerify(options);
    });
}

async function runVerify(options: VerifyOptions): Promise<number> {
  const genesis = await readGenesisFile(options.genesis);
  if (!genesis.ok) return usageError(genesis.message);
  const store = await openStoreForReading(options.data);
  if (!store.ok) return usageError(store.message);
  try {
    const storedHash = genesisHash(store.genesis);
    if (storedHash !== genesis.hash) {
      return report(options, { ok: false, height: 0, message: `the store was created from genesis ${storedHash}, not ${genesis.hash} given by ${options.genesis}` });
    }
    const progress = terminalProgress('verifying');
    const result = await verifyLedger({
      reader: store.reader,
      genesis: genesis.genesis,
      validators: genesis.validators,
      headHeight: store.headHeight,
      onProgress: (height, head) => progress.update(height, head),
    });
    progress.finish();
    return report(options, result);
  } finally {
    await store.close();
  }
}

function report(options: VerifyOptions, result: Awaited<ReturnType<typeof verifyLedger>>): number {
  if (options.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else if (result.ok) {
    process.stdout.write(
      [
        `ok: chain ${result.chainId} verified from genesis to height ${result.height}`,
        `  head block    ${result.headHash}`,
        `  transactions  ${result.transactions} (${result.accepted} accepted, ${result.rejected} rejected)`,
        `  log           size ${result.logSize}, root ${result.logRoot}`,
        `  state root    ${result.stateRoot}`,
      ].join('\n') + '\n',
    );
  } else {
    process.stderr.write(`verification failed at height ${result.height}: ${result.message}\n`);
  }
  return result.ok ? 0 : 1;
}

function usageError(message: string): number {
  process.stderr.write(`error: ${message}\n`);
  return 2;
}
