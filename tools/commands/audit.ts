/**
 * `custodia audit --node URL[,URL...] --genesis FILE --state DIR [--follow] [--interval-ms N]
 * [--sample N | --all] [--recheck N|all] [--webhook URL] [--keys FILE]`: the monitor of docs/transparency.md
 * (tools/audit/). It verifies each validator's C2SP checkpoint under the k-of-n policy of the
 * validator set that signs now, reached from the genesis validators through the hand-overs the
 * node serves (GET /tlog/keys), each verified (or of a fixed keys document, FILE), proves it extends the last one verified (kept in DIR), compares the heads the nodes
 * serve, and checks the new entries from the tiles. Exit 0 when all holds, 1 on an alarm (a
 * fork, a rewritten entry, a validator serving a different head, a checkpoint not extending the
 * last), 2 on a usage error.
 */
import { mkdir } from 'node:fs/promises';
import { Command } from 'commander';
import { readGenesisFile } from '../../ledger/files/genesis-file.js';
import type { CheckpointPolicy } from '../../ledger/tlog/checkpoint.js';
import { policyFromGenesisAndKeys } from '../../ledger/tlog/policy.js';
import { AUDIT_LIMITS } from '../audit/auditor.js';
import { FOLLOW_INTERVAL_MS, watch } from '../audit/watch.js';
import { fail } from '../exit-codes.js';
import { readKeysFile } from '../keys-document.js';

interface AuditCommandOptions {
  node: string;
  genesis: string;
  state: string;
  follow?: boolean;
  intervalMs: string;
  sample: string;
  all?: boolean;
  recheck: string;
  webhook?: string;
  keys?: string;
}

export function auditCommand(): Command {
  return new Command('audit')
    .description("verify the validators' signed checkpoints, that each extends the last one verified, that they agree, and the new entries")
    .requiredOption('--node <urls>', 'validator API URLs, comma-separated')
    .requiredOption('--genesis <file>', 'the genesis file whose validator keys you trust')
    .requiredOption('--state <dir>', 'where the last verified checkpoint is kept')
    .option('--follow', 'keep watching, one round every --interval-ms, until an alarm')
    .option('--interval-ms <n>', 'milliseconds between rounds with --follow', String(FOLLOW_INTERVAL_MS.default))
    .option('--sample <n>', 'new entries to check at random each round (the newest always)', '16')
    .option('--all', 'check every new entry')
    .option('--recheck <n|all>', 'entries verified in earlier rounds to check again at random each round (a store rewritten under a running validator), or all', '16')
    .option('--webhook <url>', 'POST each alarm as JSON to this URL')
    .option('--keys <file>', "a fixed keys document (GET /tlog/keys saved), its hand-overs checked from the genesis, instead of each node's")
    .action(async (options: AuditCommandOptions) => {
      const nodes = options.node.split(',').filter((node) => node !== '');
      if (nodes.length === 0 || nodes.length > AUDIT_LIMITS.nodesMax || nodes.some((node) => !/^https?:\/\//.test(node))) {
        process.exitCode = fail(`--node: 1 to ${AUDIT_LIMITS.nodesMax} http(s) URLs`);
        return;
      }
      const intervalMs = Number(options.intervalMs);
      if (!Number.isSafeInteger(intervalMs) || intervalMs < FOLLOW_INTERVAL_MS.min || intervalMs > FOLLOW_INTERVAL_MS.max) {
        process.exitCode = fail(`--interval-ms: an integer from ${FOLLOW_INTERVAL_MS.min} to ${FOLLOW_INTERVAL_MS.max}`);
        return;
      }
      const sample = Number(options.sample);
      if (!Number.isSafeInteger(sample) || sample < 1 || sample > AUDIT_LIMITS.entriesPerRunMax) {
        process.exitCode = fail(`--sample: an integer from 1 to ${AUDIT_LIMITS.entriesPerRunMax}`);
        return;
      }
      const recheck = options.recheck === 'all' ? 'all' : Number(options.recheck);
      if (recheck !== 'all' && (!Number.isSafeInteger(recheck) || recheck < 0 || recheck > AUDIT_LIMITS.entriesPerRunMax)) {
        process.exitCode = fail(`--recheck: all, or an integer from 0 to ${AUDIT_LIMITS.entriesPerRunMax}`);
        return;
      }
      if (options.webhook !== undefined && !/^https?:\/\//.test(options.webhook)) {
        process.exitCode = fail('--webhook: an http(s) URL');
        return;
      }
      const genesis = await readGenesisFile(options.genesis);
      if (!genesis.ok) {
        process.exitCode = fail(genesis.message);
        return;
      }
      // By default each node's keys are followed from the genesis set through its verified hand-overs; --keys fixes them, still checked against the genesis.
      let policy: CheckpointPolicy | undefined;
      if (options.keys !== undefined) {
        const read = await readKeysFile(options.keys);
        if (!read.ok) {
          process.exitCode = fail(`--keys: ${read.message}`);
          return;
        }
        const loaded = policyFromGenesisAndKeys(read.document, genesis.genesis.chainId, genesis.validators);
        if (!loaded.ok) {
          process.exitCode = fail(`--keys ${options.keys}: ${loaded.message}`);
          return;
        }
        policy = loaded.policy;
      }
      await mkdir(options.state, { recursive: true });
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      process.once('SIGTERM', () => stop.abort());
      process.exitCode = await watch({
        nodes,
        ...(policy === undefined ? {} : { policy }),
        validators: genesis.validators,
        chainId: genesis.genesis.chainId,
        stateDirectory: options.state,
        sample: options.all === true ? 'all' : sample,
        recheck,
        follow: options.follow === true,
        intervalMs,
        ...(options.webhook === undefined ? {} : { webhook: options.webhook }),
        log: (line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`),
        warn: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
        signal: stop.signal,
      });
    });
}
