/** `custodia testnet`: writes genesis, keys and one config per validator for a network on this machine. */
import { Command } from 'commander';
import { writeTestnet } from '../../node/testnet.js';
import { CHAIN_ID_PATTERN } from '../../ledger/crypto/domain.js';

interface TestnetCommandOptions {
  validators: string;
  genesisValidators?: string;
  dir: string;
  basePort: string;
  chainId: string;
}

export function testnetCommand(): Command {
  return new Command('testnet')
    .description('write genesis, validator keys and configs, and demo participant keys for a local network')
    .option('--validators <n>', 'number of validators (4 to 31)', '4')
    .option('--genesis-validators <k>', 'how many of them the genesis names (default all); the rest are standby validators for governance to add')
    .requiredOption('--dir <dir>', 'an empty (or new) folder to write into')
    .option('--base-port <port>', 'p2p ports are base+i, API ports base+100+i, metrics base+200+i', '26600')
    .option('--chain-id <id>', 'the chain id', 'custodia-devnet')
    .action(async (options: TestnetCommandOptions) => {
      const validators = Number(options.validators);
      const basePort = Number(options.basePort);
      if (!Number.isInteger(validators) || validators < 4 || validators > 31) return fail('--validators must be an integer from 4 to 31');
      const genesisValidators = options.genesisValidators === undefined ? validators : Number(options.genesisValidators);
      if (!Number.isInteger(genesisValidators) || genesisValidators < 4 || genesisValidators > validators) return fail('--genesis-validators must be an integer from 4 to --validators');
      if (!Number.isInteger(basePort) || basePort < 1024 || basePort + 300 > 65535) return fail('--base-port must leave room for 300 ports below 65536');
      if (!CHAIN_ID_PATTERN.test(options.chainId)) return fail('--chain-id must be 1-64 of a-z 0-9 . _ -');
      try {
        const layout = await writeTestnet({ directory: options.dir, validators, genesisValidators, basePort, chainId: options.chainId });
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
