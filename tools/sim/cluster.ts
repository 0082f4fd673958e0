/**
 * A simulated cluster: n validators running the real consensus core (Jolteon / DiemBFT v4,
 * consensus/core.ts) on one virtual clock, connected by the simulated network, fed by a seeded
 * workload, with faults switched on and healed by scheduled events. This is deterministic
 * simulation in the FoundationDB / TigerBeetle style: one thread, one event queue ordered by
 * (virtual time, sequence number), every random choice drawn from streams derived from the seed,
 * so a seed replays its run message for message.
 *
 * Every message crosses the wire format validators use: encodeMessageBytes, then at the receiver
 * decodeMessageBytes (the body of a binary frame, docs/consensus.md section 8). A frame that does not decode is dropped and counted; one sent
 * by an honest validator is a codec bug and is reported as a violation.
 *
 * Transactions travel on a data plane of their own (transaction-bodies.ts), over the same
 * simulated links: each admitted transaction is relayed to every other validator, proposals
 * carry only ids, and validators fetch the bodies they lack (wants and answers). The cluster
 * records every relayed id, so the checkers can tell that no honest validator votes for or
 * commits a block referencing a transaction nobody disseminated.
 */
import { toHex } from '../../ledger/encoding/hex.js';
import { blockHash } from '../../ledger/model/block.js';
import { committedResponseBlocks, committedResponseBlocksMax } from '../../consensus/catch-up.js';
import { decodeMessageBytes, encodeMessageBytes } from '../../consensus/codec.js';
import { certificateRound, proposalDigest, type CommittedBlock, type ConsensusMessage } from '../../consensus/messages.js';
import type { ConsensusConfig, ConsensusOutput, UnsafeTestSwitches } from '../../consensus/types.js';
import { emptyDataPlaneStats, payloadIds, SimApplication, type DataPlaneStats } from './application.js';
import { createBehaviour, type ByzantineBehaviour, type Outgoing } from './byzantine.js';
import { LivenessChecker, SafetyCheckers } from './checkers.js';
import { EventQueue } from './event-queue.js';
import { DISK_BLOCKS_MAX, livenessBoundMs, SIM_GENESIS_TIME_MS, SIM_LIMITS, SIM_TIMINGS, simGenesis, type SimGenesis } from './configuration.js';
import { oneWayPartition, SimNetwork, splitPartition, type Endpoint, type LinkConditions, type RouteOutcome } from './network.js';
import { SimNode, type NodeEnvironment } from './node.js';
import { Prng } from './prng.js';
import { twinName, validatorName, type CrashPlan, type PartitionPlan, type ScenarioPlan } from './scenarios.js';
import { describeMessage, Trace } from './trace.js';
import { decodeDataMessage, describeDataMessage, encodeDataMessage, transactionId, type DataMessage } from './transaction-bodies.js';

/** Agenda entries at once; a run that needs more is flooding itself. */
export const EVENT_QUEUE_SIZE_MAX = 1_000_000;
/** Events per run: a runaway message storm ends the run as a liveness failure instead of hanging it. */
export const EVENTS_PER_RUN_MAX = 3_000_000;
/** Client transactions per run. */
export const WORKLOAD_TRANSACTIONS_MAX = 5000;
/** How long a run goes on after liveness is shown, so that safety is checked on the recovered cluster too. */
export const TAIL_AFTER_HEAL_MS = 2000;

type SimEvent =
  | { kind: 'deliver'; endpoint: string; fromEndpoint: string; fromValidator: string; wire: Uint8Array; duplicate: boolean }
  | { kind: 'deliver-data'; endpoint: string; fromEndpoint: string; fromValidator: string; wire: string; duplicate: boolean }
  | { kind: 'timer'; endpoint: string; token: number }
  | { kind: 'data-timer'; endpoint: string; token: number }
  | { kind: 'submit' }
  | { kind: 'links-faulty' }
  | { kind: 'relays-late' }
  | { kind: 'clocks-skewed' }
  | { kind: 'partition-start'; id: string; plan: PartitionPlan }
  | { kind: 'partition-heal'; id: string }
  | { kind: 'crash'; endpoint: string; downtimeMs: number; afterPersist: boolean; consensusStore: CrashPlan['consensusStore']; rolledBackWrites: number }
  | { kind: 'restart'; endpoint: string }
  | { kind: 'heal' };

export interface ClusterCounters {
  /** Consensus messages delivered. */
  delivered: number;
  /** Data-plane messages (relays, wants, answers) delivered. */
  dataDelivered: number;
  /** Extra copies the network made (delivered or not). */
  duplicated: number;
  dropped: Record<'loss' | 'partition' | 'crashed' | 'undecodable' | 'queue-full', number>;
  commits: number;
  crashes: number;
  restarts: number;
  submitted: number;
  events: number;
}

/** The data plane over a run: the honest validators' stats summed, and what unavailable proposals led to. */
export interface DataPlaneSummary extends DataPlaneStats {
  /** Transactions relayed at admission (by any validator). */
  relaysSent: number;
  /** Distinct proposed blocks that referenced an id nobody disseminated (a Byzantine leader's). */
  unavailableProposals: number;
  /** Those proposed before the heal (where liveness is measured from). */
  unavailableBeforeHeal: number;
  /** Those after which every honest validator committed above the highest height committed when it was proposed. */
  unavailableFollowedByCommits: number;
  /** At the end, the most blocks an honest validator had committed but not executed yet (waiting for bodies). */
  executionLagMax: number;
}

/** Test-only switches of the simulated application, on honest validators, to show the data-availability checkers bite. */
export interface UnsafeSimSwitches {
  /** Vote for a proposal even when some of its bodies are not held. */
  voteWithoutBodies?: boolean;
  /** Keep no copy of the safety record outside the consensus store (node/safety-record-copy.ts). */
  noSafetyRecordCopy?: boolean;
}

export interface ClusterOptions {
  plan: ScenarioPlan;
  unsafeTestSwitches?: UnsafeTestSwitches;
  unsafeSimSwitches?: UnsafeSimSwitches;
  trace?: boolean;
}

export class Cluster implements NodeEnvironment {
  readonly plan: ScenarioPlan;
  readonly genesis: SimGenesis;
  readonly nodes: SimNode[] = [];
  readonly trace: Trace;
  readonly safety: SafetyCheckers;
  readonly liveness: LivenessChecker;
  readonly counters: ClusterCounters = {
    delivered: 0,
    dataDelivered: 0,
    duplicated: 0,
    dropped: { loss: 0, partition: 0, crashed: 0, undecodable: 0, 'queue-full': 0 },
    commits: 0,
    crashes: 0,
    restarts: 0,
    submitted: 0,
    events: 0,
  };
  /** Problems that are not protocol violations but stop the run (a flood, an exception). */
  readonly problems: string[] = [];
  readonly #nodesByEndpoint = new Map<string, SimNode>();
  readonly #behaviours = new Map<string, ByzantineBehaviour>();
  readonly #queue = new EventQueue<SimEvent>(EVENT_QUEUE_SIZE_MAX);
  readonly #network: SimNetwork;
  readonly #workload: Prng;
  /** Draws for late relays only, so that other streams stay as they were. */
  readonly #relayPrng: Prng;
  #lateRelays: ScenarioPlan['lateRelays'] = null;
  readonly #pendingRestartDowntime = new Map<string, number>();
  /** Validators whose consensus store is lost with their crash: emptied just before they restart. */
  /** What happens to each crashed validator's consensus store when it restarts. */
  readonly #storeFaultAtRestart = new Map<string, { fault: 'lost' | 'rolled-back'; writes: number }>();
  /** Each endpoint's clock minus virtual time (scenarios.ts, clockOffsetsMs). */
  readonly #clockOffsetsMs = new Map<string, number>();
  readonly #honestValidators: string[];
  #nowMs = 0;
  #healedAtMs: number | null = null;
  #submissions = 0;
  #relaysSent = 0;
  /** Proposed blocks that referenced undisseminated ids: when, and the height every honest validator must pass afterwards. */
  readonly #unavailable: { atMs: number; targetHeight: number }[] = [];

  constructor(options: ClusterOptions) {
    const plan = options.plan;
    this.plan = plan;
    this.genesis = simGenesis(plan.validators);
    this.trace = new Trace(options.trace === true);
    this.safety = new SafetyCheckers(this.genesis.genesisHash);
    const root = Prng.fromSeed(plan.seed, 'cluster');
    this.#workload = root.fork('workload');
    this.#relayPrng = root.fork('relays');
    const endpoints: Endpoint[] = [];
    for (let index = 0; index < plan.validators; index++) {
      const id = validatorName(index);
      const faultyPosition = plan.faulty.indexOf(index);
      const honest = faultyPosition < 0;
      const behaviourKind = honest ? null : plan.behaviours[faultyPosition]!;
      const instances = behaviourKind === 'twins' ? [id, twinName(index)] : [id];
      for (const endpoint of instances) {
        const config: ConsensusConfig = {
          chainId: this.genesis.chainId,
          genesisHash: this.genesis.genesisHash,
          genesisTime: SIM_GENESIS_TIME_MS,
          validators: this.genesis.validators,
          self: id,
          signingSeed: this.genesis.keys[index]!.seed,
          limits: SIM_LIMITS,
          timings: SIM_TIMINGS,
          // The switch breaks honest validators on purpose; Byzantine ones misbehave through their driver.
          unsafeTestSwitches: honest ? (options.unsafeTestSwitches ?? {}) : {},
        };
        const handOver = plan.handOver;
        const members = this.genesis.validators.validators.map((entry) => ({ id: entry.id, publicKey: entry.publicKeyHex }));
        const validatorIds = this.genesis.validators.validators.map((entry) => entry.id);
        const app = new SimApplication(this.genesis.genesisHash, undefined, handOver === null ? null : { ...handOver, validators: members }, { self: id, validators: validatorIds });
        if (honest && options.unsafeSimSwitches?.voteWithoutBodies === true) app.unsafeVoteWithoutBodies = true;
        const node = new SimNode(endpoint, config, app, honest, this);
        if (honest && options.unsafeSimSwitches?.noSafetyRecordCopy === true) node.disk.keepsSafetyRecordCopy = false;
        this.nodes.push(node);
        this.#nodesByEndpoint.set(endpoint, node);
        this.#clockOffsetsMs.set(endpoint, plan.clockOffsetsMs[index] ?? 0);
        endpoints.push({ endpoint, validator: id });
        if (behaviourKind !== null) {
          this.#behaviours.set(
            endpoint,
            createBehaviour(behaviourKind, {
              self: id,
              colluders: plan.faulty.map(validatorName),
              signingSeed: config.signingSeed,
              chainId: config.chainId,
              genesisHash: config.genesisHash,
              validatorIds: this.genesis.validators.validators.map((entry) => entry.id),
              quorum: this.genesis.validators.quorum,
              prng: root.fork(`byzantine/${endpoint}`),
              app,
              epoch: () => node.core?.status().epoch ?? 0,
              disseminate: (body) => {
                node.app.submit(body);
                this.transmitData(node, validatorIds.filter((other) => other !== id), { kind: 'tx-relay', body }, this.clockOf(node));
                return transactionId(body);
              },
            }),
          );
        }
      }
    }
    this.#honestValidators = this.nodes.filter((node) => node.honest).map((node) => node.validator);
    this.liveness = new LivenessChecker(this.#honestValidators, livenessBoundMs(plan.validators));
    this.#network = new SimNetwork(root.fork('network'), endpoints, plan.calmLinks);
    this.#schedulePlan();
  }

  get nowMs(): number {
    return this.#nowMs;
  }

  get honestValidators(): readonly string[] {
    return this.#honestValidators;
  }

  /** The time on a validator's own clock: what its core is told, and what its timers are set in. */
  clockOf(node: SimNode): number {
    return SIM_GENESIS_TIME_MS + this.#nowMs + (this.#clockOffsetsMs.get(node.endpoint) ?? 0);
  }

  #setClockOffsets(offsets: readonly number[]): void {
    for (const node of this.nodes) {
      const index = this.genesis.validators.get(node.validator)!.index;
      this.#clockOffsetsMs.set(node.endpoint, offsets[index] ?? 0);
    }
  }

  #schedulePlan(): void {
    const plan = this.plan;
    if (plan.faultyLinks !== null) this.#push(plan.faultStartMs, { kind: 'links-faulty' });
    if (plan.lateRelays !== null) this.#push(plan.faultStartMs, { kind: 'relays-late' });
    if (plan.faultyClockOffsetsMs !== null) this.#push(plan.faultStartMs, { kind: 'clocks-skewed' });
    plan.partitions.forEach((partition, index) => {
      const id = `partition-${index}`;
      this.#push(partition.startMs, { kind: 'partition-start', id, plan: partition });
      this.#push(partition.healMs, { kind: 'partition-heal', id });
    });
    for (const crash of plan.crashes) {
      this.#push(crash.atMs, { kind: 'crash', endpoint: crash.endpoint, downtimeMs: crash.downtimeMs, afterPersist: crash.afterPersist, consensusStore: crash.consensusStore, rolledBackWrites: crash.rolledBackWrites });
    }
    this.#push(plan.healMs, { kind: 'heal' });
    this.#push(this.#nextSubmissionGap(), { kind: 'submit' });
  }

  #push(atMs: number, event: SimEvent): boolean {
    return this.#queue.push(Math.max(atMs, this.#nowMs), event);
  }

  /**
   * Runs until liveness is shown and the tail has passed, or the liveness deadline passes.
   * Returns the time the run ended.
   */
  run(): number {
    for (const node of this.nodes) this.#guard(node, () => node.boot(this.clockOf(node)));
    for (;;) {
      const next = this.#queue.pop();
      if (next === undefined) break;
      const deadline = this.liveness.deadlineMs;
      if (deadline !== null && next.timeMs > deadline) {
        this.#nowMs = deadline;
        break;
      }
      this.#nowMs = next.timeMs;
      this.counters.events += 1;
      if (this.counters.events > EVENTS_PER_RUN_MAX) {
        this.problems.push(`t=${this.#nowMs} the run exceeded ${EVENTS_PER_RUN_MAX} events (a message storm?)`);
        break;
      }
      this.#dispatch(next.value);
      if (this.problems.length > 0) break;
      if (this.#healedAtMs !== null && this.liveness.satisfied() && this.#nowMs >= this.#healedAtMs + TAIL_AFTER_HEAL_MS) break;
    }
    return this.#nowMs;
  }

  /** Refusals counted by the honest cores running now (a restart starts its count afresh). */
  /** The lowest validator-set epoch an honest, running validator is in. */
  honestEpochMin(): number {
    const epochs = this.nodes.filter((node) => node.honest && node.core !== null).map((node) => node.core!.status().epoch);
    return epochs.length === 0 ? 0 : Math.min(...epochs);
  }

  honestRejections(): Record<string, number> {
    const total: Record<string, number> = {};
    for (const node of this.nodes) {
      if (!node.honest || node.core === null) continue;
      for (const [reason, count] of Object.entries(node.core.status().rejections)) total[reason] = (total[reason] ?? 0) + count;
    }
    return total;
  }

  committedHeights(): Map<string, number> {
    const heights = new Map<string, number>();
    for (const validator of this.#honestValidators) heights.set(validator, this.safety.committedHeight(validator));
    return heights;
  }

  #dispatch(event: SimEvent): void {
    switch (event.kind) {
      case 'deliver':
        return this.#deliver(event);
      case 'deliver-data':
        return this.#deliverData(event);
      case 'timer': {
        const node = this.#nodesByEndpoint.get(event.endpoint)!;
        return this.#guard(node, () => node.tick(this.clockOf(node), event.token));
      }
      case 'data-timer': {
        const node = this.#nodesByEndpoint.get(event.endpoint)!;
        return this.#guard(node, () => node.dataTick(this.clockOf(node), event.token));
      }
      case 'submit':
        return this.#submit();
      case 'links-faulty':
        this.#network.setConditions(this.plan.faultyLinks!);
        this.trace.add(this.#nowMs, `links ${describeLinks(this.plan.faultyLinks!)}`);
        return;
      case 'relays-late': {
        const late = this.plan.lateRelays!;
        this.#lateRelays = late;
        this.trace.add(this.#nowMs, `relays late: loss ${late.lossProbability}, delay ${late.delayProbability} up to ${late.delayMaximumMs} ms`);
        return;
      }
      case 'clocks-skewed': {
        const offsets = this.plan.faultyClockOffsetsMs!;
        this.#setClockOffsets(offsets);
        const skewed = offsets.map((offset, index) => ({ offset, index })).filter(({ offset, index }) => offset !== this.plan.clockOffsetsMs[index]);
        this.trace.add(this.#nowMs, `clocks ${skewed.map(({ offset, index }) => `${validatorName(index)} ${offset > 0 ? '+' : ''}${offset} ms`).join(', ')}`);
        return;
      }
      case 'partition-start': {
        const partition = event.plan.shape === 'split' ? splitPartition(event.plan.groupA, event.plan.groupB) : oneWayPartition(event.plan.groupA, event.plan.groupB);
        this.#network.addPartition(event.id, partition);
        this.trace.add(this.#nowMs, `partition ${partition.description}`);
        return;
      }
      case 'partition-heal':
        if (this.#network.removePartition(event.id)) this.trace.add(this.#nowMs, `partition healed (${event.id})`);
        return;
      case 'crash':
        return this.#crash(event.endpoint, event.downtimeMs, event.afterPersist, event.consensusStore, event.rolledBackWrites);
      case 'restart':
        return this.#restart(event.endpoint);
      case 'heal':
        return this.#heal();
    }
  }

  #deliver(event: Extract<SimEvent, { kind: 'deliver' }>): void {
    const node = this.#nodesByEndpoint.get(event.endpoint)!;
    const route = `${event.fromEndpoint}->${event.endpoint}`;
    if (!node.running) {
      this.counters.dropped.crashed += 1;
      this.trace.add(this.#nowMs, `drop ${route} (down)`);
      return;
    }
    const decoded = decodeMessageBytes(event.wire);
    if (!decoded.ok) {
      this.counters.dropped.undecodable += 1;
      this.trace.add(this.#nowMs, `drop ${route} (undecodable: ${decoded.reason})`);
      if (this.#nodesByEndpoint.get(event.fromEndpoint)?.honest === true) {
        this.safety.report(this.#nowMs, `codec: a frame from honest ${event.fromEndpoint} did not decode: ${decoded.reason}`);
      }
      return;
    }
    const message = decoded.message;
    this.counters.delivered += 1;
    if (this.trace.enabled) this.trace.add(this.#nowMs, `deliver ${route}${event.duplicate ? ' (copy)' : ''} ${describeMessage(message)}`);
    const behaviour = this.#behaviours.get(node.endpoint);
    if (behaviour !== undefined) {
      for (const outgoing of behaviour.observeIncoming(message)) this.#routeOutgoing(node, outgoing);
    }
    if (message.kind === 'committed-request') {
      // Production drivers answer this from the ledger store; the core keeps only recent blocks.
      const count = Math.min(message.count, node.config.limits.blocksPerResponseMax);
      const ledger = node.app.committedRange(message.fromHeight, committedResponseBlocksMax(count));
      const blocks = committedResponseBlocks(ledger, (height) => node.disk.handOvers.get(height), count);
      this.transmit(node, [event.fromValidator], { kind: 'committed-response', blocks }, this.clockOf(node), 0);
      return;
    }
    this.#guard(node, () => node.step({ kind: 'message', from: event.fromValidator, message, nowMs: this.clockOf(node), epoch: decoded.epoch }));
  }

  #deliverData(event: Extract<SimEvent, { kind: 'deliver-data' }>): void {
    const node = this.#nodesByEndpoint.get(event.endpoint)!;
    const route = `${event.fromEndpoint}->${event.endpoint}`;
    if (!node.running) {
      this.counters.dropped.crashed += 1;
      this.trace.add(this.#nowMs, `drop ${route} (down)`);
      return;
    }
    const decoded = decodeDataMessage(event.wire);
    if (!decoded.ok) {
      this.counters.dropped.undecodable += 1;
      this.trace.add(this.#nowMs, `drop ${route} (undecodable data: ${decoded.reason})`);
      if (this.#nodesByEndpoint.get(event.fromEndpoint)?.honest === true) {
        this.safety.report(this.#nowMs, `codec: a data frame from honest ${event.fromEndpoint} did not decode: ${decoded.reason}`);
      }
      return;
    }
    this.counters.dataDelivered += 1;
    if (this.trace.enabled) this.trace.add(this.#nowMs, `deliver ${route}${event.duplicate ? ' (copy)' : ''} ${describeDataMessage(decoded.message)}`);
    this.#guard(node, () => node.receiveData(event.fromValidator, decoded.message, this.clockOf(node)));
  }

  #submit(): void {
    if (this.#submissions >= WORKLOAD_TRANSACTIONS_MAX) return;
    this.#submissions += 1;
    const running = this.nodes.filter((node) => node.running);
    if (running.length > 0) {
      const node = this.#workload.pick(running);
      const transaction = `tx-${this.plan.seed}-${this.#submissions}`;
      let admitted = false;
      this.#guard(node, () => {
        admitted = node.app.submit(transaction);
        if (!admitted) return;
        // Relayed at admission, before the core hears of it: on a calm FIFO link the body arrives before any proposal naming it.
        const others = this.genesis.validators.validators.map((entry) => entry.id).filter((id) => id !== node.validator);
        this.transmitData(node, others, { kind: 'tx-relay', body: transaction }, this.clockOf(node));
        node.step({ kind: 'transactions-ready', nowMs: this.clockOf(node) });
      });
      if (admitted) this.counters.submitted += 1;
    }
    this.#push(this.#nowMs + this.#nextSubmissionGap(), { kind: 'submit' });
  }

  #nextSubmissionGap(): number {
    return 1 + this.#workload.intBelow(2 * this.plan.workloadGapMeanMs);
  }

  #crash(endpoint: string, downtimeMs: number, afterPersist: boolean, consensusStore: CrashPlan['consensusStore'], rolledBackWrites: number): void {
    const node = this.#nodesByEndpoint.get(endpoint)!;
    if (!node.running || this.#healedAtMs !== null) return;
    if (consensusStore !== 'kept') this.#storeFaultAtRestart.set(endpoint, { fault: consensusStore, writes: rolledBackWrites });
    if (afterPersist) {
      node.armCrashAfterPersist();
      this.#pendingRestartDowntime.set(endpoint, downtimeMs);
      this.trace.add(this.#nowMs, `arm crash-after-persist ${endpoint}`);
      return;
    }
    node.crash();
    this.counters.crashes += 1;
    this.trace.add(this.#nowMs, `crash ${endpoint}`);
    this.#push(this.#nowMs + downtimeMs, { kind: 'restart', endpoint });
  }

  #restart(endpoint: string): void {
    const node = this.#nodesByEndpoint.get(endpoint)!;
    if (node.running) return;
    const storeFault = this.#storeFaultAtRestart.get(endpoint);
    this.#storeFaultAtRestart.delete(endpoint);
    if (storeFault?.fault === 'lost') {
      node.disk.lose();
      this.trace.add(this.#nowMs, `consensus store of ${endpoint} lost`);
    } else if (storeFault?.fault === 'rolled-back') {
      const writes = node.disk.rollBack(storeFault.writes);
      this.trace.add(this.#nowMs, `consensus store of ${endpoint} rolled back ${writes} writes`);
    }
    this.counters.restarts += 1;
    this.trace.add(this.#nowMs, `restart ${endpoint} (disk: ${node.disk.blocks.size} blocks, ledger h${node.app.executedHeight})`);
    if (node.honest) this.safety.observeRestart(node.validator, node.app.executedHeight);
    this.#guard(node, () => node.boot(this.clockOf(node)));
  }

  /** Everything is back: calm links, no partitions, every validator running. Liveness is measured from here. */
  #heal(): void {
    this.#network.heal();
    this.#lateRelays = null;
    if (this.plan.faultyClockOffsetsMs !== null) {
      // The operator fixes NTP: clocks return to within the tolerated skew (a clock set back stands still in the core).
      this.#setClockOffsets(this.plan.clockOffsetsMs);
      this.trace.add(this.#nowMs, 'clocks corrected');
    }
    this.plan.partitions.forEach((_, index) => this.#network.removePartition(`partition-${index}`));
    for (const node of this.nodes) {
      node.disarmCrash();
      if (!node.running) this.#restart(node.endpoint);
    }
    this.#healedAtMs = this.#nowMs;
    this.liveness.mark(this.#nowMs, this.committedHeights());
    this.trace.add(this.#nowMs, `healed: every honest validator must commit h${this.liveness.targetHeight} by t=${this.liveness.deadlineMs}`);
  }

  /** Runs a node's step; an exception from the core is a bug the run reports, not a crash of the simulator. */
  #guard(node: SimNode, action: () => void): void {
    try {
      action();
    } catch (error) {
      const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      this.problems.push(`t=${this.#nowMs} ${node.endpoint} threw ${text}`);
      this.safety.report(this.#nowMs, `exception: ${node.endpoint} threw ${text}`);
    }
  }

  // ---------------------------------------------------------------- NodeEnvironment

  transmit(node: SimNode, recipients: readonly string[], message: ConsensusMessage, _clockMs: number, epoch: number): void {
    const behaviour = this.#behaviours.get(node.endpoint);
    if (behaviour === undefined) {
      if (node.honest) this.#observeSigned(node, message, epoch);
      this.#route(node, recipients, encodeMessageBytes(message, epoch), message);
      return;
    }
    for (const outgoing of behaviour.rewrite(recipients, message)) this.#routeOutgoing(node, outgoing, epoch);
  }

  #routeOutgoing(node: SimNode, outgoing: Outgoing, epoch = node.core?.status().epoch ?? 0): void {
    if ('garbage' in outgoing) this.#route(node, outgoing.recipients, outgoing.garbage, null);
    else this.#route(node, outgoing.recipients, encodeMessageBytes(outgoing.message, epoch), outgoing.message);
  }

  /** A data-plane message from `node`; a relay records its transaction as disseminated. */
  transmitData(node: SimNode, recipients: readonly string[], message: DataMessage, _clockMs: number): void {
    if (message.kind === 'tx-relay') {
      this.#relaysSent += 1;
      this.safety.observeDisseminated(transactionId(message.body));
    }
    this.#route(node, recipients, encodeDataMessage(message), message, 'deliver-data');
  }

  scheduleDataTimer(node: SimNode, atMs: number, token: number): void {
    this.#push(atMs - SIM_GENESIS_TIME_MS - (this.#clockOffsetsMs.get(node.endpoint) ?? 0), { kind: 'data-timer', endpoint: node.endpoint, token });
  }

  /** A proposal on the wire that names an id nobody disseminated: the checkers refuse honest votes and commits for it. */
  #observeProposedBlock(message: ConsensusMessage): void {
    if (message.kind !== 'proposal') return;
    const hash = blockHash(message.block.header);
    if (!this.safety.observeBlockReferences(hash, payloadIds(message.block.payload))) return;
    let highest = 0;
    for (const validator of this.#honestValidators) highest = Math.max(highest, this.safety.committedHeight(validator));
    this.#unavailable.push({ atMs: this.#nowMs, targetHeight: highest + 1 });
  }

  /** The data plane over the run so far. */
  dataPlane(): DataPlaneSummary {
    const total = emptyDataPlaneStats();
    for (const node of this.nodes) {
      if (!node.honest) continue;
      for (const key of Object.keys(total) as (keyof DataPlaneStats)[]) total[key] += node.app.stats[key];
    }
    const heights = [...this.committedHeights().values()];
    const lowest = heights.length === 0 ? 0 : Math.min(...heights);
    let executionLagMax = 0;
    for (const node of this.nodes) {
      if (node.honest) executionLagMax = Math.max(executionLagMax, this.safety.committedHeight(node.validator) - node.app.executedHeight);
    }
    return {
      ...total,
      relaysSent: this.#relaysSent,
      unavailableProposals: this.#unavailable.length,
      unavailableBeforeHeal: this.#unavailable.filter((entry) => entry.atMs < this.plan.healMs).length,
      unavailableFollowedByCommits: this.#unavailable.filter((entry) => lowest >= entry.targetHeight).length,
      executionLagMax,
    };
  }

  #route(node: SimNode, recipients: readonly string[], wire: string | Uint8Array, message: ConsensusMessage | DataMessage | null, kind: 'deliver' | 'deliver-data' = 'deliver'): void {
    if (kind === 'deliver' && message !== null) this.#observeProposedBlock(message as ConsensusMessage);
    const outcomes = this.#network.route(node.endpoint, recipients, this.#nowMs);
    const lateRelays = kind === 'deliver-data' && (message as DataMessage).kind === 'tx-relay' ? this.#lateRelays : null;
    let description: string | null = null;
    for (const raw of outcomes) {
      let outcome: RouteOutcome = raw;
      if (lateRelays !== null && outcome.delivered) {
        // The relay path is slower and lossier than consensus traffic here: bodies come after the proposals naming them, or never.
        if (this.#relayPrng.chance(lateRelays.lossProbability)) outcome = { endpoint: outcome.endpoint, delivered: false, reason: 'loss' };
        else if (this.#relayPrng.chance(lateRelays.delayProbability)) outcome = { ...outcome, atMs: outcome.atMs + this.#relayPrng.intBetween(1, lateRelays.delayMaximumMs) };
      }
      if (outcome.delivered) {
        if (outcome.duplicate) this.counters.duplicated += 1;
        const envelope = { endpoint: outcome.endpoint, fromEndpoint: node.endpoint, fromValidator: node.validator, duplicate: outcome.duplicate };
        // Consensus frames are bytes (the binary frame's body), the data plane's are text.
        const pushed = this.#push(
          outcome.atMs,
          kind === 'deliver'
            ? { kind, ...envelope, wire: typeof wire === 'string' ? new TextEncoder().encode(wire) : wire }
            : { kind, ...envelope, wire: typeof wire === 'string' ? wire : new TextDecoder().decode(wire) },
        );
        if (pushed) continue;
        this.counters.dropped['queue-full'] += 1;
      } else {
        this.counters.dropped[outcome.reason] += 1;
      }
      if (this.trace.enabled) {
        description ??= message === null ? `garbage (${wire.length} bytes)` : kind === 'deliver-data' ? describeDataMessage(message as DataMessage) : describeMessage(message as ConsensusMessage);
        this.trace.add(this.#nowMs, `drop ${node.endpoint}->${outcome.endpoint} (${outcome.delivered ? 'queue full' : outcome.reason}) ${description}`);
      }
    }
  }

  /** Every vote, timeout and proposal an honest validator lets out, for the no-double-signing checker. */
  #observeSigned(node: SimNode, message: ConsensusMessage, epoch: number): void {
    if (message.kind === 'vote' && message.validator === node.validator) {
      this.safety.observeVote(this.#nowMs, node.validator, epoch, message.vote);
    } else if (message.kind === 'timeout' && message.validator === node.validator) {
      this.safety.observeTimeout(this.#nowMs, node.validator, epoch, message.round, certificateRound(message.highQc));
    } else if (message.kind === 'proposal' && message.block.header.proposer === node.validator) {
      const digest = toHex(proposalDigest(blockHash(message.block.header), message.block.payload));
      this.safety.observeProposal(this.#nowMs, node.validator, epoch, message.block.header.round, digest);
    }
  }

  scheduleTimer(node: SimNode, atMs: number, token: number): void {
    this.#push(atMs - SIM_GENESIS_TIME_MS - (this.#clockOffsetsMs.get(node.endpoint) ?? 0), { kind: 'timer', endpoint: node.endpoint, token });
  }

  observePersist(node: SimNode, output: Extract<ConsensusOutput, { kind: 'persist' }>, _clockMs: number): void {
    if (!node.honest) return;
    if (node.disk.blocks.size > DISK_BLOCKS_MAX) {
      this.safety.report(this.#nowMs, `bound: ${node.endpoint} keeps ${node.disk.blocks.size} uncommitted block records on disk (more than ${DISK_BLOCKS_MAX})`);
    }
    const safety = output.safety;
    if (safety === undefined) return;
    // What is persisted was signed, even if a crash keeps it from ever leaving the machine.
    if (safety.lastVote !== null) {
      const { blockHash: hash, height, round } = safety.lastVote;
      this.safety.observeVote(this.#nowMs, node.validator, safety.epoch, { blockHash: hash, height, round });
    }
    if (safety.lastTimeout !== null) this.safety.observeTimeout(this.#nowMs, node.validator, safety.epoch, safety.lastTimeout.round, safety.lastTimeout.highQcRound);
    if (safety.lastProposal !== null) this.safety.observeProposal(this.#nowMs, node.validator, safety.epoch, safety.lastProposal.round, safety.lastProposal.digest);
  }

  observeCommit(node: SimNode, blocks: readonly CommittedBlock[], _clockMs: number): void {
    this.counters.commits += blocks.length;
    if (this.trace.enabled) {
      for (const committed of blocks) {
        const header = committed.block.header;
        this.trace.add(this.#nowMs, `commit ${node.endpoint} h${header.height} ${blockHash(header).slice(0, 8)} r${header.round} txs=${header.txCount}`);
      }
    }
    if (!node.honest) return;
    this.safety.observeCommit(this.#nowMs, node.validator, blocks);
    for (const committed of blocks) {
      const header = committed.block.header;
      this.safety.observeCommittedReferences(this.#nowMs, node.validator, header.height, blockHash(header), payloadIds(committed.block.payload));
    }
    this.liveness.observeHeight(this.#nowMs, node.validator, this.safety.committedHeight(node.validator));
  }

  reportDriverProblem(node: SimNode, problem: string, _clockMs: number): void {
    if (node.honest) this.safety.report(this.#nowMs, `driver: ${node.endpoint}: ${problem}`);
  }

  crashedAfterPersist(node: SimNode, _clockMs: number): void {
    this.counters.crashes += 1;
    this.trace.add(this.#nowMs, `crash-after-persist ${node.endpoint}`);
    const downtime = this.#pendingRestartDowntime.get(node.endpoint) ?? 1000;
    this.#pendingRestartDowntime.delete(node.endpoint);
    this.#push(this.#nowMs + downtime, { kind: 'restart', endpoint: node.endpoint });
  }
}

function describeLinks(links: LinkConditions): string {
  const parts: string[] = [];
  if (links.lossProbability > 0) parts.push(`loss ${links.lossProbability}`);
  if (links.duplicateProbability > 0) parts.push(`duplication ${links.duplicateProbability}`);
  if (links.reorderProbability > 0) parts.push(`reordering ${links.reorderProbability} up to ${links.reorderDelayMaximumMs} ms`);
  return parts.length === 0 ? 'calm' : parts.join(', ');
}
