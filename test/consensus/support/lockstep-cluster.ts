/**
 * A small lockstep cluster for the core's unit tests: n real ConsensusCores, a FIFO network
 * that can drop messages by rule, a shared virtual clock, and a minimal application whose
 * ledger roots are hash chains. The seeded fault simulator lives in tools/sim; this harness
 * keeps unit tests readable.
 */
import { expect } from 'vitest';
import { toHex, utf8 } from '../../../ledger/encoding/hex.js';
import type { Validator } from '../../../ledger/model/validator-set.js';
import { sha256 } from '../../../ledger/crypto/sha256.js';
import type { BlockHeader } from '../../../ledger/model/block.js';
import { blockHash } from '../../../ledger/model/block.js';
import { committedResponseBlocks, committedResponseBlocksMax } from '../../../consensus/catch-up.js';
import { epochOfChain } from '../../../consensus/epochs.js';
import { ConsensusCore, safetyRecordWasLost } from '../../../consensus/core.js';
import { DEFAULT_LIMITS, DEFAULT_TIMINGS } from '../../../consensus/defaults.js';
import type { CommittedBlock, ConsensusMessage } from '../../../consensus/messages.js';
import type {
  ApplicationPort,
  ConsensusConfig,
  ConsensusLimits,
  ConsensusOutput,
  EpochConfig,
  PersistedConsensusState,
  ProposalCheck,
  ProposalContent,
  ProposalContext,
  ProposedBlockView,
  SafetyState,
  ScheduledValidatorSet,
  UnsafeTestSwitches,
  ConsensusTimings,
} from '../../../consensus/types.js';
import { initialSafetyState } from '../../../consensus/defaults.js';
import { TestChain, testKey } from '../../support/test-chain.js';

const ZERO_ROOT = '00'.repeat(32);

export class TestApplication implements ApplicationPort {
  readonly pending: string[] = [];
  readonly committed: string[] = [];
  /** Transactions in blocks committed but not executed yet: not to be proposed again. */
  readonly ordered = new Set<string>();
  /** Ledger roots after each executed height; index = height. */
  readonly roots: Array<{ logSize: number; logRoot: string; stateRoot: string }> = [{ logSize: 0, logRoot: ZERO_ROOT, stateRoot: ZERO_ROOT }];
  /** A validator set change, visible once the ledger has executed `approvedAtHeight` (as contracts record it). */
  change: (ScheduledValidatorSet & { approvedAtHeight: number }) | undefined;

  hasPendingTransactions(committedThisStep: readonly ProposedBlockView[]): boolean {
    const inFlight = new Set([...this.ordered, ...committedThisStep.flatMap((block) => decodePayload(block.payload))]);
    return this.pending.some((transaction) => !this.committed.includes(transaction) && !inFlight.has(transaction));
  }

  executedThrough(): number {
    return this.roots.length - 1;
  }

  scheduledValidatorSet(): ScheduledValidatorSet | undefined {
    const change = this.change;
    return change !== undefined && this.executedThrough() >= change.approvedAtHeight ? { startHeight: change.startHeight, validators: change.validators } : undefined;
  }

  propose(context: Pick<ProposalContext, 'ancestors' | 'emptyOnly'> & Partial<Pick<ProposalContext, 'ledgerHeightMax'>>): ProposalContent {
    const inFlight = new Set([...this.ordered, ...context.ancestors.flatMap((block) => decodePayload(block.payload))]);
    const transactions = context.emptyOnly ? [] : this.pending.filter((transaction) => !this.committed.includes(transaction) && !inFlight.has(transaction)).slice(0, 10);
    const payload = utf8(JSON.stringify(transactions));
    const ledgerHeight = Math.min(this.roots.length - 1, context.ledgerHeightMax ?? Number.POSITIVE_INFINITY);
    return { payload, txCount: transactions.length, txRoot: toHex(sha256(payload)), ledgerHeight, ...this.roots[ledgerHeight]! };
  }

  checkPayload(header: BlockHeader, payload: Uint8Array): { ok: true } | { ok: false; reason: string } {
    const transactions = decodePayload(payload);
    if (transactions.length !== header.txCount || toHex(sha256(payload)) !== header.txRoot) return { ok: false, reason: 'payload does not match header' };
    return { ok: true };
  }

  checkProposal(header: BlockHeader, payload: Uint8Array): ProposalCheck {
    const payloadCheck = this.checkPayload(header, payload);
    if (!payloadCheck.ok) return { verdict: 'reject', reason: payloadCheck.reason };
    const roots = this.roots[header.ledgerHeight];
    if (roots === undefined) return { verdict: 'not-ready' };
    if (roots.logSize !== header.logSize || roots.logRoot !== header.logRoot || roots.stateRoot !== header.stateRoot) return { verdict: 'reject', reason: 'roots differ' };
    return { verdict: 'accept' };
  }

  execute(blocks: readonly CommittedBlock[]): void {
    for (const { block } of blocks) {
      if (block.header.height !== this.roots.length) throw new Error(`executed height ${block.header.height} out of order`);
      const transactions = decodePayload(block.payload);
      this.committed.push(...transactions);
      for (const transaction of transactions) this.ordered.delete(transaction);
      const previous = this.roots[this.roots.length - 1]!;
      this.roots.push({
        logSize: previous.logSize + transactions.length,
        logRoot: toHex(sha256(utf8(previous.logRoot + JSON.stringify(transactions)))),
        stateRoot: toHex(sha256(utf8(previous.stateRoot + blockHash(block.header)))),
      });
    }
  }
}

function decodePayload(payload: Uint8Array): string[] {
  return JSON.parse(new TextDecoder().decode(payload)) as string[];
}

interface Envelope {
  from: string;
  to: string;
  message: ConsensusMessage;
  epoch: number;
}

export interface LockstepNode {
  id: string;
  core: ConsensusCore;
  app: TestApplication;
  disk: { safety: SafetyState | undefined; blocks: Map<string, PersistedConsensusState['blocks'][number]>; highQc: PersistedConsensusState['highQc']; highTc: PersistedConsensusState['highTc'] };
  committed: CommittedBlock[];
  /** Committed blocks the application has not executed yet (with deferred execution). */
  unexecuted: CommittedBlock[];
  /** Hand-over proofs by the height of the epoch's last block (what a node's driver keeps). */
  handOvers: Map<number, CommittedBlock[]>;
  timerAtMs: number;
  down: boolean;
  outputs: ConsensusOutput[];
}

export class LockstepCluster {
  readonly chain: TestChain;
  readonly nodes: LockstepNode[];
  nowMs: number;
  private queue: Envelope[] = [];
  /** Messages for which this returns true are dropped. */
  dropRule: (envelope: Envelope) => boolean = () => false;
  /** With deferred execution: a node executes committed blocks only up to its limit here. */
  readonly executionLimits = new Map<string, number>();
  delivered = 0;

  /** Keys of validators outside the genesis set (observers that a change may add), by id. */
  readonly extraKeys = new Map<string, ReturnType<typeof testKey>>();

  constructor(
    size: number,
    private readonly overrides: {
      switches?: UnsafeTestSwitches;
      limits?: Partial<ConsensusLimits>;
      timings?: Partial<ConsensusTimings>;
      observers?: number;
      /** Execute committed blocks at the next clock step rather than at once, as a real node's execution lags its commits. */
      deferExecution?: boolean;

    } = {},
  ) {
    this.chain = new TestChain({ validators: size });
    this.nowMs = this.chain.genesis.genesisTime;
    const ids = this.chain.validators.validators.map((validator) => validator.id);
    for (let index = 0; index < (overrides.observers ?? 0); index++) {
      const id = `validator-${size + index}`;
      this.extraKeys.set(id, testKey(`${this.chain.chainId} observer ${index}`));
      ids.push(id);
    }
    this.nodes = ids.map((id) => ({
      id,
      core: undefined as unknown as ConsensusCore,
      app: new TestApplication(),
      disk: { safety: undefined, blocks: new Map(), highQc: null, highTc: null },
      committed: [],
      unexecuted: [],
      handOvers: new Map(),
      timerAtMs: 0,
      down: false,
      outputs: [],
    }));
    for (const node of this.nodes) {
      node.core = ConsensusCore.create(this.config(node.id), node.app);
      this.apply(node, node.core.start(this.nowMs));
    }
  }

  /** The validator entry (id and key) of any node, in the genesis set or not. */
  member(id: string): Validator {
    const extra = this.extraKeys.get(id);
    if (extra !== undefined) return { id, publicKey: toHex(extra.publicKey) };
    return this.chain.genesis.validators.find((validator) => validator.id === id)!;
  }

  /** Schedules a validator set change on every node's ledger, as a governance approval at `approvedAtHeight` would. */
  scheduleChange(change: { approvedAtHeight: number; startHeight: number; members: readonly string[] }): void {
    const validators = change.members.map((id) => this.member(id));
    for (const node of this.nodes) node.app.change = { approvedAtHeight: change.approvedAtHeight, startHeight: change.startHeight, validators };
  }

  config(id: string, epoch?: EpochConfig): ConsensusConfig {
    const extra = this.extraKeys.get(id);
    const seed = extra?.seed ?? this.chain.validatorKeys[this.chain.validators.get(id)!.index]!.seed;
    return {
      chainId: this.chain.chainId,
      genesisHash: this.chain.genesisHash,
      genesisTime: this.chain.genesis.genesisTime,
      validators: this.chain.validators,
      ...(epoch === undefined ? {} : { epoch }),
      self: id,
      signingSeed: seed,
      limits: { ...DEFAULT_LIMITS, ...this.overrides.limits },
      // A 1-s heartbeat keeps these tests' idle chains moving; the idle-chain tests set their own.
      timings: { ...DEFAULT_TIMINGS, idleProposalDelayMs: 1000, ...this.overrides.timings },
      unsafeTestSwitches: this.overrides.switches ?? {},
    };
  }

  node(id: string): LockstepNode {
    return this.nodes.find((node) => node.id === id)!;
  }

  /** Hands `transaction` to every node (or to those of `ids`), as the relay would. */
  submit(transaction: string, ids?: readonly string[]): void {
    for (const node of this.nodes) {
      if (ids !== undefined && !ids.includes(node.id)) continue;
      node.app.pending.push(transaction);
      if (!node.down) this.apply(node, node.core.step({ kind: 'transactions-ready', nowMs: this.nowMs }));
    }
  }

  /** Queues a message as if `from` had sent it to `to` (a Byzantine sender's forgery, say). */
  inject(from: string, to: string, message: ConsensusMessage, epoch = 0): void {
    this.queue.push({ from, to, message, epoch });
  }

  /** Queues a message ahead of every other, to be delivered next (a message that overtook the rest). */
  injectNext(from: string, to: string, message: ConsensusMessage, epoch = 0): void {
    this.queue.unshift({ from, to, message, epoch });
  }

  /** Delivers queued messages until none are left, then fires due timers; repeats until `untilMs`. */
  runUntil(untilMs: number, stop: () => boolean = () => false): void {
    const stepMs = 50;
    while (this.nowMs < untilMs && !stop()) {
      let guard = 0;
      while (this.queue.length > 0 && guard++ < 100_000) this.deliver(this.queue.shift()!);
      this.nowMs += stepMs;
      for (const node of this.nodes) if (!node.down) this.execute(node);
      for (const node of this.nodes) {
        if (!node.down && node.timerAtMs <= this.nowMs) this.apply(node, node.core.step({ kind: 'tick', nowMs: this.nowMs }));
      }
    }
  }

  /** The process dies: what it committed but had not executed is lost with it (the ledger holds only executed blocks). */
  crash(id: string): void {
    const node = this.node(id);
    node.down = true;
    node.unexecuted.length = 0;
    node.app.ordered.clear();
    node.committed.length = node.app.roots.length - 1;
  }

  /**
   * Restarts a node from its disk and ledger, in the epoch its ledger's headers say it is in (as
   * node/epochs.ts does). With `consensusStoreLost`, its consensus store is gone (the ledger kept),
   * as node/validator.ts detects it.
   */
  restart(id: string, options: { consensusStoreLost?: boolean } = {}): void {
    const node = this.node(id);
    if (options.consensusStoreLost === true) node.disk = { safety: undefined, blocks: new Map(), highQc: null, highTc: null };
    const last = node.committed[node.committed.length - 1] ?? null;
    const blocks = [...node.disk.blocks.values()];
    const persisted: PersistedConsensusState = {
      safety: node.disk.safety ?? initialSafetyState(),
      blocks,
      highQc: node.disk.highQc,
      highTc: node.disk.highTc,
      committed: last,
      safetyRecordLost: safetyRecordWasLost({ safety: node.disk.safety, ledgerHeight: node.committed.length, blocks, highQc: node.disk.highQc, highTc: node.disk.highTc }),
    };
    const epochConfig = epochOfChain({ members: this.chain.genesis.validators, validators: this.chain.validators }, node.committed);
    node.down = false;
    node.core = ConsensusCore.create(this.config(id, epochConfig), node.app, persisted);
    this.apply(node, node.core.start(this.nowMs));
  }

  private deliver(envelope: Envelope): void {
    const node = this.node(envelope.to);
    if (node.down || this.dropRule(envelope)) return;
    this.delivered++;
    if (envelope.message.kind === 'committed-request') {
      const from = envelope.message.fromHeight;
      const ledger = node.committed.filter((block) => block.block.header.height >= from).slice(0, committedResponseBlocksMax(envelope.message.count));
      const blocks = committedResponseBlocks(ledger, (height) => node.handOvers.get(height), envelope.message.count);
      this.queue.push({ from: node.id, to: envelope.from, message: { kind: 'committed-response', blocks }, epoch: 0 });
      return;
    }
    const decoded = JSON.parse(JSON.stringify(envelope.message, (_key, value) => (value instanceof Uint8Array ? { bytes: Buffer.from(value).toString('base64') } : value)), (_key, value) =>
      value !== null && typeof value === 'object' && typeof value.bytes === 'string' ? new Uint8Array(Buffer.from(value.bytes, 'base64')) : value,
    ) as ConsensusMessage;
    this.apply(node, node.core.step({ kind: 'message', from: envelope.from, message: decoded, nowMs: this.nowMs, epoch: envelope.epoch }));
  }

  private apply(node: LockstepNode, outputs: ConsensusOutput[]): void {
    node.outputs.push(...outputs);
    for (const output of outputs) {
      switch (output.kind) {
        case 'persist':
          if (output.safety !== undefined) node.disk.safety = output.safety;
          if (output.dropAllBlocks === true) node.disk.blocks.clear();
          for (const record of output.blocks ?? []) node.disk.blocks.set(blockHash(record.block.header), record);
          if (output.highQc !== undefined) node.disk.highQc = output.highQc;
          if (output.highTc !== undefined) node.disk.highTc = output.highTc;
          if (output.handOverProof !== undefined) node.handOvers.set(output.handOverProof.height, output.handOverProof.blocks);
          break;
        case 'send':
          this.queue.push({ from: node.id, to: output.to, message: output.message, epoch: output.epoch });
          break;
        case 'broadcast':
          for (const other of this.nodes) if (other.id !== node.id) this.queue.push({ from: node.id, to: other.id, message: output.message, epoch: output.epoch });
          break;
        case 'commit': {
          const expected = (node.committed[node.committed.length - 1]?.block.header.height ?? 0) + 1;
          if (output.blocks[0]!.block.header.height !== expected) throw new Error(`${node.id} committed height ${output.blocks[0]!.block.header.height}, expected ${expected}`);
          node.committed.push(...output.blocks);
          node.unexecuted.push(...output.blocks);
          for (const committed of output.blocks) for (const transaction of decodePayload(committed.block.payload)) node.app.ordered.add(transaction);
          if (this.overrides.deferExecution !== true) this.execute(node);
          break;
        }
        case 'timer':
          node.timerAtMs = output.atMs;
          break;
      }
    }
  }

  private execute(node: LockstepNode): void {
    const limit = this.executionLimits.get(node.id) ?? Number.POSITIVE_INFINITY;
    const ready = node.unexecuted.findIndex((committed) => committed.block.header.height > limit);
    const blocks = node.unexecuted.splice(0, ready === -1 ? node.unexecuted.length : ready);
    if (blocks.length === 0) return;
    node.app.execute(blocks);
    for (const [hash, record] of node.disk.blocks) if (record.block.header.height <= node.app.roots.length - 1) node.disk.blocks.delete(hash);
    this.apply(node, node.core.step({ kind: 'ledger-advanced', nowMs: this.nowMs }));
  }

  committedHashes(id: string): string[] {
    return this.node(id).committed.map((block) => blockHash(block.block.header));
  }
}

/** Every node's committed chain is a prefix of every longer one. */
export function expectIdenticalPrefixes(cluster: LockstepCluster, ids = cluster.nodes.map((node) => node.id)): void {
  const chains = ids.map((id) => cluster.committedHashes(id));
  const shortest = Math.min(...chains.map((chain) => chain.length));
  for (const chain of chains) expect(chain.slice(0, shortest)).toEqual(chains[0]!.slice(0, shortest));
}

export function minCommitted(cluster: LockstepCluster, ids = cluster.nodes.map((node) => node.id)): number {
  return Math.min(...ids.map((id) => cluster.node(id).committed.length));
}
