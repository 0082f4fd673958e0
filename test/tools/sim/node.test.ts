/**
 * The simulated node's disk and driver loop: durable writes before sends, crashes (also right
 * after a safety write), restarts from disk, and the data plane it drives (relays, wants, answers).
 */
import { describe, expect, it } from 'vitest';
import { blockHash, type BlockHeader } from '../../../ledger/model/block.js';
import type { BlockRecord, CommittedBlock, ConsensusMessage } from '../../../consensus/messages.js';
import { initialSafetyState } from '../../../consensus/defaults.js';
import { SimApplication } from '../../../tools/sim/application.js';
import { SIM_GENESIS_TIME_MS, SIM_LIMITS, SIM_TIMINGS, simGenesis } from '../../../tools/sim/configuration.js';
import { SimDisk, SimNode, type NodeEnvironment } from '../../../tools/sim/node.js';
import { transactionId, type DataMessage } from '../../../tools/sim/transaction-bodies.js';

const ROOT = '44'.repeat(32);

function record(height: number, prevHash: string): BlockRecord {
  const header: BlockHeader = {
    chainId: 'custodia-sim',
    height,
    round: height,
    prevHash,
    proposer: 'v0',
    timestamp: SIM_GENESIS_TIME_MS + height,
    txCount: 0,
    txRoot: ROOT,
    ledgerHeight: 0,
    logSize: 0,
    logRoot: ROOT,
    stateRoot: ROOT,
  };
  return { block: { header, payload: new Uint8Array([height]) }, justify: null };
}

describe('SimDisk', () => {
  it('keeps copies of what was persisted, so later changes to the objects cannot reach it', () => {
    const disk = new SimDisk();
    const safety = { ...initialSafetyState(), lastVotedRound: 3 };
    const block = record(1, ROOT);
    disk.apply({ kind: 'persist', safety, blocks: [block] });
    safety.lastVotedRound = 99;
    // A hashed header is frozen (ledger/model/block.ts): the payload's bytes are what a caller can still change.
    block.block.payload[0] = 99;
    expect(disk.safety?.lastVotedRound).toBe(3);
    expect([...disk.blocks.values()][0]!.block.payload[0]).toBe(1);
    const restored = disk.persistedState(null);
    restored.safety.lastVotedRound = 7;
    expect(disk.safety?.lastVotedRound).toBe(3);
  });

  it('drops committed block records only once the ledger holds them', () => {
    const disk = new SimDisk();
    const blocks = [record(1, ROOT), record(2, ROOT), record(3, ROOT)];
    disk.apply({ kind: 'persist', blocks, pruneBelowHeight: 2 });
    disk.pruneUpTo(0);
    expect(disk.blocks.size).toBe(3);
    disk.pruneUpTo(1);
    expect([...disk.blocks.values()].map((kept) => kept.block.header.height)).toEqual([2, 3]);
    disk.pruneUpTo(5);
    expect([...disk.blocks.values()].map((kept) => kept.block.header.height)).toEqual([3]);
  });

  it('says a lost store is lost: no safety record although the ledger is past genesis', () => {
    const disk = new SimDisk();
    disk.apply({ kind: 'persist', safety: initialSafetyState(), highQc: null });
    disk.lose();
    const committed = { block: record(1, ROOT).block, certificate: { vote: { blockHash: blockHash(record(1, ROOT).block.header), height: 1, round: 1 }, signatures: [] } };
    expect(disk.persistedState(committed).safetyRecordLost).toBe(true);
  });

  it('hands a fresh safety state and the genesis certificate to a validator that never persisted', () => {
    const state = new SimDisk().persistedState(null);
    expect(state).toEqual({ safety: initialSafetyState(), blocks: [], highQc: null, highTc: null, committed: null, safetyRecordLost: false });
    expect(blockHash(record(1, ROOT).block.header)).toMatch(/^[0-9a-f]{64}$/);
  });
});

class RecordingEnvironment implements NodeEnvironment {
  readonly sent: ConsensusMessage[] = [];
  readonly data: { recipients: readonly string[]; message: DataMessage }[] = [];
  readonly timers: number[] = [];
  readonly dataTimers: number[] = [];
  readonly persisted: number[] = [];
  readonly problems: string[] = [];
  crashedAfterPersistCount = 0;
  transmit(_node: SimNode, _recipients: readonly string[], message: ConsensusMessage): void {
    this.sent.push(message);
  }
  transmitData(_node: SimNode, recipients: readonly string[], message: DataMessage): void {
    this.data.push({ recipients, message });
  }
  scheduleTimer(_node: SimNode, atMs: number): void {
    this.timers.push(atMs);
  }
  scheduleDataTimer(_node: SimNode, atMs: number): void {
    this.dataTimers.push(atMs);
  }
  observePersist(_node: SimNode, _output: unknown, nowMs: number): void {
    this.persisted.push(nowMs);
  }
  observeCommit(_node: SimNode, _blocks: readonly CommittedBlock[]): void {}
  reportDriverProblem(_node: SimNode, problem: string): void {
    this.problems.push(problem);
  }
  crashedAfterPersist(): void {
    this.crashedAfterPersistCount += 1;
  }
}

describe('SimNode', () => {
  function node(environment: NodeEnvironment): SimNode {
    const genesis = simGenesis(4);
    const config = {
      chainId: genesis.chainId,
      genesisHash: genesis.genesisHash,
      genesisTime: SIM_GENESIS_TIME_MS,
      validators: genesis.validators,
      self: 'v1',
      signingSeed: genesis.keys[1]!.seed,
      limits: SIM_LIMITS,
      timings: SIM_TIMINGS,
    };
    const app = new SimApplication(genesis.genesisHash, undefined, null, { self: 'v1', validators: ['v0', 'v1', 'v2', 'v3'] });
    return new SimNode('v1', config, app, true, environment);
  }

  it('boots, sets its timer, loses its core in a crash and ignores inputs until it restarts from its disk', () => {
    const environment = new RecordingEnvironment();
    const validator = node(environment);
    validator.boot(SIM_GENESIS_TIME_MS);
    expect(validator.running).toBe(true);
    expect(environment.timers.length).toBeGreaterThan(0);
    const tokenBefore = validator.timerToken;
    validator.crash();
    expect(validator.running).toBe(false);
    expect(validator.timerToken).toBeGreaterThan(tokenBefore);
    validator.step({ kind: 'tick', nowMs: SIM_GENESIS_TIME_MS + 5000 });
    expect(validator.core).toBeNull();
    validator.boot(SIM_GENESIS_TIME_MS + 6000);
    expect(validator.incarnation).toBe(2);
    expect(validator.core?.status().round).toBeGreaterThanOrEqual(1);
    expect(environment.problems).toEqual([]);
  });

  it('crashes right after a safety write when armed, before anything else of that step leaves', () => {
    const environment = new RecordingEnvironment();
    const validator = node(environment);
    validator.boot(SIM_GENESIS_TIME_MS);
    validator.armCrashAfterPersist();
    // v1 leads round 1; with nothing to propose it waits, then signs a proposal at the deadline.
    for (let tick = 1; tick <= 40 && validator.running; tick++) validator.step({ kind: 'tick', nowMs: SIM_GENESIS_TIME_MS + tick * 250 });
    expect(validator.running).toBe(false);
    expect(environment.crashedAfterPersistCount).toBe(1);
    expect(validator.disk.safety).not.toBeNull();
    const signedButUnsent = validator.disk.safety!;
    const sentAfterPersist = environment.sent.filter((message) => (message.kind === 'proposal' && signedButUnsent.lastProposal?.round === message.block.header.round) || (message.kind === 'timeout' && signedButUnsent.lastTimeout?.round === message.round));
    expect(sentAfterPersist).toEqual([]);
  });

  it('takes relayed transactions into its mempool, answers wants from what it holds, retries its own wants on its data timer, and ignores data while down', () => {
    const environment = new RecordingEnvironment();
    const validator = node(environment);
    validator.boot(SIM_GENESIS_TIME_MS);
    validator.receiveData('v0', { kind: 'tx-relay', body: 'tx-a' }, SIM_GENESIS_TIME_MS + 10);
    expect(validator.app.mempoolSize).toBe(1);
    expect(validator.app.stats.relaysReceived).toBe(1);
    const hash = 'ee'.repeat(32);
    validator.receiveData('v3', { kind: 'tx-want', blockHash: hash, height: 1, ids: [transactionId('tx-a'), transactionId('tx-b')] }, SIM_GENESIS_TIME_MS + 20);
    expect(environment.data).toEqual([{ recipients: ['v3'], message: { kind: 'tx-bodies', blockHash: hash, bodies: ['tx-a'] } }]);

    // A proposal-check want goes out at once and is retried on the data timer, to the next peer.
    const header = { chainId: 'custodia-sim', height: 1, round: 1, prevHash: hash, proposer: 'v2', timestamp: SIM_GENESIS_TIME_MS, txCount: 1, txRoot: '', ledgerHeight: 0, logSize: 0, logRoot: '', stateRoot: '' };
    const content = validator.app.contentFor([transactionId('tx-b')], 0);
    validator.app.setClock(SIM_GENESIS_TIME_MS + 30);
    const { payload, ...fields } = content;
    expect(validator.app.checkProposal({ ...header, ...fields }, payload, []).verdict).toBe('missing-transactions');
    validator.receiveData('v0', { kind: 'tx-relay', body: 'tx-c' }, SIM_GENESIS_TIME_MS + 40);
    expect(environment.data.at(-1)).toMatchObject({ recipients: ['v2'], message: { kind: 'tx-want', ids: [transactionId('tx-b')] } });
    expect(environment.dataTimers.at(-1)).toBe(SIM_GENESIS_TIME_MS + 530);
    validator.dataTick(SIM_GENESIS_TIME_MS + 530, 999);
    expect(environment.data.at(-1)!.recipients).toEqual(['v2']);
    validator.crash();
    validator.receiveData('v0', { kind: 'tx-relay', body: 'tx-d' }, SIM_GENESIS_TIME_MS + 600);
    expect(validator.app.mempoolSize).toBe(0);
    expect(environment.problems).toEqual([]);
  });
});
