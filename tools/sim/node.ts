/**
 * One simulated validator instance: the real consensus core, its simulated disk, its
 * application, and the driver loop that node/ runs in production (etcd raft's Ready loop,
 * in the DiemBFT v4 / Jolteon vocabulary of docs/consensus.md). The driver carries out a
 * step's outputs in order: durable writes, then sends, then commits (after which the core hears
 * `ledger-advanced`), then the timer, of which only the latest counts.
 *
 * The disk keeps exactly what the core asked to persist, as structured clones, so a core that
 * later mutates an object it handed out cannot reach into its "disk". A crash discards the core
 * and everything in memory; a restart rebuilds the core from the disk and the application's
 * committed ledger, as a process restarted after kill -9 would. A crash can also be armed to
 * strike right after the next safety write and before the sends that follow it: the moment
 * where a signature is durable but has not left the machine.
 *
 * The node also runs the data plane (transaction-bodies.ts): relayed transactions enter the
 * mempool (and tell the core `transactions-ready`), wants are answered from what the node holds,
 * and fetched bodies that complete a block tell the core `transactions-arrived`. Committed
 * blocks go to the application's execution queue; only blocks actually executed make the core
 * hear `ledger-advanced`, so a block whose bodies are still being fetched holds the ledger back
 * until they come.
 */
import { blockHash } from '../../ledger/model/block.js';
import type { BlockRecord, CommittedBlock, ConsensusMessage, ParentCertificate, TimeoutCertificate } from '../../consensus/messages.js';
import type { ConsensusConfig, ConsensusInput, ConsensusOutput, PersistedConsensusState, SafetyState } from '../../consensus/types.js';
import { ConsensusCore, safetyRecordWasLost } from '../../consensus/core.js';
import { initialSafetyState } from '../../consensus/defaults.js';
import { laterSafetyRecord } from '../../consensus/safety-rules.js';
import { epochOfChain } from '../../consensus/epochs.js';
import type { SimApplication } from './application.js';
import type { DataMessage } from './transaction-bodies.js';
import { SIM_DISK_SNAPSHOTS_KEPT } from './scenarios.js';

/** A step's commits trigger `ledger-advanced`, whose step may commit again; beyond this many rounds the core is looping. */
export const LEDGER_ADVANCED_STEPS_MAX = 64;

type PersistOutput = Extract<ConsensusOutput, { kind: 'persist' }>;

export class SimDisk {
  safety: SafetyState | null = null;
  /**
   * The copy of the safety record a node keeps outside its consensus store
   * (node/safety-record-copy.ts): written with every safety change, untouched by a rollback of
   * the store, lost with it only when the whole consensus state is.
   */
  safetyCopy: SafetyState | null = null;
  keepsSafetyRecordCopy = true;
  readonly blocks = new Map<string, BlockRecord>();
  highQc: ParentCertificate = null;
  highTc: TimeoutCertificate | null = null;
  /** Hand-over proofs by the height of an epoch's last block (the real driver keeps them in its consensus store). */
  readonly handOvers = new Map<number, CommittedBlock[]>();
  writes = 0;
  /** What the store held before each of its latest writes, newest last: a rollback returns to one of them. */
  readonly #snapshots: Array<Pick<SimDisk, 'safety' | 'highQc' | 'highTc'> & { blocks: Map<string, BlockRecord>; handOvers: Map<number, CommittedBlock[]> }> = [];

  apply(output: PersistOutput): void {
    this.writes += 1;
    this.#snapshots.push(structuredClone({ safety: this.safety, highQc: this.highQc, highTc: this.highTc, blocks: this.blocks, handOvers: this.handOvers }));
    if (this.#snapshots.length > SIM_DISK_SNAPSHOTS_KEPT) this.#snapshots.shift();
    if (output.safety !== undefined) this.safety = structuredClone(output.safety);
    if (output.safety !== undefined && this.keepsSafetyRecordCopy) this.safetyCopy = structuredClone(output.safety);
    if (output.dropAllBlocks === true) this.blocks.clear();
    for (const record of output.blocks ?? []) this.blocks.set(blockHash(record.block.header), structuredClone(record));
    if (output.highQc !== undefined) this.highQc = structuredClone(output.highQc);
    if (output.highTc !== undefined) this.highTc = structuredClone(output.highTc);
    if (output.handOverProof !== undefined) this.handOvers.set(output.handOverProof.height, structuredClone(output.handOverProof.blocks));
    if (output.pruneBelowHeight !== undefined) this.#pruneRequested = Math.max(this.#pruneRequested, output.pruneBelowHeight);
  }

  #pruneRequested = 0;

  /**
   * Drops committed block records, but only those the ledger already holds (types.ts: a crash
   * between the persist and the commit must lose nothing).
   */
  pruneUpTo(executedHeight: number): void {
    const height = Math.min(this.#pruneRequested, executedHeight);
    if (height <= 0) return;
    for (const [hash, record] of this.blocks) {
      if (record.block.header.height <= height) this.blocks.delete(hash);
    }
  }

  /**
   * The consensus store is gone (deleted, or moved aside as damaged) while the ledger stays: a
   * restart finds nothing and must recover its safety record from peers (docs/consensus.md section 3).
   */
  lose(): void {
    this.safety = null;
    this.safetyCopy = null;
    this.blocks.clear();
    this.highQc = null;
    this.highTc = null;
    this.handOvers.clear();
  }

  /**
   * The store lost its latest `writes` writes (a truncated log, a restored backup): it holds what
   * it held before them, safety record included, while the ledger keeps everything it executed.
   * Returns how many writes were actually undone (no more than were kept).
   */
  rollBack(writes: number): number {
    const undone = Math.min(writes, this.#snapshots.length);
    if (undone === 0) return 0;
    const snapshot = this.#snapshots[this.#snapshots.length - undone]!;
    this.#snapshots.length -= undone;
    this.safety = snapshot.safety;
    this.highQc = snapshot.highQc;
    this.highTc = snapshot.highTc;
    this.blocks.clear();
    for (const [hash, record] of snapshot.blocks) this.blocks.set(hash, record);
    this.handOvers.clear();
    for (const [height, blocks] of snapshot.handOvers) this.handOvers.set(height, blocks);
    return undone;
  }

  /** What a restarted process reads back; `committed` comes from the application's ledger store. */
  persistedState(committed: CommittedBlock | null): PersistedConsensusState {
    // As node/consensus-store.ts loads it: the later of the store's record and its copy, and
    // nothing of an epoch the copy has left.
    const later = laterSafetyRecord(this.safety ?? undefined, this.safetyCopy ?? undefined);
    const safety = later.record;
    const blocks = later.storeEpochStale ? [] : [...this.blocks.values()];
    const highQc = later.storeEpochStale ? null : this.highQc;
    const highTc = later.storeEpochStale ? null : this.highTc;
    return structuredClone({
      safety: safety ?? initialSafetyState(),
      blocks,
      highQc,
      highTc,
      committed,
      safetyRecordLost: safetyRecordWasLost({ safety, ledgerHeight: committed?.block.header.height ?? 0, blocks, highQc, highTc }),
    });
  }
}

/** What a node needs from the cluster around it. */
export interface NodeEnvironment {
  /** A message leaves this node for `recipients` (validator ids, never the node itself). */
  transmit(node: SimNode, recipients: readonly string[], message: ConsensusMessage, nowMs: number, epoch: number): void;
  /** A data-plane message (a want or an answer) leaves this node for `recipients`. */
  transmitData(node: SimNode, recipients: readonly string[], message: DataMessage, nowMs: number): void;
  /** Wake the node at `atMs`; a tick whose token is stale is ignored. */
  scheduleTimer(node: SimNode, atMs: number, token: number): void;
  /** Wake the node's data plane at `atMs` (its own clock) to retry unanswered wants; stale tokens are ignored. */
  scheduleDataTimer(node: SimNode, atMs: number, token: number): void;
  observePersist(node: SimNode, output: PersistOutput, nowMs: number): void;
  /** Called before the application executes `blocks`. */
  observeCommit(node: SimNode, blocks: readonly CommittedBlock[], nowMs: number): void;
  /** The application refused blocks the core committed, or the core misbehaved in a way the driver saw. */
  reportDriverProblem(node: SimNode, problem: string, nowMs: number): void;
  crashedAfterPersist(node: SimNode, nowMs: number): void;
}

export class SimNode {
  readonly disk = new SimDisk();
  #core: ConsensusCore | null = null;
  #timerToken = 0;
  /** When the pending tick is due; null when none is pending. The core restates its timer every step, so an unchanged time is not rescheduled. */
  #timerAtMs: number | null = null;
  #crashArmed = false;
  #dataTimerToken = 0;
  #dataTimerAtMs: number | null = null;
  incarnation = 0;
  steps = 0;

  constructor(
    /** Unique instance name (twins share a validator id, not an endpoint). */
    readonly endpoint: string,
    readonly config: ConsensusConfig,
    readonly app: SimApplication,
    readonly honest: boolean,
    readonly environment: NodeEnvironment,
  ) {}

  get validator(): string {
    return this.config.self;
  }

  get running(): boolean {
    return this.#core !== null;
  }

  get core(): ConsensusCore | null {
    return this.#core;
  }

  get timerToken(): number {
    return this.#timerToken;
  }

  /** First boot (empty disk) or a restart from whatever the disk and ledger hold. */
  boot(nowMs: number): void {
    if (this.#core !== null) return;
    const persisted = this.incarnation === 0 ? undefined : this.disk.persistedState(this.app.lastCommitted());
    this.incarnation += 1;
    this.app.setClock(nowMs);
    // The epoch comes from the ledger, as a node reads it from its block store's epoch index.
    const members = this.config.validators.validators.map((entry) => ({ id: entry.id, publicKey: entry.publicKeyHex }));
    const epoch = epochOfChain({ members, validators: this.config.validators }, this.app.committedChain());
    this.#core = ConsensusCore.create(epoch === undefined ? this.config : { ...this.config, epoch }, this.app, persisted);
    this.#carryOut(this.#core.start(nowMs), nowMs);
  }

  /** kill -9: the core and the mempool vanish; the disk and the committed ledger stay. */
  crash(): void {
    this.#core = null;
    this.#crashArmed = false;
    this.#timerToken += 1;
    this.#timerAtMs = null;
    this.#dataTimerToken += 1;
    this.#dataTimerAtMs = null;
    this.app.crash();
  }

  disarmCrash(): void {
    this.#crashArmed = false;
  }

  /** Crash right after the next persist output that carries safety state, before anything that follows it. */
  armCrashAfterPersist(): void {
    if (this.#core !== null) this.#crashArmed = true;
  }

  get crashArmed(): boolean {
    return this.#crashArmed;
  }

  tick(nowMs: number, token: number): void {
    if (token !== this.#timerToken) return;
    this.#timerAtMs = null;
    this.step({ kind: 'tick', nowMs });
  }

  step(input: ConsensusInput): void {
    const core = this.#core;
    if (core === null) return;
    this.steps += 1;
    this.app.setClock(input.nowMs);
    this.#carryOut(core.step(input), input.nowMs);
  }

  /** A data-plane message from `from` (a validator id). */
  receiveData(from: string, message: DataMessage, nowMs: number): void {
    if (this.#core === null) return;
    this.app.setClock(nowMs);
    switch (message.kind) {
      case 'tx-relay':
        if (this.app.receiveRelay(message.body)) this.step({ kind: 'transactions-ready', nowMs });
        break;
      case 'tx-want':
        this.app.answerWant(from, message);
        break;
      case 'tx-bodies':
        this.app.receiveBodies(message);
        break;
    }
    this.#afterData(nowMs);
  }

  dataTick(nowMs: number, token: number): void {
    if (token !== this.#dataTimerToken || this.#core === null) return;
    this.#dataTimerAtMs = null;
    this.app.tickWants(nowMs);
    this.#flushData(nowMs);
  }

  /** Bodies that completed a block: execute what became executable, and let the core re-check held proposals. */
  #afterData(nowMs: number): void {
    if (this.#core !== null && this.app.takeArrivals() > 0) {
      const ready = this.app.executeReady();
      for (const problem of ready.problems) this.environment.reportDriverProblem(this, `the application refused a commit: ${problem}`, nowMs);
      if (ready.executed > 0) this.step({ kind: 'ledger-advanced', nowMs });
      this.step({ kind: 'transactions-arrived', nowMs });
    }
    this.#flushData(nowMs);
  }

  /** Sends what the data plane queued and keeps its retry timer at the earliest due want. */
  #flushData(nowMs: number): void {
    for (const { to, message } of this.app.takeOutbox()) this.environment.transmitData(this, [to], message, nowMs);
    if (this.#core === null) return;
    const due = this.app.nextDataWakeMs();
    if (due === null || due === this.#dataTimerAtMs) return;
    this.#dataTimerToken += 1;
    this.#dataTimerAtMs = due;
    this.environment.scheduleDataTimer(this, Math.max(due, nowMs), this.#dataTimerToken);
  }

  #carryOut(initial: ConsensusOutput[], nowMs: number): void {
    let outputs = initial;
    for (let round = 0; ; round++) {
      const advanced = this.#carryOutOnce(outputs, nowMs);
      this.disk.pruneUpTo(this.app.executedHeight);
      this.#flushData(nowMs);
      if (!advanced || this.#core === null) return;
      if (round >= LEDGER_ADVANCED_STEPS_MAX) {
        this.environment.reportDriverProblem(this, `the core kept committing after ${LEDGER_ADVANCED_STEPS_MAX} ledger-advanced steps`, nowMs);
        return;
      }
      this.steps += 1;
      outputs = this.#core.step({ kind: 'ledger-advanced', nowMs });
    }
  }

  /** Returns whether the application executed blocks (so the core must hear ledger-advanced). */
  #carryOutOnce(outputs: readonly ConsensusOutput[], nowMs: number): boolean {
    let advanced = false;
    for (const output of outputs) {
      if (this.#core === null) return false;
      switch (output.kind) {
        case 'persist':
          this.disk.apply(output);
          // The real node writes a certified block's bodies in the same synced batch as its record.
          if (output.blocks !== undefined) this.app.persistBlocks(output.blocks);
          this.environment.observePersist(this, output, nowMs);
          if (this.#crashArmed && output.safety !== undefined) {
            this.crash();
            this.environment.crashedAfterPersist(this, nowMs);
            return false;
          }
          break;
        case 'send':
          // The core handles its own messages; a real driver would not loop them through a socket.
          if (output.to !== this.validator) this.environment.transmit(this, [output.to], output.message, nowMs, output.epoch);
          break;
        case 'broadcast': {
          const others = this.config.validators.validators.map((entry) => entry.id).filter((id) => id !== this.validator);
          this.environment.transmit(this, others, output.message, nowMs, output.epoch);
          break;
        }
        case 'commit': {
          this.environment.observeCommit(this, output.blocks, nowMs);
          // Executed as far as the bodies are held; the rest waits in the queue for fetched bodies.
          const result = this.app.commit(output.blocks);
          for (const problem of result.problems) this.environment.reportDriverProblem(this, `the application refused a commit: ${problem}`, nowMs);
          if (result.executed > 0) advanced = true;
          break;
        }
        case 'timer':
          if (output.atMs === this.#timerAtMs) break;
          this.#timerToken += 1;
          this.#timerAtMs = output.atMs;
          this.environment.scheduleTimer(this, output.atMs, this.#timerToken);
          break;
        case 'evidence':
          // The simulator's SafetyCheckers see every signed message themselves.
          break;
      }
    }
    return advanced;
  }
}
