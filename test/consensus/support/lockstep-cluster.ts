/**
 * A small lockstep cluster for the core's unit tests: n real ConsensusCores, a FIFO network
 * that can drop messages by rule, a shared virtual clock, and a minimal application whose
 * ledger roots are hash chains. The seeded fault simulator lives in tools/sim; this harness
 * keeps unit tests readable.
 */
import { toHex, utf8 } from '../../../ledger/encoding/hex.js';
import { sha256 } from '../../../ledger/crypto/sha256.js';
import type { BlockHeader } from '../../../ledger/model/block.js';
import { blockHash } from '../../../ledger/model/block.js';
import { ConsensusCore } from '../../../consensus/core.js';
import { DEFAULT_LIMITS, DEFAULT_TIMINGS } from '../../../consensus/defaults.js';
import type { CommittedBlock, ConsensusMessage } from '../../../consensus/messages.js';
import type {
  ApplicationPort,
  ConsensusConfig,
  ConsensusLimits,
  ConsensusOutput,
  PersistedConsensusState,
  ProposalCheck,
  ProposalContent,
  ProposedBlockView,
  SafetyState,
  UnsafeTestSwitches,
} from '../../../consensus/types.js';
import { TestChain } from '../../support/test-chain.js';

const ZERO_ROOT = '00'.repeat(32);

export class TestApplication implements ApplicationPort {
  readonly pending: string[] = [];
  readonly committed: string[] = [];
  /** Ledger roots after each executed height; index = height. */
  readonly roots: Array<{ logSize: number; logRoot: string; stateRoot: string }> = [{ logSize: 0, logRoot: ZERO_ROOT, stateRoot: ZERO_ROOT }];

  hasPendingTransactions(): boolean {
    return this.pending.some((transaction) => !this.committed.includes(transaction));
  }

  propose(context: { ancestors: readonly ProposedBlockView[] }): ProposalContent {
    const inFlight = new Set(context.ancestors.flatMap((block) => decodePayload(block.payload)));
    const transactions = this.pending.filter((transaction) => !this.committed.includes(transaction) && !inFlight.has(transaction)).slice(0, 10);
    const payload = utf8(JSON.stringify(transactions));
    const executedHeight = this.roots.length - 1;
    return { payload, txCount: transactions.length, txRoot: toHex(sha256(payload)), ledgerHeight: executedHeight, ...this.roots[executedHeight]! };
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
}

export interface LockstepNode {
  id: string;
  core: ConsensusCore;
  app: TestApplication;
  disk: { safety: SafetyState | undefined; blocks: Map<string, PersistedConsensusState['blocks'][number]>; highQc: PersistedConsensusState['highQc']; highTc: PersistedConsensusState['highTc'] };
  committed: CommittedBlock[];
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
  delivered = 0;

  constructor(
    size: number,
    private readonly overrides: { switches?: UnsafeTestSwitches; limits?: Partial<ConsensusLimits> } = {},
  ) {
    this.chain = new TestChain({ validators: size });
    this.nowMs = this.chain.genesis.genesisTime;
    this.nodes = this.chain.validators.validators.map((validator) => ({
      id: validator.id,
      core: undefined as unknown as ConsensusCore,
      app: new TestApplication(),
      disk: { safety: undefined, blocks: new Map(), highQc: null, highTc: null },
      committed: [],
      timerAtMs: 0,
      down: false,
      outputs: [],
    }));
    for (const node of this.nodes) {
      node.core = ConsensusCore.create(this.config(node.id), node.app);
      this.apply(node, node.core.start(this.nowMs));
    }
  }

  config(id: string): ConsensusConfig {
    const index = this.chain.validators.get(id)!.index;
    return {
      chainId: this.chain.chainId,
      genesisHash: this.chain.genesisHash,
      genesisTime: this.chain.genesis.genesisTime,
      validators: this.chain.validators,
      self: id,
      signingSeed: this.chain.validatorKeys[index]!.seed,
      limits: { ...DEFAULT_LIMITS, ...this.overrides.limits },
      timings: DEFAULT_TIMINGS,
      unsafeTestSwitches: this.overrides.switches ?? {},
    };
  }

  node(id: string): LockstepNode {
    return this.nodes.find((node) => node.id === id)!;
  }

  submit(transaction: string): void {
    for (const node of this.nodes) {
      node.app.pending.push(transaction);
      if (!node.down) this.apply(node, node.core.step({ kind: 'transactions-ready', nowMs: this.nowMs }));
    }
  }

  /** Delivers queued messages until none are left, then fires due timers; repeats until `untilMs`. */
  runUntil(untilMs: number, stop: () => boolean = () => false): void {
    const stepMs = 50;
    while (this.nowMs < untilMs && !stop()) {
      let guard = 0;
      while (this.queue.length > 0 && guard++ < 100_000) this.deliver(this.queue.shift()!);
      this.nowMs += stepMs;
      for (const node of this.nodes) {
        if (!node.down && node.timerAtMs <= this.nowMs) this.apply(node, node.core.step({ kind: 'tick', nowMs: this.nowMs }));
      }
    }
  }

  crash(id: string): void {
    const node = this.node(id);
    node.down = true;
  }

  restart(id: string): void {
    const node = this.node(id);
    const last = node.committed[node.committed.length - 1] ?? null;
    const persisted: PersistedConsensusState = {
      safety: node.disk.safety ?? { lastVotedRound: 0, lockedRound: 0, highestTimeoutRound: 0, lastVote: null, lastTimeout: null, lastProposal: null },
      blocks: [...node.disk.blocks.values()],
      highQc: node.disk.highQc,
      highTc: node.disk.highTc,
      committed: last,
    };
    node.down = false;
    node.core = ConsensusCore.create(this.config(id), node.app, persisted);
    this.apply(node, node.core.start(this.nowMs));
  }

  private deliver(envelope: Envelope): void {
    const node = this.node(envelope.to);
    if (node.down || this.dropRule(envelope)) return;
    this.delivered++;
    if (envelope.message.kind === 'committed-request') {
      const from = envelope.message.fromHeight;
      const blocks = node.committed.filter((block) => block.block.header.height >= from).slice(0, envelope.message.count);
      this.queue.push({ from: node.id, to: envelope.from, message: { kind: 'committed-response', blocks } });
      return;
    }
    const decoded = JSON.parse(JSON.stringify(envelope.message, (_key, value) => (value instanceof Uint8Array ? { bytes: Buffer.from(value).toString('base64') } : value)), (_key, value) =>
      value !== null && typeof value === 'object' && typeof value.bytes === 'string' ? new Uint8Array(Buffer.from(value.bytes, 'base64')) : value,
    ) as ConsensusMessage;
    this.apply(node, node.core.step({ kind: 'message', from: envelope.from, message: decoded, nowMs: this.nowMs }));
  }

  private apply(node: LockstepNode, outputs: ConsensusOutput[]): void {
    node.outputs.push(...outputs);
    for (const output of outputs) {
      switch (output.kind) {
        case 'persist':
          if (output.safety !== undefined) node.disk.safety = output.safety;
          for (const record of output.blocks ?? []) node.disk.blocks.set(blockHash(record.block.header), record);
          if (output.highQc !== undefined) node.disk.highQc = output.highQc;
          if (output.highTc !== undefined) node.disk.highTc = output.highTc;
          break;
        case 'send':
          this.queue.push({ from: node.id, to: output.to, message: output.message });
          break;
        case 'broadcast':
          for (const other of this.nodes) if (other.id !== node.id) this.queue.push({ from: node.id, to: other.id, message: output.message });
          break;
        case 'commit': {
          const expected = (node.committed[node.committed.length - 1]?.block.header.height ?? 0) + 1;
          if (output.blocks[0]!.block.header.height !== expected) throw new Error(`${node.id} committed height ${output.blocks[0]!.block.header.height}, expected ${expected}`);
          node.committed.push(...output.blocks);
          node.app.execute(output.blocks);
          for (const [hash, record] of node.disk.blocks) if (record.block.header.height <= node.app.roots.length - 1) node.disk.blocks.delete(hash);
          this.apply(node, node.core.step({ kind: 'ledger-advanced', nowMs: this.nowMs }));
          break;
        }
        case 'timer':
          node.timerAtMs = output.atMs;
          break;
      }
    }
  }

  committedHashes(id: string): string[] {
    return this.node(id).committed.map((block) => blockHash(block.block.header));
  }
}
