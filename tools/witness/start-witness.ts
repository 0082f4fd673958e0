/**
 * Starts a witness (witness-server.ts) for the logs given. With a genesis file, the log's policy
 * is its validators (epoch 0), and when a checkpoint comes signed by a later set the witness
 * takes the set the log's hand-overs (GET /tlog/keys) lead to from the genesis keys, each
 * hand-over verified. Without one, the policy comes from the log's GET /tlog/keys, fetched once
 * and pinned in the state folder (trust on first use: later runs use the pinned keys, whatever
 * the log serves then).
 */
import { createHash } from 'node:crypto';
import { access, mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { readGenesisFile } from '../../ledger/files/genesis-file.js';
import { loadKeyFile } from '../../ledger/files/key-file.js';
import { toHex } from '../../ledger/encoding/hex.js';
import type { CheckpointPolicy } from '../../ledger/tlog/checkpoint.js';
import { isValidKeyName, SIGNATURE_TYPE_COSIGNATURE_ED25519 } from '../../ledger/tlog/note.js';
import { policyFromGenesis, policyFromGenesisAndKeys, policyFromKeys } from '../../ledger/tlog/policy.js';
import type { ValidatorSet } from '../../ledger/model/validator-set.js';
import { formatVerifierKey } from '../../ledger/tlog/verifier-keys.js';
import { writeFileDurably } from '../durable-file.js';
import { fetchKeysDocument, readKeysFile } from '../keys-document.js';
import { Witness, witnessServer, type WitnessLogger } from './witness-server.js';

export interface WitnessStartOptions {
  logs: readonly string[];
  keyFile: string;
  stateDirectory: string;
  listen: { host: string; port: number };
  name?: string;
  genesisFile?: string;
  logger: WitnessLogger;
}

export type WitnessStart =
  | { ok: true; url: string; name: string; vkey: string; witness: Witness; close(): Promise<void> }
  | { ok: false; message: string };

export async function startWitness(options: WitnessStartOptions): Promise<WitnessStart> {
  const key = await loadKeyFile(options.keyFile);
  if (!key.ok) return { ok: false, message: key.message };
  const { publicKey, seed } = key.key.keyPair;
  const name = options.name ?? `witness.custodia/${key.key.label ?? toHex(publicKey).slice(0, 16)}`;
  if (!isValidKeyName(name)) return { ok: false, message: `witness name ${JSON.stringify(name)} is empty or holds a space or +` };
  await mkdir(options.stateDirectory, { recursive: true });
  const logs: CheckpointPolicy[] = [];
  let refreshPolicy: ((origin: string) => Promise<CheckpointPolicy | undefined>) | undefined;
  if (options.genesisFile !== undefined) {
    const genesis = await readGenesisFile(options.genesisFile);
    if (!genesis.ok) return { ok: false, message: genesis.message };
    const anchor = genesis;
    logs.push(policyFromGenesis(anchor.genesis.chainId, anchor.validators));
    // With the genesis as anchor, a later validator set is taken from the logs' hand-overs, each verified from it.
    refreshPolicy = async (origin) => {
      for (const url of options.logs) {
        const followed = await followedPolicy(url, anchor.genesis.chainId, anchor.validators);
        if (followed !== undefined && followed.origin === origin) return followed;
      }
      return undefined;
    };
  }
  for (const url of options.genesisFile === undefined ? options.logs : []) {
    const policy = await pinnedPolicy(url, options.stateDirectory, options.logger);
    if (!policy.ok) return policy;
    if (!logs.some((log) => log.origin === policy.policy.origin)) logs.push(policy.policy);
  }
  if (logs.length === 0) return { ok: false, message: 'no log to witness: give --log URL or --genesis FILE' };
  const witness = new Witness({ identity: { name, seed, publicKey }, logs, stateDirectory: options.stateDirectory, logger: options.logger, ...(refreshPolicy === undefined ? {} : { refreshPolicy }) });
  const server = witnessServer(witness);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.listen.port, options.listen.host, () => resolve());
    });
  } catch (error) {
    return { ok: false, message: `cannot listen on ${options.listen.host}:${options.listen.port}: ${(error as Error).message}` };
  }
  const port = (server.address() as AddressInfo).port;
  return {
    ok: true,
    url: `http://${options.listen.host}:${port}`,
    name,
    vkey: formatVerifierKey(name, SIGNATURE_TYPE_COSIGNATURE_ED25519, publicKey),
    witness,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function followedPolicy(url: string, chainId: string, validators: ValidatorSet): Promise<CheckpointPolicy | undefined> {
  const keys = await fetchKeysDocument(url);
  if (!keys.ok) return undefined;
  const followed = policyFromGenesisAndKeys(keys.document, chainId, validators);
  return followed.ok ? followed.policy : undefined;
}

async function pinnedPolicy(url: string, stateDirectory: string, logger: WitnessLogger): Promise<{ ok: true; policy: CheckpointPolicy } | { ok: false; message: string }> {
  const path = join(stateDirectory, `keys-${createHash('sha256').update(url).digest('hex').slice(0, 16)}.json`);
  const pinned = await readKeysFile(path);
  if (pinned.ok) return policyFromKeys(pinned.document);
  if (!(await missing(path))) return pinned;
  const fetched = await fetchKeysDocument(url);
  if (!fetched.ok) return fetched;
  const checked = policyFromKeys(fetched.document);
  if (!checked.ok) return checked;
  await writeFileDurably(path, JSON.stringify(fetched.document, null, 2));
  logger.info(`pinned the keys of ${checked.policy.origin} from ${url} in ${path} (trust on first use)`);
  return checked;
}

async function missing(path: string): Promise<boolean> {
  try {
    await access(path);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}
