/**
 * The driver loop (docs/consensus.md, section 1): feeds the consensus core its inputs one at a
 * time (peer messages, ticks from the real clock, mempool and ledger signals) and carries out
 * each step's outputs in order: the durable write first (fsync), then the messages, then the
 * commits, then the timer. Nothing signed leaves before the safety state that allows it is on disk.
 *
 * Committed-block requests from lagging peers are served here, from the ledger store, since the
 * core keeps only recent blocks.
 */
import { assert } from '../ledger/assert.js';
import type { BlockStore } from '../ledger/store/block-store.js';
import type { ConsensusCore } from '../consensus/core.js';
import { committedResponseBlocks, committedResponseBlocksMax } from '../consensus/catch-up.js';
import { decodeMessageBytes, encodeMessageParts } from '../consensus/codec.js';
import type { CommittedBlock, ConsensusMessage } from '../consensus/messages.js';
import type { ConsensusInput, ConsensusOutput } from '../consensus/types.js';
import { CLOCK_FAULT_OFFSET_MAX_MS } from './config.js';
import type { ConsensusStore } from './consensus-store.js';
import type { LedgerApplication } from './ledger-application.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { encodePayload } from './payload.js';

export const CONSENSUS_CHANNEL = 'consensus';
/**
 * Payload bytes in one committed-response: with headers and certificates it stays inside a 24 MiB
 * transport frame (node/transport/limits.ts; payloads travel raw, docs/consensus.md "Wire
 * format"). The first two blocks are served whatever their size, since a proof needs a pair;
 * CONFIGURABLE_PAYLOAD_BYTES_MAX (node/config.ts) keeps those inside the frame too.
 */
export const COMMITTED_RESPONSE_PAYLOAD_BYTES_MAX = 12 * 1024 * 1024;
/**
 * Committed-block requests served at once, in all and per peer. Serving reads, checks and encodes
 * up to 12 MiB of blocks; a peer catching up (or a hostile one) that asked again before the
 * answer came, or several peers at once, could otherwise keep a validator too busy to vote (a
 * repairing validator's catch-up stalled a chaos run's network this way). Requests beyond these
 * are dropped and counted; the requester asks again, or another peer, after its timeout.
 */
export const COMMITTED_SERVES_AT_ONCE_MAX = 2;
/** Blocks read from the store per step while serving, so the event loop serves consensus between steps. */
const COMMITTED_SERVE_READ_BLOCKS = 8;

/** Binary frames on the consensus channel (node/transport/frames.ts); a broadcast is framed once for every peer. */
export interface FrameSender {
  sendBytes(to: string, channel: string, body: readonly Uint8Array[]): boolean;
  broadcastBytes(channel: string, body: readonly Uint8Array[]): void;
}

export interface DriverOptions {
  core: ConsensusCore;
  consensusStore: ConsensusStore;
  store: BlockStore;
  application: LedgerApplication;
  transport: FrameSender;
  logger: Logger;
  metrics: Metrics;
  /** Inputs waiting for the loop; beyond it peer messages are dropped (and counted). */
  inputQueueMax?: number;
  committedBlocksPerResponseMax?: number;
  now?: () => number;
  /** A fault for tests and chaos runs (config faults.clockOffsetMs): added to `now` for everything the core is told. */
  clockOffsetMs?: number;
  /** The core entered a new validator-set epoch. */
  onEpoch?: (epoch: Extract<ConsensusOutput, { kind: 'epoch' }>) => void;
  /**
   * Called just before a proposal is broadcast: the node sends the relay batch it is gathering
   * (node/relay-batch.ts), so the transactions this leader admitted in the last few milliseconds
   * reach each peer ahead of the proposal that names them on the same link, rather than a
   * follower holding the proposal until the batch's delay passes or it fetches the bodies.
   */
  beforeProposal?: () => void;
}

/** Inputs that carry nothing but their kind and time: the core reads what they signal from the application. */
function isSignal(input: ConsensusInput): boolean {
  return input.kind === 'transactions-ready' || input.kind === 'ledger-advanced' || input.kind === 'transactions-arrived';
}

export class ConsensusDriver {
  private readonly queue: ConsensusInput[] = [];
  private running = false;
  private stopped = false;
  /** The end of a hold after a lost safety record is logged once. */
  private safetyRecoveryLogged = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAtMs = Number.POSITIVE_INFINITY;
  private readonly realNow: () => number;
  private clockOffsetMs = 0;
  private readonly inputQueueMax: number;

  constructor(private readonly options: DriverOptions) {
    this.realNow = options.now ?? Date.now;
    this.setClockOffsetMs(options.clockOffsetMs ?? 0);
    this.inputQueueMax = options.inputQueueMax ?? 20_000;
  }

  /** The clock the core runs on, skewed by the injected offset (none unless a fault asks for it). */
  private now(): number {
    return this.realNow() + this.clockOffsetMs;
  }

  /**
   * Skews the core's clock from now on, a fault for tests and chaos runs. Setting it back makes the
   * core's clock stand still until real time catches up (the core's time never moves backwards).
   */
  setClockOffsetMs(offsetMs: number): void {
    assert(Number.isSafeInteger(offsetMs) && Math.abs(offsetMs) <= CLOCK_FAULT_OFFSET_MAX_MS, `a clock offset is whole milliseconds within ${CLOCK_FAULT_OFFSET_MAX_MS} either way`);
    this.clockOffsetMs = offsetMs;
  }

  /** Hand-over proofs by the height of the epoch's last block; at most one per set change. */
  private handOverProofs = new Map<number, CommittedBlock[]>();

  /** Starts the core; inputs that arrive meanwhile wait in the queue. */
  async start(): Promise<void> {
    this.running = true;
    try {
      this.handOverProofs = await this.options.consensusStore.handOverProofs();
      await this.carryOut(this.options.core.start(this.now()));
    } finally {
      this.running = false;
    }
    if (this.queue.length > 0) void this.pump();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    while (this.running) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  /** A binary frame's body on the consensus channel from an authenticated peer (the binary form of consensus/codec.ts). */
  receiveFrame(from: string, bytes: Uint8Array): void {
    const decoded = decodeMessageBytes(bytes);
    if (!decoded.ok) {
      this.options.metrics.messagesRejected.inc({ reason: 'undecodable' });
      return;
    }
    if (decoded.message.kind === 'committed-request') {
      if (this.serving.has(from) || this.serving.size >= COMMITTED_SERVES_AT_ONCE_MAX) {
        this.options.metrics.messagesRejected.inc({ reason: 'committed-request-busy' });
        return;
      }
      this.serving.add(from);
      // A store that is damaged (a checked read refuses its blocks) or failing answers nothing: the peer asks another.
      void this.serveCommitted(from, decoded.message.fromHeight, decoded.message.count)
        .catch((error: unknown) => this.options.logger.warn({ error, from }, 'serving committed blocks to a peer failed'))
        .finally(() => this.serving.delete(from));
      return;
    }
    this.enqueue({ kind: 'message', from, message: decoded.message, nowMs: this.now(), epoch: decoded.epoch });
  }

  transactionsReady(): void {
    this.enqueue({ kind: 'transactions-ready', nowMs: this.now() });
  }

  /** Bodies a held proposal lacked have arrived. */
  transactionsArrived(): void {
    this.enqueue({ kind: 'transactions-arrived', nowMs: this.now() });
  }

  ledgerAdvanced(height: number): void {
    this.options.consensusStore.noteExecuted(height);
    this.enqueue({ kind: 'ledger-advanced', nowMs: this.now() });
    this.options.consensusStore.pruneAtOrBelow(height);
  }

  private enqueue(input: ConsensusInput): void {
    if (this.stopped) return;
    if (input.kind === 'message' && this.queue.length >= this.inputQueueMax) {
      this.options.metrics.messagesRejected.inc({ reason: 'input-queue-full' });
      return;
    }
    // A signal (transactions admitted, blocks executed, bodies arrived) only asks the core to look
    // again at what the application holds; the same signal still waiting since the last message
    // or tick asks nothing more, so it takes the later time instead of a place of its own. Under
    // load every admitted transaction signals, and the queue grew by one input for each while the
    // core was busy; now each kind waits at most once between two messages, whose count is bounded.
    if (isSignal(input)) {
      for (let index = this.queue.length - 1; index >= 0 && isSignal(this.queue[index]!); index--) {
        const waiting = this.queue[index]!;
        if (waiting.kind === input.kind) {
          waiting.nowMs = input.nowMs;
          return;
        }
      }
    }
    this.queue.push(input);
    if (!this.running) void this.pump();
  }

  private async pump(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0 && !this.stopped) {
        const input = this.queue.shift()!;
        await this.carryOut(this.options.core.step(input));
      }
    } catch (error) {
      this.options.logger.fatal({ error }, 'the consensus driver failed; stopping');
      this.stopped = true;
      throw error;
    } finally {
      this.running = false;
    }
  }

  private async carryOut(outputs: ConsensusOutput[]): Promise<void> {
    const { metrics, transport } = this.options;
    for (const output of outputs) {
      switch (output.kind) {
        case 'persist': {
          const started = performance.now();
          await this.options.consensusStore.write(output, (record) => this.options.application.bodiesToPersist(record.block.header, record.block.payload));
          metrics.fsyncSeconds.observe((performance.now() - started) / 1000);
          if (output.handOverProof !== undefined) this.handOverProofs.set(output.handOverProof.height, output.handOverProof.blocks);
          break;
        }
        case 'send':
          this.count(output.message);
          transport.sendBytes(output.to, CONSENSUS_CHANNEL, encodeMessageParts(output.message, output.epoch));
          break;
        case 'broadcast':
          if (output.message.kind === 'proposal') this.options.beforeProposal?.();
          this.count(output.message);
          transport.broadcastBytes(CONSENSUS_CHANNEL, encodeMessageParts(output.message, output.epoch));
          break;
        case 'commit':
          this.options.application.enqueueCommits(output.blocks);
          break;
        case 'timer':
          this.schedule(output.atMs);
          break;
        case 'evidence':
          // Chaos runs read this line from the log: it survives the process, a counter does not.
          this.options.logger.error({ doubleSign: output.evidence }, 'a validator signed two different messages for one round');
          metrics.doubleSignsSeen.inc({ validator: output.evidence.validator, message: output.evidence.message });
          break;
        case 'epoch':
          this.options.logger.info({ epoch: output.number, startHeight: output.startHeight, validators: output.validators.map((validator) => validator.id), member: output.member }, 'entered a new validator-set epoch');
          this.options.onEpoch?.(output);
          break;
      }
    }
    const progress = this.options.core.progress;
    metrics.round.set(progress.round);
    metrics.safetyHeld.set(progress.safetyHeld ? 1 : 0);
    const recovered = this.options.core.safetyRecovered;
    if (recovered !== undefined && !this.safetyRecoveryLogged) {
      this.safetyRecoveryLogged = true;
      metrics.safetyFloorRound.set(recovered.round);
      this.options.logger.warn({ floorRound: recovered.round, lockedRound: recovered.lockedRound, peers: recovered.peers }, 'lost safety record recovered: certificates from a quorum of peers showed the network round; signing resumes above the floor');
    }
  }

  private count(message: ConsensusMessage): void {
    if (message.kind === 'vote') this.options.metrics.votesSent.inc();
    if (message.kind === 'timeout') this.options.metrics.timeoutsSent.inc();
  }

  private schedule(atMs: number): void {
    if (this.stopped) return;
    if (this.timer !== undefined && atMs >= this.timerAtMs) return;
    clearTimeout(this.timer);
    this.timerAtMs = atMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAtMs = Number.POSITIVE_INFINITY;
      this.enqueue({ kind: 'tick', nowMs: this.now() });
    }, Math.max(0, atMs - this.now()));
  }

  /**
   * Answers a lagging peer with committed blocks and the QC on each, from the ledger store, and
   * an epoch's last block with the hand-over proof kept for it (consensus/catch-up.ts).
   */
  /** Peers whose committed-block request is being served. */
  private readonly serving = new Set<string>();

  /**
   * Reads committed blocks a few at a time, only as many as the response can carry (the rule of
   * consensus/catch-up.ts decides where it ends), so a response cut short by its byte budget does
   * not read, check and encode the rest.
   */
  private async serveCommitted(from: string, fromHeight: number, count: number): Promise<void> {
    const blocksMax = Math.min(count, this.options.committedBlocksPerResponseMax ?? 64);
    const readMax = committedResponseBlocksMax(blocksMax);
    const respond = (blocks: readonly CommittedBlock[]) => committedResponseBlocks(blocks, (height) => this.handOverProofs.get(height), blocksMax, COMMITTED_RESPONSE_PAYLOAD_BYTES_MAX);
    const committed: CommittedBlock[] = [];
    let ledgerEnded = false;
    while (!ledgerEnded && committed.length < readMax && respond(committed).length === committed.length) {
      const wanted = Math.min(COMMITTED_SERVE_READ_BLOCKS, readMax - committed.length);
      const blocks = await this.options.store.getBlocks(fromHeight + committed.length, wanted);
      ledgerEnded = blocks.length < wanted;
      for (const block of blocks) {
        const certificate = await this.options.store.getCertificate(block.header.height);
        if (certificate === undefined) {
          ledgerEnded = true;
          break;
        }
        committed.push({ block: { header: block.header, payload: encodePayload(block.transactions) }, certificate });
      }
    }
    this.options.transport.sendBytes(from, CONSENSUS_CHANNEL, encodeMessageParts({ kind: 'committed-response', blocks: respond(committed) }));
  }
}
