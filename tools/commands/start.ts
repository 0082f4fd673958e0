/**
 * `custodia start --config FILE`: runs one validator in the foreground. SIGINT or SIGTERM stops
 * it gracefully (stop intake, answer waiting clients, let running requests finish, finish the
 * block being written, close the stores) and exits 0; a second signal exits at once (130). A
 * stop that has not finished within STOP_TIMEOUT_MS is a bug: the process says so and exits 1
 * rather than linger.
 */
import { Command } from 'commander';
import { apiRoutes } from '../../api/http/index.js';
import { loadConfig } from '../../node/config.js';
import { startValidator, StartupError } from '../../node/validator.js';
import { profileOnSignal } from './cpu-profile.js';

/** The longest a graceful stop may take: the request grace, the block being written and the stores closing. */
const STOP_TIMEOUT_MS = 20_000;

export function startCommand(): Command {
  return new Command('start')
    .description('run one validator in the foreground')
    .requiredOption('--config <file>', "the validator's JSON config file")
    .option('--profile-dir <dir>', 'on SIGUSR2 start a CPU profile, on the next write it to this folder (custodia bench uses it)')
    .option('--profile-allocations', 'with --profile-dir, also sample allocations over the same window (a .heapprofile beside the CPU profile)')
    .action(async (options: { config: string; profileDir?: string; profileAllocations?: boolean }) => {
      const loaded = await loadConfig(options.config);
      if (!loaded.ok) {
        process.stderr.write(`error: ${loaded.message}\n`);
        process.exitCode = 2;
        return;
      }
      let validator;
      try {
        validator = await startValidator(loaded.config, { routes: apiRoutes });
      } catch (error) {
        process.stderr.write(`error: ${error instanceof StartupError ? error.message : (error as Error).stack}\n`);
        process.exitCode = error instanceof StartupError ? 2 : 1;
        return;
      }
      process.stdout.write(`${validator.id} running: API ${validator.apiUrl}, metrics ${validator.metricsUrl}\n`);
      if (options.profileDir !== undefined) profileOnSignal(options.profileDir, validator.id, (message) => process.stdout.write(`${validator.id}: ${message}\n`), { allocations: options.profileAllocations === true });
      const running = validator;
      await new Promise<void>((resolve) => {
        let signals = 0;
        const onSignal = () => {
          signals += 1;
          if (signals > 1) process.exit(130);
          setTimeout(() => {
            process.stderr.write(`error: ${running.id} did not stop within ${STOP_TIMEOUT_MS} ms; exiting\n`);
            process.exit(1);
          }, STOP_TIMEOUT_MS).unref();
          void running.stop().then(resolve, (error: unknown) => {
            process.stderr.write(`error: stopping ${running.id} failed: ${(error as Error).stack}\n`);
            process.exit(1);
          });
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      });
      // Everything is closed; nothing left (a stray timer of a client library) may keep the process.
      process.exit(0);
    });
}
