/** `custodia testnet`: writes genesis, keys and one config per validator for a network on this machine. */
import { Command } from 'commander';
import { writeTestnet } from '../../node/testnet.js';
import { CHAIN_ID_PATTERN } from '../../ledger/crypto/domain.js';
import { CONFIGURABLE_PAYLOAD_BYTES_MAX } from '../../node/config.js';

interface TestnetCommandOptions {
  validators: string;
  genesisValidators?: string;
  dir: string;
  basePort: string;
  chainId: string;
  roundTimeoutMs?: string;
  idleProposalDelayMs?: string;
  blockTransactionsMax?: string;
  payloadBytesMax?: string;
}

/** An optional integer option within bounds, or the message that says it is not. */
function optionalInteger(text: string | undefined, flag: string, minimum: number, maximum: number): number | undefined | string {
  if (text === undefined) return undefined;
  const value = Number(text);
  return Number.isInteger(value) && value >= minimum && value <= maximum ? value : `${flag} must be an integer from ${minimum} to ${maximum}`;
}

export function testnetCommand(): Command {
  return new Command('testnet')
    .description('write genesis, validator keys and configs, and demo participant keys for a local network')
    .option('--validators <n>', 'number of validators (1 to 31; 1 is a single-node baseline, 4 tolerate a fault)', '4')
    .option('--genesis-validators <k>', 'how many of them the genesis names (default all); the rest are standby validators for governance to add')
    .option('--round-timeout-ms <ms>', 'the first round timeout (it backs off from there)')
    .option('--idle-proposal-delay-ms <ms>', 'the heartbeat of an idle chain: with nothing to order, a block this often (default 30000)')
    .option('--block-transactions-max <n>', 'transactions a leader puts in one block at most')
    .option('--payload-bytes-max <bytes>', 'bytes of transactions in one block at most')
    .requiredOption('--dir <dir>', 'an empty (or new) folder to write into')
    .option('--base-port <port>', 'p2p ports are base+i, API ports base+100+i, metrics base+200+i', '26600')
    .option('--chain-id <id>', 'the chain id', 'custodia-devnet')
    .action(async (options: TestnetCommandOptions) => {
      const validators = Number(options.validators);
      const basePort = Number(options.basePort);
      if (!Number.isInteger(validators) || validators < 1 || validators > 31) return fail('--validators must be an integer from 1 to 31');
      const genesisValidators = options.genesisValidators === undefined ? validators : Number(options.genesisValidators);
      if (!Number.isInteger(genesisValidators) || genesisValidators < 1 || genesisValidators > validators) return fail('--genesis-validators must be an integer from 1 to --validators');
      const tuning = {
        roundTimeoutBaseMs: optionalInteger(options.roundTimeoutMs, '--round-timeout-ms', 50, 600_000),
        idleProposalDelayMs: optionalInteger(options.idleProposalDelayMs, '--idle-proposal-delay-ms', 0, 3_600_000),
        blockTransactionsMax: optionalInteger(options.blockTransactionsMax, '--block-transactions-max', 1, 10_000),
        payloadBytesMax: optionalInteger(options.payloadBytesMax, '--payload-bytes-max', 1024, CONFIGURABLE_PAYLOAD_BYTES_MAX),
      };
      for (const value of Object.values(tuning)) if (typeof value === 'string') return fail(value);
      const settings = Object.fromEntries(Object.entries(tuning).filter(([, value]) => value !== undefined)) as Record<string, number>;
      if (!Number.isInteger(basePort) || basePort < 1024 || basePort + 300 > 65535) return fail('--base-port must leave room for 300 ports below 65536');
      if (!CHAIN_ID_PATTERN.test(options.chainId)) return fail('--chain-id must be 1-64 of a-z 0-9 . _ -');
      try {
        const layout = await writeTestnet({ directory: options.dir, validators, genesisValidators, basePort, chainId: options.chainId, ...settings });
        const standby = validators - genesisValidators;
        process.stdout.write(`wrote ${validators} validators to ${options.dir}${standby > 0 ? ` (${standby} on standby, not in the genesis)` : ''}\n  genesis  ${layout.genesisFile}\n`);
        for (const file of layout.configFiles) process.stdout.write(`  config   ${file}\n`);
      } catch (error) {
        fail((error as Error).message);
      }
    });
}

function fail(message: string): void {
  process.stderr.write(`error: ${message}\n`);
  process.exitCode = 2;
}
