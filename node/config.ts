/**
 * The validator's configuration file: JSON, parsed strictly and validated with zod; every error
 * names the file and the field. Relative paths are resolved against the file's folder, so a
 * testnet directory can be moved as a whole.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { parseStrictJson } from '../ledger/encoding/strict-json.js';
import { chainId, identifier } from '../ledger/model/primitives.js';
import { describeZodError } from '../ledger/model/zod-errors.js';
import { DEFAULT_TIMINGS } from '../consensus/defaults.js';
import { DEFAULT_MEMPOOL_LIMITS } from './mempool.js';
import { DEFAULT_ADMISSION_CONTROL } from './admission-control.js';
import { DEFAULT_SCRUB_BLOCKS_PER_SECOND, DEFAULT_SCRUB_BUSY_PERCENT_MAX, SCRUB_BLOCKS_PER_SECOND_MAX, SCRUB_BUSY_PERCENT_MAX, SCRUB_BUSY_PERCENT_MIN } from '../ledger/store/scrub.js';
import { STATE_HEIGHTS_KEPT_DEFAULT, STATE_HEIGHTS_KEPT_MAX, STATE_HEIGHTS_KEPT_MIN } from '../ledger/store/state-tree-rows.js';
import { BYTES_PER_MIB, WRITE_BUFFER_BYTES_DEFAULT, WRITE_BUFFER_BYTES_MAX, WRITE_BUFFER_BYTES_MIN } from '../ledger/store/write-buffer.js';

/**
 * The largest block payload a validator may be configured to propose. Catching up needs two
 * committed blocks in one committed-response (a two-chain proves them committed), and two 8 MiB
 * payloads in base64 (21.3 MiB) with their headers and certificates are what fits in one 24 MiB
 * transport frame (node/transport/limits.ts). test/node/committed-response-frame.test.ts checks it.
 */
export const CONFIGURABLE_PAYLOAD_BYTES_MAX = 8 * 1024 * 1024;

/** Bounds of consensus.timestampLagMaxMs: three times DEFAULT_TIMINGS.clockSkewMaxMs, and an hour. */
export const TIMESTAMP_LAG_MIN_MS = 3 * DEFAULT_TIMINGS.clockSkewMaxMs;
export const TIMESTAMP_LAG_MAX_MS = 60 * 60 * 1000;
/** The largest clock skew faults.clockOffsetMs may inject, either way: a day. */
export const CLOCK_FAULT_OFFSET_MAX_MS = 24 * 60 * 60 * 1000;

/** Enough for a busy integrator behind one address; a flood from one address is held to it. */
export const DEFAULT_API_RATE_LIMITS = { requestsPerSecondPerAddress: 2000, requestsBurstPerAddress: 4000 } as const;
export const DEFAULT_API_CONNECTION_LIMITS = { max: 4096, perAddressMax: 1024 } as const;

const hostPort = z.string().regex(/^[A-Za-z0-9.\-\[\]:]+:[0-9]{1,5}$/, 'expected host:port, such as 127.0.0.1:26600');
const tls = z.strictObject({ certFile: z.string().min(1), keyFile: z.string().min(1), caFile: z.string().min(1).optional() });

export const configSchema = z.strictObject({
  chainId,
  validatorId: identifier,
  keyFile: z.string().min(1),
  genesisFile: z.string().min(1),
  dataDir: z.string().min(1),
  p2p: z.strictObject({
    listen: hostPort,
    tls: tls.optional(),
    /**
     * For benchmarks and tests only: every outbound frame to a peer is held this long (plus up
     * to jitterMs, keeping each link's order), as a wide-area network would.
     */
    simulatedLatency: z.strictObject({ delayMs: z.number().int().min(0).max(10_000), jitterMs: z.number().int().min(0).max(10_000).default(0) }).optional(),
  }),
  api: z.strictObject({
    listen: hostPort,
    tls: tls.optional(),
    bodyBytesMax: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
    /** Requests per second each client address may make (429 beyond), with the burst above it. */
    rateLimit: z
      .strictObject({
        requestsPerSecondPerAddress: z.number().int().min(1).max(1_000_000).default(DEFAULT_API_RATE_LIMITS.requestsPerSecondPerAddress),
        requestsBurstPerAddress: z.number().int().min(1).max(1_000_000).default(DEFAULT_API_RATE_LIMITS.requestsBurstPerAddress),
      })
      .default(DEFAULT_API_RATE_LIMITS),
    /**
     * The EPCIS binding's webhooks (docs/epcis.md): whether a subscription may deliver to a
     * loopback, private or link-local address (an ERP on the operator's own network). Off, such
     * destinations are refused, so that no participant can make the validator reach its internal
     * services.
     */
    webhooks: z.strictObject({ privateDestinations: z.boolean().default(false) }).default({ privateDestinations: false }),
    /**
     * Client connections open at once, in all and from one address (node/http/connection-limits.ts):
     * beyond either, requests are answered 503 too-many-connections. Keep `max` well below the
     * process's open-file limit, which the ledger's tables and the peers' sockets share.
     */
    connections: z
      .strictObject({
        max: z.number().int().min(1).max(1_000_000).default(DEFAULT_API_CONNECTION_LIMITS.max),
        perAddressMax: z.number().int().min(1).max(1_000_000).default(DEFAULT_API_CONNECTION_LIMITS.perAddressMax),
      })
      .default(DEFAULT_API_CONNECTION_LIMITS),
    /** Read tokens per organisation (used by the query API). */
    readTokens: z.array(z.strictObject({ token: z.string().min(16), participant: z.string().min(1), scope: z.enum(['read']) })).default([]),
  }),
  metrics: z.strictObject({ listen: hostPort }),
  peers: z.array(z.strictObject({ id: identifier, address: hostPort })).max(100),
  log: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info') }).default({ level: 'info' }),
  mempool: z
    .strictObject({
      transactionsMax: z.number().int().min(1).default(DEFAULT_MEMPOOL_LIMITS.transactionsMax),
      bytesMax: z.number().int().min(1024).default(DEFAULT_MEMPOOL_LIMITS.bytesMax),
      perSubmitterMax: z.number().int().min(1).default(DEFAULT_MEMPOOL_LIMITS.perSubmitterMax),
    })
    .default(DEFAULT_MEMPOOL_LIMITS),
  /**
   * Overload control (node/admission-control.ts): a client's transaction is refused with 503
   * `overloaded` and Retry-After while more transactions wait for commit than the network
   * commits in targetDelayMs (at the moving average of its commit rate), never fewer than
   * pendingFloor and never more than mempool.transactionsMax. Relayed transactions are not refused
   * for load: another validator admitted them.
   */
  admission: z
    .strictObject({
      /** The delay to commit admission aims to keep, ms (default 2,000). */
      targetDelayMs: z.number().int().min(100).max(600_000).default(DEFAULT_ADMISSION_CONTROL.targetDelayMs),
      /** Transactions pending for commit always admitted, whatever the measured rate (default 200). */
      pendingFloor: z.number().int().min(1).default(DEFAULT_ADMISSION_CONTROL.pendingFloor),
      /** Time constant of the commit rate's moving average, ms (default 5,000). */
      rateTimeConstantMs: z.number().int().min(100).max(600_000).default(DEFAULT_ADMISSION_CONTROL.rateTimeConstantMs),
    })
    .default({ targetDelayMs: DEFAULT_ADMISSION_CONTROL.targetDelayMs, pendingFloor: DEFAULT_ADMISSION_CONTROL.pendingFloor, rateTimeConstantMs: DEFAULT_ADMISSION_CONTROL.rateTimeConstantMs }),
  /** The ledger store (docs/operations.md, "Damage and repair"). */
  store: z
    .strictObject({
      /** Committed blocks the background scrub re-verifies per second (default 20); 0 turns the scrub off. */
      scrubBlocksPerSecond: z.number().int().min(0).max(SCRUB_BLOCKS_PER_SECOND_MAX).default(DEFAULT_SCRUB_BLOCKS_PER_SECOND),
      /** The most of the wall time, percent, the scrub spends checking (default 1): it rests after each height in proportion to the height's cost. */
      scrubBusyPercentMax: z.number().min(SCRUB_BUSY_PERCENT_MIN).max(SCRUB_BUSY_PERCENT_MAX).default(DEFAULT_SCRUB_BUSY_PERCENT_MAX),
      /** Heights whose state trees are kept for state proofs (default 128; docs/encoding.md, section 11). */
      stateHeightsKept: z.number().int().min(STATE_HEIGHTS_KEPT_MIN).max(STATE_HEIGHTS_KEPT_MAX).default(STATE_HEIGHTS_KEPT_DEFAULT),
      /** LevelDB's write buffer for the ledger, MiB (default 32): larger means less compaction CPU per appended transaction and more memory (ledger/store/write-buffer.ts). */
      writeBufferMb: z
        .number()
        .int()
        .min(WRITE_BUFFER_BYTES_MIN / BYTES_PER_MIB)
        .max(WRITE_BUFFER_BYTES_MAX / BYTES_PER_MIB)
        .default(WRITE_BUFFER_BYTES_DEFAULT / BYTES_PER_MIB),
    })
    .default({
      scrubBlocksPerSecond: DEFAULT_SCRUB_BLOCKS_PER_SECOND,
      scrubBusyPercentMax: DEFAULT_SCRUB_BUSY_PERCENT_MAX,
      stateHeightsKept: STATE_HEIGHTS_KEPT_DEFAULT,
      writeBufferMb: WRITE_BUFFER_BYTES_DEFAULT / BYTES_PER_MIB,
    }),
  consensus: z
    .strictObject({
      roundTimeoutBaseMs: z.number().int().min(50).default(DEFAULT_TIMINGS.roundTimeoutBaseMs),
      roundTimeoutMaxMs: z.number().int().min(100).default(DEFAULT_TIMINGS.roundTimeoutMaxMs),
      idleProposalDelayMs: z.number().int().min(0).default(DEFAULT_TIMINGS.idleProposalDelayMs),
      /**
       * How far behind this validator's clock a proposal's timestamp may be on arrival
       * (docs/consensus.md "Block time"). At least three times the 5 s clockSkewMaxMs, which an
       * honest block may lag by plus the network's delay; at most an hour.
       */
      timestampLagMaxMs: z.number().int().min(TIMESTAMP_LAG_MIN_MS).max(TIMESTAMP_LAG_MAX_MS).default(DEFAULT_TIMINGS.timestampLagMaxMs),
      blockTransactionsMax: z.number().int().min(1).max(10_000).default(2000),
      payloadBytesMax: z.number().int().min(1024).max(CONFIGURABLE_PAYLOAD_BYTES_MAX).default(CONFIGURABLE_PAYLOAD_BYTES_MAX),
    })
    .default({
      roundTimeoutBaseMs: DEFAULT_TIMINGS.roundTimeoutBaseMs,
      roundTimeoutMaxMs: DEFAULT_TIMINGS.roundTimeoutMaxMs,
      idleProposalDelayMs: DEFAULT_TIMINGS.idleProposalDelayMs,
      timestampLagMaxMs: DEFAULT_TIMINGS.timestampLagMaxMs,
      blockTransactionsMax: 2000,
      payloadBytesMax: CONFIGURABLE_PAYLOAD_BYTES_MAX,
    }),
  /**
   * The C2SP transparency-log view of the ledger (docs/transparency.md): the outside witnesses
   * this validator pushes its checkpoints to (c2sp.org/tlog-witness), each with its cosignature
   * verifier key (a vkey of signature type 0x04) and its submission URL prefix.
   */
  tlog: z
    .strictObject({
      witnesses: z.array(z.strictObject({ url: z.url({ protocol: /^https?$/ }).max(2048), vkey: z.string().min(1).max(512) })).max(16).default([]),
    })
    .default({ witnesses: [] }),
  /**
   * Faults injected on purpose, for tests and chaos runs only; a validator started with any logs
   * a warning. clockOffsetMs is added to the clock the consensus core is given (a skewed clock:
   * negative is slow), within a day either way. control serves POST /faults on the metrics
   * listener (node/http/fault-control.ts), through which `custodia chaos` cuts this validator off
   * from its peers or skews its clock at runtime.
   */
  faults: z
    .strictObject({ clockOffsetMs: z.number().int().min(-CLOCK_FAULT_OFFSET_MAX_MS).max(CLOCK_FAULT_OFFSET_MAX_MS).default(0), control: z.boolean().default(false) })
    .default({ clockOffsetMs: 0, control: false }),
});
export type NodeConfig = z.infer<typeof configSchema>;

export type ConfigLoad = { ok: true; config: NodeConfig; path: string } | { ok: false; message: string };

const PATH_FIELDS = ['keyFile', 'genesisFile', 'dataDir'] as const;

export async function loadConfig(path: string): Promise<ConfigLoad> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return { ok: false, message: `cannot read config file ${path}: ${(error as Error).message}` };
  }
  const parsed = parseStrictJson(text, { bytesMax: 1024 * 1024 });
  if (!parsed.ok) return { ok: false, message: `config file ${path}: ${parsed.error.message}` };
  const validated = configSchema.safeParse(parsed.value);
  if (!validated.success) {
    const { message } = describeZodError(validated.error);
    return { ok: false, message: `config file ${path}: ${message}` };
  }
  const config = validated.data;
  const base = dirname(resolve(path));
  for (const field of PATH_FIELDS) config[field] = resolve(base, config[field]);
  for (const section of [config.p2p, config.api]) {
    if (section.tls === undefined) continue;
    section.tls.certFile = resolve(base, section.tls.certFile);
    section.tls.keyFile = resolve(base, section.tls.keyFile);
    if (section.tls.caFile !== undefined) section.tls.caFile = resolve(base, section.tls.caFile);
  }
  if (config.admission.pendingFloor > config.mempool.transactionsMax) {
    return { ok: false, message: `config file ${path}: admission.pendingFloor (${config.admission.pendingFloor}) exceeds mempool.transactionsMax (${config.mempool.transactionsMax})` };
  }
  if (config.peers.some((peer) => peer.id === config.validatorId)) {
    return { ok: false, message: `config file ${path}: peers lists this validator (${config.validatorId}) itself` };
  }
  return { ok: true, config, path };
}

export function splitHostPort(address: string): { host: string; port: number } {
  const separator = address.lastIndexOf(':');
  return { host: address.slice(0, separator).replace(/^\[|\]$/g, ''), port: Number(address.slice(separator + 1)) };
}
