/**
 * Writes a local network: one key file and config per validator, a genesis with the validators
 * and a demo consortium (a farm, a processor, a carrier, a distributor, a retailer, a laboratory,
 * a regulator and two admins, each with its own key file), all under one folder.
 *
 *   DIR/genesis.json
 *   DIR/validator-N/{config.json, validator.key, data/}
 *   DIR/participants/<name>.key            (label = the participant's PGLN)
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toHex } from '../ledger/encoding/hex.js';
import { generateKeyPair } from '../ledger/crypto/ed25519.js';
import { writeKeyFile } from '../ledger/files/key-file.js';
import type { Genesis } from '../ledger/model/genesis.js';
import type { Role } from '../contracts/participants.js';
import { DEFAULT_TIMINGS } from '../consensus/defaults.js';
import { BYTES_PER_MIB, WRITE_BUFFER_BYTES_DEFAULT } from '../ledger/store/write-buffer.js';

export interface DemoParticipant {
  name: string;
  id: string;
  displayName: string;
  roles: Role[];
  companyPrefix: string;
}

export const DEMO_PARTICIPANTS: readonly DemoParticipant[] = [
  { name: 'farm', id: 'urn:epc:id:pgln:0614141.00001', displayName: 'Green Valley Farm', roles: ['producer'], companyPrefix: '0614141' },
  { name: 'processor', id: 'urn:epc:id:pgln:0614142.00001', displayName: 'FreshCut Processing', roles: ['processor'], companyPrefix: '0614142' },
  { name: 'carrier', id: 'urn:epc:id:pgln:0614143.00001', displayName: 'ColdLine Logistics', roles: ['carrier'], companyPrefix: '0614143' },
  { name: 'distributor', id: 'urn:epc:id:pgln:0614144.00001', displayName: 'Metro Food Distribution', roles: ['distributor'], companyPrefix: '0614144' },
  { name: 'retailer', id: 'urn:epc:id:pgln:0614145.00001', displayName: 'Corner Grocer', roles: ['retailer'], companyPrefix: '0614145' },
  { name: 'lab', id: 'urn:epc:id:pgln:0614146.00001', displayName: 'Certified Food Lab', roles: ['laboratory', 'inspector'], companyPrefix: '0614146' },
  { name: 'regulator', id: 'urn:epc:id:pgln:0614147.00001', displayName: 'Food Safety Authority', roles: ['regulator', 'auditor'], companyPrefix: '0614147' },
  { name: 'admin1', id: 'urn:epc:id:pgln:0614148.00001', displayName: 'Consortium Admin One', roles: ['admin'], companyPrefix: '0614148' },
  { name: 'admin2', id: 'urn:epc:id:pgln:0614149.00001', displayName: 'Consortium Admin Two', roles: ['admin'], companyPrefix: '0614149' },
];

export interface TestnetOptions {
  directory: string;
  validators: number;
  /**
   * How many of the validators the genesis names (all by default). The rest get keys and
   * configs but join only when governance adds them (a validator-set change).
   */
  genesisValidators?: number;
  basePort: number;
  chainId: string;
  /** Faster rounds suit a network on one machine. */
  roundTimeoutBaseMs?: number;
  idleProposalDelayMs?: number;
  /** Block limits: transactions and payload bytes a leader puts in one block. */
  blockTransactionsMax?: number;
  payloadBytesMax?: number;
  /** Requests per second each client address may make of the API (a benchmark's load generator needs more than the default). */
  requestsPerSecondPerAddress?: number;
  /** Every validator-to-validator link delayed this much one way, with this much jitter (the transport's delay hook): a wide-area network on one machine. */
  simulatedLatency?: { delayMs: number; jitterMs: number };
  genesisTime?: number;
  /** Chaos runs: every config sets faults.control (POST /faults on the metrics listener). */
  faultControl?: boolean;
}

export interface TestnetLayout {
  genesisFile: string;
  /** Every validator written, in order: id, public key and peer address (the genesis names a prefix of them). */
  validators: Array<{ id: string; publicKey: string; address: string }>;
  /** The demo regulator's read token (an auditor credential), in every config's api.readTokens. */
  auditorReadToken: string;
  configFiles: string[];
  participantKeyFiles: Record<string, string>;
  apiUrls: string[];
}

/** The step between the write buffers of a testnet's validators, MiB. */
export const WRITE_BUFFER_STAGGER_MB = 4;
/** Distinct write buffers before the sequence repeats: 32, 36, 28, 40, 24, 44, 20, 48, 16 MiB. */
const WRITE_BUFFER_STAGGER_CYCLE = 9;

/**
 * The ledger's write buffer for validator `index` of a testnet, MiB: the default for validator 0,
 * then alternately larger and smaller by WRITE_BUFFER_STAGGER_MB steps. Validators that start
 * together from one genesis write the same rows at the same rate, so equal buffers fill within
 * the same second, and on one machine their LevelDB flushes and the compactions they set off take
 * its cores all at once: at 100 events/s on this project's two cores, the slowest 1% of commits
 * all fell in those seconds (docs/performance.md, "Write buffers out of step").
 */
export function testnetWriteBufferMb(index: number): number {
  const position = index % WRITE_BUFFER_STAGGER_CYCLE;
  const steps = Math.ceil(position / 2) * (position % 2 === 1 ? 1 : -1);
  return WRITE_BUFFER_BYTES_DEFAULT / BYTES_PER_MIB + steps * WRITE_BUFFER_STAGGER_MB;
}

export function portsOf(basePort: number, index: number): { p2p: number; api: number; metrics: number } {
  return { p2p: basePort + index, api: basePort + 100 + index, metrics: basePort + 200 + index };
}

export async function writeTestnet(options: TestnetOptions): Promise<TestnetLayout> {
  await mkdir(options.directory, { recursive: true });
  if ((await readdir(options.directory)).length > 0) throw new Error(`${options.directory} is not empty; choose another --dir or remove it`);
  const participantsDirectory = join(options.directory, 'participants');
  await mkdir(participantsDirectory);

  const participantKeyFiles: Record<string, string> = {};
  const participants = [];
  for (const participant of DEMO_PARTICIPANTS) {
    const keyPair = generateKeyPair();
    const file = join(participantsDirectory, `${participant.name}.key`);
    await writeKeyFile(file, keyPair, participant.id);
    participantKeyFiles[participant.name] = file;
    participants.push({
      id: participant.id,
      name: participant.displayName,
      roles: participant.roles,
      keys: [{ publicKey: toHex(keyPair.publicKey), status: 'active' as const }],
      companyPrefixes: [participant.companyPrefix],
      status: 'active' as const,
    });
  }

  const validators = [];
  const configFiles: string[] = [];
  const apiUrls: string[] = [];
  for (let index = 0; index < options.validators; index++) {
    const id = `validator-${index}`;
    const directory = join(options.directory, id);
    await mkdir(directory);
    const keyPair = generateKeyPair();
    await writeKeyFile(join(directory, 'validator.key'), keyPair, id);
    const ports = portsOf(options.basePort, index);
    validators.push({ id, publicKey: toHex(keyPair.publicKey), address: `127.0.0.1:${ports.p2p}` });
    apiUrls.push(`http://127.0.0.1:${ports.api}`);
  }

  const genesis: Genesis = {
    chainId: options.chainId,
    genesisTime: options.genesisTime ?? Date.now(),
    validators: validators.slice(0, options.genesisValidators ?? options.validators),
    consortium: {
      participants,
      admins: DEMO_PARTICIPANTS.filter((participant) => participant.roles.includes('admin')).map((participant) => participant.id),
      thresholds: { governance: 2 },
    },
  };
  const genesisFile = join(options.directory, 'genesis.json');
  await writeFile(genesisFile, `${JSON.stringify(genesis, null, 2)}\n`);

  const auditorReadToken = randomBytes(24).toString('base64url');
  const regulatorId = DEMO_PARTICIPANTS.find((participant) => participant.name === 'regulator')!.id;
  for (let index = 0; index < options.validators; index++) {
    const id = `validator-${index}`;
    const ports = portsOf(options.basePort, index);
    const config = {
      chainId: options.chainId,
      validatorId: id,
      keyFile: 'validator.key',
      genesisFile: '../genesis.json',
      dataDir: 'data',
      p2p: { listen: `127.0.0.1:${ports.p2p}`, ...(options.simulatedLatency === undefined ? {} : { simulatedLatency: options.simulatedLatency }) },
      api: {
        listen: `127.0.0.1:${ports.api}`,
        readTokens: [{ token: auditorReadToken, participant: regulatorId, scope: 'read' }],
        ...(options.requestsPerSecondPerAddress === undefined
          ? {}
          : { rateLimit: { requestsPerSecondPerAddress: options.requestsPerSecondPerAddress, requestsBurstPerAddress: 2 * options.requestsPerSecondPerAddress } }),
      },
      metrics: { listen: `127.0.0.1:${ports.metrics}` },
      peers: validators.filter((validator) => validator.id !== id).map((validator) => ({ id: validator.id, address: validator.address })),
      ...(options.faultControl === true ? { faults: { control: true } } : {}),
      store: { writeBufferMb: testnetWriteBufferMb(index) },
      log: { level: 'info' },
      consensus: {
        roundTimeoutBaseMs: options.roundTimeoutBaseMs ?? 1500,
        roundTimeoutMaxMs: 30_000,
        idleProposalDelayMs: options.idleProposalDelayMs ?? DEFAULT_TIMINGS.idleProposalDelayMs,
        blockTransactionsMax: options.blockTransactionsMax ?? 2000,
        payloadBytesMax: options.payloadBytesMax ?? 8 * 1024 * 1024,
      },
    };
    const file = join(options.directory, id, 'config.json');
    // The config holds a read token: readable by its owner only, like the key files.
    await writeFile(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    configFiles.push(file);
  }
  return { genesisFile, validators, auditorReadToken, configFiles, participantKeyFiles, apiUrls };
}
