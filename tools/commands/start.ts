/**
 * `custodia start --config FILE`: runs one validator in the foreground. SIGINT or SIGTERM stops
 * it gracefully (stop accepting, finish the block being written, close the stores); a second
 * signal exits at once.
 */
import { Command } from 'commander';
import { apiRoutes } from '../../api/http/index.js';
import { loadConfig } from '../../node/config.js';
import { startValidator, StartupError } from '../../node/validator.js';

export function startCommand(): Command {
  return new Command('start')
    .description('run one validator in the foreground')
    .requiredOption('--config <file>', "the validator's JSON config file")
    .action(async (options: { config: string }) => {
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
      await new Promise<void>((resolve) => {
        let signals = 0;
        const onSignal = () => {
          signals += 1;
          if (signals > 1) process.exit(130);
          void validator.stop().then(resolve);
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      });
    });
}
