/**
 * The `custodia` command line: one commander program whose subcommands each live in
 * tools/commands/. Every subcommand has --help; exit codes are 0 for success, 1 when the
 * thing checked is bad (a verification failed), and 2 for a usage or input error.
 */
import { Command, CommanderError } from 'commander';
import { devnetCommand } from './commands/devnet.js';
import { epcisCommand } from './commands/epcis.js';
import { keygenCommand } from './commands/keygen.js';
import { simCommand } from './commands/sim.js';
import { startCommand } from './commands/start.js';
import { submitCommand } from './commands/submit.js';
import { testnetCommand } from './commands/testnet.js';
import { verifyCommand } from './commands/verify.js';
import { approvalCommand } from './commands/approval.js';
import { benchCommand } from './commands/bench.js';
import { chaosCommand } from './commands/chaos.js';
import { repairCommand } from './commands/repair.js';
import { witnessCommand } from './commands/witness.js';
import { auditCommand } from './commands/audit.js';
import { gatewayCommand } from './commands/gateway.js';
import { EXIT_OK, EXIT_USAGE } from './exit-codes.js';

export { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './exit-codes.js';

export function buildProgram(): Command {
  const program = new Command('custodia')
    .description('Custodia: a permissioned BFT ledger for supply-chain provenance (EPCIS 2.0)')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  const commands = [keygenCommand(), testnetCommand(), startCommand(), devnetCommand(), submitCommand(), approvalCommand(), verifyCommand(), repairCommand(), witnessCommand(), auditCommand(), epcisCommand(), gatewayCommand(), simCommand(), benchCommand(), chaosCommand()];
  for (const command of commands) program.addCommand(inheritSettings(command, program));
  return program;
}

/**
 * addCommand does not pass on exitOverride and the help settings; copy them into the command and
 * every command nested under it (`approval request`...), so every subcommand exits alike.
 */
function inheritSettings(command: Command, program: Command): Command {
  command.copyInheritedSettings(program);
  for (const nested of command.commands) inheritSettings(nested, program);
  return command;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit through here with code 0.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    throw error;
  }
}
