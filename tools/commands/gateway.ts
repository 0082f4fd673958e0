/**
 * `custodia gateway --key FILE --node URL[,URL...] [--listen 127.0.0.1:PORT] [--data DIR]
 * [--token-file FILE] [--genesis FILE] [--as PARTICIPANT] [--retry-max-ms MS]`: the participant gateway of issue 14
 * (tools/gateway/, docs/epcis.md "Participant gateway"). It serves the GS1 EPCIS 2.0 REST binding
 * to the participant's own systems behind a bearer token, signs each capture as the participant,
 * keeps it in a durable outbox and forwards it, in order, to whichever validator answers. Runs
 * until SIGINT or SIGTERM (a graceful stop); prints its URL, and the token once when it made it.
 */
import { Command } from 'commander';
import { splitHostPort } from '../../node/config.js';
import { EXIT_OK, fail } from '../exit-codes.js';
import { integerOption } from '../integer-option.js';
import { DEFAULT_LINK_OPTIONS } from '../gateway/validator-link.js';
import { startGateway } from '../gateway/start-gateway.js';

export const GATEWAY_LISTEN_DEFAULT = '127.0.0.1:26990';

interface GatewayCommandOptions {
  key: string;
  node: string;
  listen: string;
  data: string;
  tokenFile?: string;
  genesis?: string;
  as?: string;
  retryMaxMs: string;
}

export function gatewayCommand(): Command {
  return new Command('gateway')
    .description("serve the EPCIS 2.0 REST binding to a participant's own systems, sign their captures, and forward them through a durable outbox")
    .requiredOption('--key <file>', "the participant's key file (custodia keygen); it never leaves this machine")
    .requiredOption('--node <urls>', "validators' API addresses, comma-separated, tried in turn (http://host:26700,...)")
    .option('--listen <host:port>', 'where local clients reach it (keep it on a loopback or private address)', GATEWAY_LISTEN_DEFAULT)
    .option('--data <dir>', 'the outbox, the pinned genesis, named queries and the token', '.custodia-gateway')
    .option('--token-file <file>', 'the bearer token local clients send (created, mode 0600, when absent; default <data>/token)')
    .option('--genesis <file>', "the chain's genesis (default: pinned in --data from the first validator that serves it)")
    .option('--as <participant>', "the participant id (default: the key file's label)")
    .option('--retry-max-ms <ms>', 'the longest pause before trying an unreachable validator again (the pause doubles from 250 ms)', String(DEFAULT_LINK_OPTIONS.backoffMaxMs))
    .action(async (options: GatewayCommandOptions) => {
      if (!/^[A-Za-z0-9.\-[\]:]+:[0-9]{1,5}$/.test(options.listen)) {
        process.exitCode = fail('--listen: expected host:port');
        return;
      }
      const validators = options.node.split(',').map((url) => url.trim()).filter((url) => url !== '');
      if (validators.length === 0 || !validators.every((url) => URL.canParse(url) && /^https?:$/.test(new URL(url).protocol))) {
        process.exitCode = fail('--node: expected http(s) URLs, comma-separated');
        return;
      }
      const retryMaxMs = integerOption(options.retryMaxMs, 'retry-max-ms', DEFAULT_LINK_OPTIONS.backoffBaseMs, 3_600_000);
      if (typeof retryMaxMs === 'string') {
        process.exitCode = fail(retryMaxMs);
        return;
      }
      const started = await startGateway({
        keyFile: options.key,
        validators,
        listen: splitHostPort(options.listen),
        dataDirectory: options.data,
        ...(options.tokenFile === undefined ? {} : { tokenFile: options.tokenFile }),
        ...(options.genesis === undefined ? {} : { genesisFile: options.genesis }),
        ...(options.as === undefined ? {} : { as: options.as }),
        link: { backoffMaxMs: retryMaxMs },
        logger: {
          info: (message) => process.stdout.write(`${message}\n`),
          warn: (fields, message) => process.stderr.write(`warning: ${message} ${JSON.stringify(fields, (_key, value: unknown) => (value instanceof Error ? value.message : value))}\n`),
        },
      });
      if (!started.ok) {
        process.exitCode = fail(started.message);
        return;
      }
      process.stdout.write(`gateway for ${started.participant} on chain ${started.chainId} listening on ${started.url}/epcis\n`);
      if (started.createdToken !== undefined) process.stdout.write(`a new token was written to ${started.tokenFile} (shown this once): ${started.createdToken}\n`);
      else process.stdout.write(`local clients send Authorization: Bearer <the token in ${started.tokenFile}>\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await started.close();
      process.exitCode = EXIT_OK;
    });
}
