/**
 * `custodia witness --log URL --key FILE --state DIR [--listen HOST:PORT] [--name NAME]
 * [--genesis FILE]`: a C2SP transparency-log witness (c2sp.org/tlog-witness) for Custodia logs.
 * It serves POST /add-checkpoint, cosigns a checkpoint only when a quorum of the log's
 * validators signed it and it provably extends the last one it cosigned (kept in DIR, fsynced),
 * and refuses a fork with 409 or 422 (tools/witness/witness-server.ts). Runs until SIGINT or
 * SIGTERM; prints its URL and its verifier key, which validators list in `tlog.witnesses`.
 */
import { Command } from 'commander';
import { splitHostPort } from '../../node/config.js';
import { EXIT_OK, fail } from '../exit-codes.js';
import { startWitness } from '../witness/start-witness.js';

interface WitnessCommandOptions {
  log?: string;
  key: string;
  state: string;
  listen: string;
  name?: string;
  genesis?: string;
}

export function witnessCommand(): Command {
  return new Command('witness')
    .description('run a C2SP witness: cosign checkpoints that extend the last one cosigned, refuse forks (409)')
    .option('--log <url>', "the log's API URL (or several, comma-separated); its keys are fetched once and pinned in --state")
    .requiredOption('--key <file>', "the witness's ed25519 key file (custodia keygen)")
    .requiredOption('--state <dir>', 'where the latest cosigned checkpoint of each log is kept')
    .option('--listen <host:port>', 'where to serve POST /add-checkpoint', '127.0.0.1:26900')
    .option('--name <name>', 'the witness key name (default witness.custodia/<key label>)')
    .option('--genesis <file>', "take the log's keys from this genesis file instead of fetching them")
    .action(async (options: WitnessCommandOptions) => {
      if (!/^[A-Za-z0-9.\-[\]:]+:[0-9]{1,5}$/.test(options.listen)) {
        process.exitCode = fail('--listen: expected host:port');
        return;
      }
      const started = await startWitness({
        logs: options.log === undefined ? [] : options.log.split(',').filter((url) => url !== ''),
        keyFile: options.key,
        stateDirectory: options.state,
        listen: splitHostPort(options.listen),
        ...(options.name === undefined ? {} : { name: options.name }),
        ...(options.genesis === undefined ? {} : { genesisFile: options.genesis }),
        logger: { info: (message) => process.stdout.write(`${message}\n`), warn: (message) => process.stderr.write(`warning: ${message}\n`) },
      });
      if (!started.ok) {
        process.exitCode = fail(started.message);
        return;
      }
      process.stdout.write(`witness ${started.name} listening on ${started.url}\nverifier key ${started.vkey}\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await started.close();
      process.exitCode = EXIT_OK;
    });
}
