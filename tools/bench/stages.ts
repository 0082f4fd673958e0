/**
 * One validator's CPU per transaction, stage by stage, in-process (issue 12: "profile before you
 * change anything"). No network and no other process: every stage a validator runs for a
 * client's transaction, each timed with process.cpuUsage() around the whole run of that stage
 * over N transactions (blocks of B for execution and appending), so the figures add up to what
 * one validator spends per transaction outside consensus and HTTP:
 *
 *   parse     the strict JSON parse of the submitted body (ledger/encoding/strict-json.ts)
 *   shape     schema, canonical bytes and id (checkTransactionShape)
 *   verify    the ed25519 signatures (verifyTransactionSignatures)
 *   document  EPCIS 2.0 validation of the captured document (documentCheck), kept for execution
 *   execute   the contracts over the block (executeBlock, state read synchronously from the store)
 *   append    the block store's append: checks, indices, Merkle log, one synced batch
 *
 *   npx tsx tools/bench/stages.ts [--transactions N] [--block B] [--repeats K] [--profile STAGE] [--json]
 *
 * Each repeat uses a fresh ledger; the median of K repeats is reported, after an uncounted one.
 * `--profile execute` (or any stage) writes a CPU profile of that stage alone (node:inspector,
 * sampled every PROFILE_SAMPLING_MICROS, every call of the stage in the last repeat merged into
 * one) beside the output and prints its breakdown by category (tools/bench/profile.ts).
 */
import { Session } from 'node:inspector/promises';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { documentCheck } from '../../contracts/admission.js';
import type { AnyEpcisDocument, EpcisValidation } from '../../contracts/epcis/index.js';
import { executeBlock } from '../../contracts/executor.js';
import { genesisWrites, loadConsortium } from '../../contracts/participants.js';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { toHex } from '../../ledger/encoding/hex.js';
import { parseStrictJson } from '../../ledger/encoding/strict-json.js';
import { readGenesisFile } from '../../ledger/files/genesis-file.js';
import { loadKeyFile } from '../../ledger/files/key-file.js';
import { blockHash, transactionRoot, type BlockHeader } from '../../ledger/model/block.js';
import { signVote, type QuorumCertificate } from '../../ledger/model/certificate.js';
import { checkTransactionShape, verifyTransactionSignatures, type Transaction } from '../../ledger/model/transaction.js';
import { BlockStore } from '../../ledger/store/block-store.js';
import { TakeOnceMemo } from '../../node/memo.js';
import { writeTestnet } from '../../node/testnet.js';
import { breakdown, mergeProfiles, type CpuProfile } from './profile.js';
import { presign } from './workload.js';

const CHAIN_ID = 'custodia-stages';
export const STAGES = ['parse', 'shape', 'verify', 'document', 'execute', 'append'] as const;
type Stage = (typeof STAGES)[number];

interface Options {
  transactions: number;
  block: number;
  repeats: number;
  profile: Stage | undefined;
  json: boolean;
}

/** The profiler's sampling interval: V8's default of 1 ms gives a block's append some fifty samples. */
const PROFILE_SAMPLING_MICROS = 100;

function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

async function measured<T>(stage: Stage, profileStage: Stage | undefined, session: Session | undefined, run: () => Promise<T>): Promise<{ result: T; micros: number; profile?: CpuProfile }> {
  const profiling = profileStage === stage && session !== undefined;
  if (profiling) {
    await session.post('Profiler.setSamplingInterval', { interval: PROFILE_SAMPLING_MICROS });
    await session.post('Profiler.start');
  }
  const started = cpuMicros();
  const result = await run();
  const micros = cpuMicros() - started;
  if (!profiling) return { result, micros };
  const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
  return { result, micros, profile };
}

interface Testnet {
  directory: string;
  genesisFile: string;
  participantKeyFiles: Record<string, string>;
  validatorKeys: Array<{ id: string; seed: Uint8Array }>;
}

async function makeTestnet(): Promise<Testnet> {
  const directory = await mkdtemp(join(tmpdir(), 'custodia-stages-'));
  const layout = await writeTestnet({ directory: join(directory, 'net'), validators: 4, basePort: 47_000, chainId: CHAIN_ID, genesisTime: Date.UTC(2026, 0, 1) });
  const validatorKeys = [];
  for (const [index, validator] of layout.validators.entries()) {
    const key = await loadKeyFile(join(directory, 'net', `validator-${index}`, 'validator.key'));
    if (!key.ok) throw new Error(key.message);
    validatorKeys.push({ id: validator.id, seed: key.key.keyPair.seed });
  }
  return { directory, genesisFile: layout.genesisFile, participantKeyFiles: layout.participantKeyFiles, validatorKeys };
}

async function openLedger(testnet: Testnet, name: string): Promise<BlockStore> {
  const genesis = await readGenesisFile(testnet.genesisFile);
  if (!genesis.ok) throw new Error(genesis.message);
  const consortium = loadConsortium(genesis.genesis.consortium as JsonValue);
  if (!consortium.ok) throw new Error(consortium.message);
  const opened = await BlockStore.open({ directory: join(testnet.directory, name), genesis: genesis.genesis, genesisWrites: genesisWrites(consortium.consortium), validators: genesis.validators });
  if (!opened.ok) throw new Error(opened.message);
  return opened.store;
}

function certify(header: BlockHeader, testnet: Testnet): QuorumCertificate {
  const vote = { blockHash: blockHash(header), height: header.height, round: header.round };
  return { vote, signatures: testnet.validatorKeys.slice(0, 3).map((key) => ({ validator: key.id, signature: toHex(signVote(CHAIN_ID, key.seed, vote)) })) };
}

/** One pass of every stage over `bodies`; CPU microseconds per transaction by stage. */
async function pass(testnet: Testnet, bodies: readonly string[], options: Options, name: string, session: Session | undefined): Promise<{ perTransaction: Record<Stage, number>; profile?: CpuProfile }> {
  const count = bodies.length;
  const totals = {} as Record<Stage, number>;
  // One profile per call of the profiled stage (a block's execution or append is one call).
  const profiles: CpuProfile[] = [];
  const note = (stage: Stage, step: { micros: number; profile?: CpuProfile }) => {
    totals[stage] = (totals[stage] ?? 0) + step.micros;
    if (step.profile !== undefined) profiles.push(step.profile);
  };

  const parsed = await measured('parse', options.profile, session, async () => bodies.map((body) => parseStrictJson(body)));
  note('parse', parsed);
  const inputs = parsed.result.map((result) => {
    if (!result.ok) throw new Error(`a workload body does not parse: ${result.error.message}`);
    return result.value;
  });
  const shaped = await measured('shape', options.profile, session, async () => inputs.map((input) => checkTransactionShape(input, CHAIN_ID)));
  note('shape', shaped);
  const shapes = shaped.result.map((shape) => {
    if (!shape.ok) throw new Error(`a workload transaction is refused: ${shape.code}: ${shape.message}`);
    return shape;
  });
  note('verify', await measured('verify', options.profile, session, async () => shapes.forEach((shape) => { if (verifyTransactionSignatures(shape) !== undefined) throw new Error('a workload signature is refused'); })));
  const documents = new TakeOnceMemo<EpcisValidation<AnyEpcisDocument>>(count);
  const ids = shapes.map((shape) => toHex(shape.idBytes));
  note(
    'document',
    await measured('document', options.profile, session, async () =>
      shapes.forEach((shape, index) => {
        const checked = documentCheck(shape.transaction);
        if (!checked.ok) throw new Error(`a workload document is refused: ${checked.message}`);
        if (checked.validation !== undefined) documents.remember(ids[index]!, checked.validation);
      }),
    ),
  );

  const store = await openLedger(testnet, name);
  try {
    for (let first = 0; first < count; first += options.block) {
      const transactions: Transaction[] = shapes.slice(first, first + options.block).map((shape) => shape.transaction);
      const blockIds = ids.slice(first, first + options.block);
      const head = store.head();
      const height = head.height + 1;
      const timestamp = Date.UTC(2026, 0, 1) + height * 1000;
      const executed = await measured('execute', options.profile, session, () =>
        executeBlock({ get: async (key) => store.getStateSync(key) as JsonValue | undefined }, { chainId: CHAIN_ID, height, timestamp, memo: { validatedDocument: (id) => documents.take(id) } }, transactions, blockIds),
      );
      note('execute', executed);
      const refused = executed.result.results.find((result) => result.status !== 'accepted');
      if (refused !== undefined) throw new Error(`a workload transaction was refused at execution: ${JSON.stringify(refused)}`);
      const header: BlockHeader = {
        chainId: CHAIN_ID,
        height,
        round: height,
        prevHash: head.blockHash,
        proposer: testnet.validatorKeys[height % 4]!.id,
        timestamp,
        txCount: transactions.length,
        txRoot: transactionRoot(transactions, blockIds),
        ledgerHeight: head.height,
        logSize: head.logSize,
        logRoot: head.logRoot,
        stateRoot: head.stateRoot,
      };
      const certificate = certify(header, testnet);
      const appended = await measured('append', options.profile, session, () =>
        store.appendBlock({ block: { header, transactions }, certificate, results: executed.result.results, writes: executed.result.writes, events: executed.result.events, notes: executed.result.notes, transactionIds: blockIds }),
      );
      note('append', appended);
      if (!appended.result.ok) throw new Error(`append failed: ${appended.result.code}: ${appended.result.message}`);
    }
  } finally {
    await store.close();
  }
  const perTransaction = Object.fromEntries(STAGES.map((stage) => [stage, Math.round((totals[stage] / count) * 10) / 10])) as Record<Stage, number>;
  return { perTransaction, ...(profiles.length === 0 ? {} : { profile: mergeProfiles(profiles) }) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export async function runStages(options: Options): Promise<{ transactions: number; block: number; repeats: number; microsPerTransaction: Record<Stage | 'total', number> }> {
  const testnet = await makeTestnet();
  const session = options.profile === undefined ? undefined : new Session();
  session?.connect();
  if (session !== undefined) await session.post('Profiler.enable');
  try {
    const runs: Array<Record<Stage, number>> = [];
    let profile: CpuProfile | undefined;
    for (let repeat = 0; repeat <= options.repeats; repeat++) {
      // A fresh pool per repeat (new lots), so that no lot is commissioned twice in one ledger.
      const workload = await presign(CHAIN_ID, testnet.participantKeyFiles, options.transactions, repeat * options.transactions);
      const result = await pass(testnet, workload.bodies, options, `ledger-${repeat}`, repeat === options.repeats ? session : undefined);
      if (repeat > 0) runs.push(result.perTransaction);
      profile ??= result.profile;
    }
    const microsPerTransaction = Object.fromEntries(STAGES.map((stage) => [stage, median(runs.map((run) => run[stage]))])) as Record<Stage | 'total', number>;
    microsPerTransaction.total = Math.round(STAGES.reduce((sum, stage) => sum + microsPerTransaction[stage], 0) * 10) / 10;
    if (profile !== undefined) {
      const file = join(process.cwd(), `stage-${options.profile}.cpuprofile`);
      await writeFile(file, JSON.stringify(profile));
      console.error(`profile of ${options.profile}: ${file}`);
      console.error(JSON.stringify(breakdown(profile)));
    }
    return { transactions: options.transactions, block: options.block, repeats: options.repeats, microsPerTransaction };
  } finally {
    session?.disconnect();
    await rm(testnet.directory, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      transactions: { type: 'string', default: '2000' },
      block: { type: 'string', default: '200' },
      repeats: { type: 'string', default: '3' },
      profile: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const profile = values.profile;
  if (profile !== undefined && !(STAGES as readonly string[]).includes(profile)) throw new Error(`--profile: one of ${STAGES.join(', ')}`);
  const options: Options = {
    transactions: Number(values.transactions),
    block: Number(values.block),
    repeats: Number(values.repeats),
    profile: profile as Stage | undefined,
    json: values.json === true,
  };
  for (const [name, value] of [['--transactions', options.transactions], ['--block', options.block], ['--repeats', options.repeats]] as const) {
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  }
  const result = await runStages(options);
  if (options.json) console.log(JSON.stringify(result));
  else for (const [stage, micros] of Object.entries(result.microsPerTransaction)) console.log(`${stage.padEnd(9)} ${micros.toFixed(1).padStart(8)} µs CPU per transaction`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
