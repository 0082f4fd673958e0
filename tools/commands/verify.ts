/**
 * `custodia verify --data DIR --genesis FILE`: re-checks a node's whole ledger from genesis
 * (ledger/verify/verify-ledger.ts) and prints a summary; exits 1 naming the first bad height.
 * DIR is the validator's data folder (its config's dataDir, holding ledger/ and consensus/) or
 * the ledger/ folder in it; any other folder is a usage error (exit 2), and nothing is written.
 * `custodia verify --proof FILE --genesis FILE`: checks a saved transaction proof offline
 * (ledger/verify/proof.ts) with only the genesis validator keys; exits 1 naming the failed check.
 * A saved state proof (GET /v1/proofs/state/:key) is checked the same way (ledger/verify/state-proof.ts).
 * Both follow validator-set changes from the genesis set through the hand-overs the chain records.
 * A proof file in the C2SP tlog-proof format (GET /v1/proofs/transactions/:id/tlog-proof) is
 * checked against the genesis validators' note keys, or those of the set a keys document's
 * hand-overs lead to from them (--keys, docs/transparency.md): the ledger entry it carries is in
 * the log a quorum signed.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { readGenesisFile } from '../../ledger/files/genesis-file.js';
import { checkStoredLedger } from '../../ledger/verify/check-stored-ledger.js';
import type { LedgerVerification } from '../../ledger/verify/verify-ledger.js';
import { verifyTransactionProof } from '../../ledger/verify/proof.js';
import { STATE_PROOF_FORMAT, verifyStateProof } from '../../ledger/verify/state-proof.js';
import { terminalProgress } from '../progress.js';
import { readKeysFile } from '../keys-document.js';
import { policyFromGenesis, policyFromGenesisAndKeys } from '../../ledger/tlog/policy.js';
import { ledgerEntryOfLeaf, TLOG_PROOF_HEADER, verifyTlogProof } from '../../ledger/tlog/tlog-proof.js';
import { exitOnInterrupt } from './exit-on-interrupt.js';

interface VerifyOptions {
  data?: string;
  proof?: string;
  genesis: string;
  json?: boolean;
  keys?: string;
}

export function verifyCommand(): Command {
  return new Command('verify')
    .description('re-check a ledger from genesis (--data), or a saved transaction proof (--proof), against the genesis validator keys')
    .option('--data <dir>', "a stopped validator's data folder (its config's dataDir, which holds ledger/), or that ledger/ folder")
    .option('--proof <file>', 'a transaction proof saved from GET /v1/proofs/transactions/:id, or a state proof from GET /v1/proofs/state/:key')
    .requiredOption('--genesis <file>', 'the genesis file whose validator keys you trust')
    .option('--json', 'print the result as one JSON object')
    .option('--keys <file>', "for a tlog-proof signed by a later validator set: the keys document (GET /tlog/keys saved), whose hand-overs are checked from the genesis validators")
    .action(async (options: VerifyOptions) => {
      if ((options.data === undefined) === (options.proof === undefined)) {
        process.exitCode = usageError('give either --data DIR or --proof FILE');
        return;
      }
      process.exitCode = options.proof !== undefined ? await runVerifyProof(options.proof, options) : await exitOnInterrupt(() => runVerify(options.data!, options));
    });
}

async function runVerifyProof(path: string, options: VerifyOptions): Promise<number> {
  const genesis = await readGenesisFile(options.genesis);
  if (!genesis.ok) return usageError(genesis.message);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return usageError(`cannot read proof ${path}: ${(error as Error).message}`);
  }
  if (text.startsWith(`${TLOG_PROOF_HEADER}\n`)) return runVerifyTlogProof(text, genesis.genesis.chainId, genesis.validators, options);
  let proof: unknown;
  try {
    proof = JSON.parse(text);
  } catch (error) {
    return usageError(`cannot read proof ${path}: ${(error as Error).message}`);
  }
  if (typeof proof === 'object' && proof !== null && (proof as { format?: unknown }).format === STATE_PROOF_FORMAT) return reportStateProof(proof, genesis.genesis.chainId, genesis.validators, options);
  const verdict = verifyTransactionProof(proof, genesis.genesis.chainId, genesis.validators);
  if (options.json) process.stdout.write(`${JSON.stringify(verdict)}\n`);
  else if (verdict.ok) {
    const signers = verdict.epoch === 0 ? 'a quorum of the genesis validators' : `a quorum of the validators of epoch ${verdict.epoch} (${verdict.quorum} of ${verdict.validatorCount})`;
    process.stdout.write(
      `verified: transaction ${verdict.txId} is entry ${verdict.position} of block ${verdict.height} (${verdict.result.status}), ` +
        `in the log of ${verdict.logSize} entries certified by ${signers} at height ${verdict.checkpointHeight}\n`,
    );
  } else process.stderr.write(`proof failed at ${verdict.step}: ${verdict.message}\n`);
  return verdict.ok ? 0 : 1;
}

function reportStateProof(proof: unknown, chainId: string, validators: Parameters<typeof verifyStateProof>[2], options: VerifyOptions): number {
  const verdict = verifyStateProof(proof, chainId, validators);
  if (options.json) process.stdout.write(`${JSON.stringify(verdict)}\n`);
  else if (verdict.ok) {
    const signers = verdict.epoch === 0 ? 'a quorum of the genesis validators' : `a quorum of the validators of epoch ${verdict.epoch} (${verdict.quorum} of ${verdict.validatorCount})`;
    const what = verdict.present ? `${verdict.key} holds ${JSON.stringify(verdict.value)}` : `${verdict.key} is absent`;
    process.stdout.write(`verified: ${what} at height ${verdict.height}, under the state root the header of block ${verdict.checkpointHeight} states, certified by ${signers}\n`);
  } else process.stderr.write(`proof failed at ${verdict.step}: ${verdict.message}\n`);
  return verdict.ok ? 0 : 1;
}

async function runVerifyTlogProof(text: string, chainId: string, validators: Parameters<typeof policyFromGenesis>[1], options: VerifyOptions): Promise<number> {
  let policy = policyFromGenesis(chainId, validators);
  if (options.keys !== undefined) {
    const read = await readKeysFile(options.keys);
    if (!read.ok) return usageError(`--keys: ${read.message}`);
    const loaded = policyFromGenesisAndKeys(read.document, chainId, validators);
    if (!loaded.ok) return usageError(`--keys ${options.keys}: ${loaded.message}`);
    policy = loaded.policy;
  }
  const verdict = verifyTlogProof(text, policy);
  const entry = verdict.ok ? (ledgerEntryOfLeaf(verdict.leaf) as { height: number; position: number; txId: string; result: { status: string } } | undefined) : undefined;
  if (options.json) process.stdout.write(`${JSON.stringify(verdict.ok ? { ok: true, index: verdict.index, logSize: verdict.checkpoint.size, signers: verdict.signers, entry } : verdict)}\n`);
  else if (verdict.ok) {
    const what = entry === undefined ? `leaf ${verdict.index}` : `transaction ${entry.txId}, entry ${entry.position} of block ${entry.height} (${entry.result.status}), is leaf ${verdict.index}`;
    process.stdout.write(`verified: ${what} of the log of ${verdict.checkpoint.size} entries whose checkpoint ${verdict.signers.length} of ${policy.signers.length} validators signed (${policy.threshold} needed)\n`);
  } else process.stderr.write(`proof failed at ${verdict.step}: ${verdict.message}\n`);
  return verdict.ok ? 0 : 1;
}

async function runVerify(data: string, options: VerifyOptions): Promise<number> {
  const genesis = await readGenesisFile(options.genesis);
  if (!genesis.ok) return usageError(genesis.message);
  const ledgerDirectory = await ledgerFolderOf(data);
  if (ledgerDirectory === undefined) {
    return usageError(`${data} is not a validator data folder: give the dataDir of the validator's config (it holds ledger/) or its ledger/ folder`);
  }
  const progress = terminalProgress('verifying');
  const checked = await checkStoredLedger({
    directory: ledgerDirectory,
    genesis: genesis.genesis,
    genesisHash: genesis.hash,
    genesisSource: options.genesis,
    validators: genesis.validators,
    onProgress: (height, head) => progress.update(height, head),
  });
  progress.finish();
  if (checked.kind === 'unusable') return usageError(checked.message);
  if (checked.kind === 'other-chain') return report(options, { ok: false, height: 0, message: checked.message });
  return report(options, checked.verification);
}

/**
 * The ledger store that --data names: DIR/ledger when DIR is a validator's data folder, or DIR
 * itself when it is that ledger/ folder; undefined for anything else. A store is recognised by
 * the CURRENT file every LevelDB database has. The check only reads, so a wrong folder is left
 * exactly as it was (LevelDB itself, asked to open a folder without a database, leaves files in it).
 */
async function ledgerFolderOf(data: string): Promise<string | undefined> {
  for (const candidate of [join(data, 'ledger'), data]) {
    if (await isFile(join(candidate, 'CURRENT'))) return candidate;
  }
  return undefined;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function report(options: VerifyOptions, result: LedgerVerification): number {
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
        result.epoch === 0
          ? `  validators    the genesis set of ${result.epochValidators}, unchanged`
          : `  validators    epoch ${result.epoch} (${result.epoch} set change${result.epoch === 1 ? '' : 's'}), ${result.epochValidators} validators since height ${result.epochStartHeight}`,
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
