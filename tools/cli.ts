/**
 * The `custodia` command line: one commander program whose subcommands each live in
 * tools/commands/. Every subcommand has --help; exit codes are 0 for success, 1 when the
 * thing checked is bad (a verification failed), and 2 for a usage or input error.
 */
import { Command, CommanderError } from 'commander';
import { EXIT_OK, EXIT_USAGE } from './exit-codes.js';

export { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './exit-codes.js';

/**
 * Each command's module, loaded only when needed: a command loads its own modules and no other's
 * (a validator, `custodia start`, none of the benchmark's, simulator's or gateway's: 2-4 MB of
 * its memory, and less to load for every short command). In the order `custodia --help` lists them.
 */
const COMMANDS: ReadonlyArray<readonly [name: string, load: () => Promise<Command>]> = [
  ['keygen', async () => (await import('./commands/keygen.js')).keygenCommand()],
  ['testnet', async () => (await import('./commands/testnet.js')).testnetCommand()],
  ['start', async () => (await import('./commands/start.js')).startCommand()],
  ['devnet', async () => (await import('./commands/devnet.js')).devnetCommand()],
  ['submit', async () => (await import('./commands/submit.js')).submitCommand()],
  ['approval', async () => (await import('./commands/approval.js')).approvalCommand()],
  ['verify', async () => (await import('./commands/verify.js')).verifyCommand()],
  ['repair', async () => (await import('./commands/repair.js')).repairCommand()],
  ['witness', async () => (await import('./commands/witness.js')).witnessCommand()],
  ['audit', async () => (await import('./commands/audit.js')).auditCommand()],
  ['epcis', async () => (await import('./commands/epcis.js')).epcisCommand()],
  ['gateway', async () => (await import('./commands/gateway.js')).gatewayCommand()],
  ['sim', async () => (await import('./commands/sim.js')).simCommand()],
  ['bench', async () => (await import('./commands/bench.js')).benchCommand()],
  ['chaos', async () => (await import('./commands/chaos.js')).chaosCommand()],
];

/** The program with every command, or only `only` when that names one (its own help and errors are the same either way). */
export async function buildProgram(only?: string): Promise<Command> {
  const program = new Command('custodia')
    .description('Custodia: a permissioned BFT ledger for supply-chain provenance (EPCIS 2.0)')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  const chosen = COMMANDS.some(([name]) => name === only) ? COMMANDS.filter(([name]) => name === only) : COMMANDS;
  for (const command of await Promise.all(chosen.map(([, load]) => load()))) program.addCommand(inheritSettings(command, program));
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
  // argv: node, the script, then the command's name.
  const program = await buildProgram(argv[2]);
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
