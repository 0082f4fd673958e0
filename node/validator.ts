/**
 * One validator process: opens its stores, restores consensus from what it persisted, connects
 * to its peers, and serves the HTTP API and the metrics and health endpoints. `stop()` shuts
 * down gracefully: stop accepting requests, finish the block being written, close the stores.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { createServer as createHttpsServer } from 'node:https';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express, { type Router } from 'express';
import { toHex } from '../ledger/encoding/hex.js';
import { readGenesisFile } from '../ledger/files/genesis-file.js';
import { loadKeyFile } from '../ledger/files/key-file.js';
import { blockHash } from '../ledger/model/block.js';
import type { Genesis } from '../ledger/model/genesis.js';
import type { ValidatorSet } from '../ledger/model/validator-set.js';
import { BYTES_PER_MIB } from '../ledger/store/write-buffer.js';
import { BlockStore } from '../ledger/store/block-store.js';
import { ledgerDamageRemedy, storeErrorMessage } from '../ledger/store/open-errors.js';
import { StoreScrub } from '../ledger/store/scrub.js';
import { ConsensusCore, safetyRecordWasLost } from '../consensus/core.js';
import { DEFAULT_LIMITS, DEFAULT_TIMINGS, initialSafetyState } from '../consensus/defaults.js';
import type { CommittedBlock } from '../consensus/messages.js';
import { genesisWrites, loadConsortium } from '../contracts/participants.js';
import { splitHostPort, type NodeConfig } from './config.js';
import { ConsensusStore } from './consensus-store.js';
import { SAFETY_RECORD_COPY_FILE } from './safety-record-copy.js';
import { CONSENSUS_CHANNEL, ConsensusDriver } from './driver.js';
import { blockRoutes } from './http/block-routes.js';
import { answerClientErrorsInJson, errorHandler, notFoundHandler } from './http/errors.js';
import { faultControlRoutes } from './http/fault-control.js';
import { HttpLifecycle } from './http/lifecycle.js';
import { AddressRateLimiter, remoteAddressOf } from './http/rate-limit.js';
import { ConnectionLimiter } from './http/connection-limits.js';
import { admissionRefusal } from '../contracts/admission.js';
import { submissionRoutes } from './http/submission-routes.js';
import { LedgerApplication } from './ledger-application.js';
import { createLogger, type Logger } from './logger.js';
import { Mempool } from './mempool.js';
import { AdmissionControl, DEFAULT_ADMISSION_CONTROL } from './admission-control.js';
import { clockHealth } from './clock-health.js';
import { createMetrics, type Metrics } from './metrics.js';
import { encodePayload } from './payload.js';
import { TRANSACTION_CHANNEL, TransactionService } from './transactions.js';
import { TRANSACTION_BODIES_CHANNEL, TRANSACTION_WANT_CHANNEL } from './transaction-bodies.js';
import { admittedValidators, peerAddressBook, resumedEpoch } from './epochs.js';
import { PeerTransport } from './transport/index.js';
import { StoreScrubber } from './store-scrubber.js';
import { droppedBlocks } from './dropped-blocks.js';
import { chainOrigin } from '../ledger/tlog/checkpoint.js';
import { parseVerifierKey } from '../ledger/tlog/verifier-keys.js';
import { SIGNATURE_TYPE_COSIGNATURE_ED25519 } from '../ledger/tlog/note.js';
import { CHECKPOINT_SIGNATURE_LIMITS, CheckpointSignatures, startsSigningPeriod, TLOG_SIGNATURE_CHANNEL } from './tlog/checkpoint-signatures.js';
import { WitnessPusher, type ConfiguredWitness } from './tlog/witness-pusher.js';

export interface RunningValidator {
  id: string;
  /** Undefined when started with `serveClients: false`. */
  apiUrl: string | undefined;
  metricsUrl: string | undefined;
  p2pPort: number;
  store: BlockStore;
  transport: PeerTransport;
  transactions: TransactionService;
  core: ConsensusCore;
  metrics: Metrics;
  /** A fault for tests and chaos runs: skews the clock the consensus core runs on (faults.clockOffsetMs in the config). */
  setClockOffsetMs(offsetMs: number): void;
  stop(): Promise<void>;
}

/**
 * How long without an executed block before /readyz says the validator is not in sync, beyond
 * what an idle chain's heartbeat explains: an empty block commits about two heartbeats after it
 * is proposed (docs/consensus.md "Idle chains").
 */
const READY_COMMIT_AGE_MS = 30_000;
const READY_HEARTBEATS_ALLOWED = 3;
/** How long requests already running get to finish when the validator stops. */
const SHUTDOWN_REQUEST_GRACE_MS = 5_000;
/** How often unanswered wants for transactions are sent again to the next peer. */
const BODY_RETRY_INTERVAL_MS = 100;
/** Blocks committed but not yet executed that still count as caught up. */
const READY_EXECUTION_LAG_BLOCKS_MAX = 16;
/** Damaged heights logged each once; beyond this many, further ones count in the metrics but are not logged again. */
const DAMAGED_HEIGHTS_LOGGED_MAX = 100;

export class StartupError extends Error {
  override name = 'StartupError';
}

/** What the HTTP layers above the node (api/: queries, proofs, the UI) are given to serve from. */
export interface ValidatorContext {
  config: NodeConfig;
  genesis: Genesis;
  genesisHash: string;
  validators: ValidatorSet;
  store: BlockStore;
  transactions: TransactionService;
  logger: Logger;
  /** The API's requests in flight, for a graceful stop: event streams register with it to be ended. */
  lifecycle: HttpLifecycle;
  /** The C2SP checkpoint the validators sign together, with witnesses' cosignatures (docs/transparency.md). */
  checkpoints: CheckpointSignatures;
  /** Subscribes to executed blocks (for streams); returns the unsubscribe function. */
  onExecuted(listener: (executed: ExecutedBlockNotice) => void): () => void;
  /**
   * Takes WebSocket upgrade requests on the API listener (api/epcis-rest: query subscriptions):
   * the first handler that returns true answers the request; one that none takes is refused.
   */
  onUpgrade(handler: UpgradeHandler): void;
  /** Work to finish on a graceful stop, once the API takes no more requests, before its listener and the stores close. */
  onStop(hook: () => Promise<void>): void;
}

/** Answers an upgrade request and returns true, or returns false to leave it to the next handler. */
export type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer) => boolean;

export interface ExecutedBlockNotice {
  height: number;
  blockHash: string;
  transactionIds: readonly string[];
}

export interface ValidatorOptions {
  logger?: Logger;
  /** Extra API routes (api/ provides the query API and the UI); mounted after the submission routes. */
  routes?: (context: ValidatorContext) => Router;
  /**
   * False: open no API and no metrics listener, so that no client reaches a validator that is not
   * fit to answer yet (`custodia repair` rebuilding its ledger); it still takes part over p2p.
   */
  serveClients?: boolean;
}

export async function startValidator(config: NodeConfig, options: ValidatorOptions = {}): Promise<RunningValidator> {
  const logger = options.logger ?? createLogger(config.validatorId, config.log.level);
  const genesis = await readGenesisFile(config.genesisFile);
  if (!genesis.ok) throw new StartupError(genesis.message);
  if (genesis.genesis.chainId !== config.chainId) {
    throw new StartupError(`config chainId ${config.chainId} differs from genesis chainId ${genesis.genesis.chainId} (${config.genesisFile})`);
  }
  const key = await loadKeyFile(config.keyFile);
  if (!key.ok) throw new StartupError(key.message);
  const witnesses: ConfiguredWitness[] = [];
  for (const witness of config.tlog.witnesses) {
    const parsed = parseVerifierKey(witness.vkey);
    if (!parsed.ok || parsed.verifier.type !== SIGNATURE_TYPE_COSIGNATURE_ED25519) {
      throw new StartupError(`tlog.witnesses: ${witness.vkey} is not a cosignature verifier key (type 0x04)${parsed.ok ? '' : `: ${parsed.message}`}`);
    }
    witnesses.push({ url: witness.url, verifier: parsed.verifier });
  }
  const consortium = loadConsortium(genesis.genesis.consortium);
  if (!consortium.ok) throw new StartupError(`genesis file ${config.genesisFile}: ${consortium.message}`);

  const ledgerDirectory = join(config.dataDir, 'ledger');
  const openStarted = performance.now();
  const opened = await BlockStore.open({
    directory: ledgerDirectory,
    genesis: genesis.genesis,
    genesisWrites: genesisWrites(consortium.consortium),
    validators: genesis.validators,
    stateHeightsKept: config.store.stateHeightsKept,
    writeBufferBytes: config.store.writeBufferMb * BYTES_PER_MIB,
  });
  if (!opened.ok) throw new StartupError(opened.message);
  const store = opened.store;
  // What a restart waits for on a large ledger: the store's open and its tail check (docs/operations.md).
  logger.info({ ledgerStore: ledgerDirectory, height: store.head().height, openMs: Math.round(performance.now() - openStarted) }, 'ledger store opened and its tail checked');
  const consensusDirectory = join(config.dataDir, 'consensus');
  let consensusStore: ConsensusStore;
  let persisted: Awaited<ReturnType<ConsensusStore['load']>>;
  try {
    consensusStore = await ConsensusStore.open(consensusDirectory, join(config.dataDir, SAFETY_RECORD_COPY_FILE));
    persisted = await consensusStore.load();
  } catch (error) {
    await store.close();
    throw new StartupError(storeErrorMessage(error, 'consensus', consensusDirectory));
  }
  const metrics = createMetrics();
  const mempool = new Mempool(config.mempool);

  const dropped = droppedBlocks(store.head().height, consensusStore.executedHeightMark(), store.createdOnOpen);
  if (dropped.kind === 'dropped') {
    metrics.recoveredBlocksDropped.set(dropped.count);
    logger.warn(
      { ledgerHeight: store.head().height, executedHeight: dropped.toHeight, dropped: dropped.count, ledgerStore: ledgerDirectory },
      `LevelDB recovery dropped committed blocks ${dropped.fromHeight}..${dropped.toHeight}; they will be fetched again from peers`,
    );
  } else if (dropped.kind === 'ledger-new') {
    logger.info({ executedHeight: dropped.markHeight, ledgerStore: ledgerDirectory }, `the ledger store is new; blocks 1..${dropped.markHeight}, executed before, will be fetched again from peers`);
  }

  // Damage found by a checked read or by the scrub: named once per height with the remedy, and the validator is not ready.
  const damagedHeightsLogged = new Set<number>();
  store.onDamage((damage) => {
    metrics.storeDamageFound.set(1);
    metrics.storeDamageHeight.set(store.damageFound()?.height ?? damage.height);
    if (damagedHeightsLogged.has(damage.height) || damagedHeightsLogged.size >= DAMAGED_HEIGHTS_LOGGED_MAX) return;
    damagedHeightsLogged.add(damage.height);
    logger.error({ height: damage.height, detail: damage.detail, ledgerStore: ledgerDirectory, remedy: ledgerDamageRemedy(ledgerDirectory) }, `the ledger store is damaged at height ${damage.height}: ${damage.detail}`);
  });
  const scrubber = new StoreScrubber({
    scrub: new StoreScrub({ headHeight: () => store.head().height, checkHeight: (height) => store.checkStoredHeight(height) }),
    blocksPerSecond: config.store.scrubBlocksPerSecond,
    busyPercentMax: config.store.scrubBusyPercentMax,
    logger,
    onStep: (step, durationMs) => {
      if (step.kind === 'idle') return;
      metrics.scrubStepSeconds.observe(durationMs / 1000);
      metrics.scrubHeight.set(step.height);
      if (step.passCompleted) metrics.scrubPasses.inc();
    },
  });

  let lastExecutedAtMs = Date.now();
  const executedListeners = new Set<(executed: ExecutedBlockNotice) => void>();
  // Late-bound: the application calls back into the driver and the transaction service.
  let driver: ConsensusDriver | undefined;
  let transactions: TransactionService | undefined;
  let reachPeers: PeerTransport | undefined;
  // The header time of the last executed block, for the checkpoint signing rule (startsSigningPeriod).
  let parentTimestampMs = (await store.getBlock(store.head().height))?.header.timestamp;
  let quietHeadSigning: NodeJS.Timeout | undefined;
  const checkpoints = new CheckpointSignatures({
    origin: chainOrigin(config.chainId),
    self: { id: config.validatorId, seed: key.key.keyPair.seed, publicKey: key.key.keyPair.publicKey },
    ledger: { head: () => store.head(), currentEpoch: () => store.epochAt(store.head().height + 1), logRoot: (size) => store.logRoot(size) },
    broadcast: (payload) => void reachPeers?.broadcast(TLOG_SIGNATURE_CHANNEL, payload),
    onRefused: (reason) => metrics.messagesRejected.inc({ reason: `tlog-${reason}` }),
  });
  const witnessPusher = new WitnessPusher(witnesses, checkpoints, (oldSize, newSize) => store.consistencyProof(oldSize, newSize), logger);
  checkpoints.onServed(() => witnessPusher.push());
  const application = await LedgerApplication.open({
    store,
    mempool,
    logger,
    blockTransactionsMax: config.consensus.blockTransactionsMax,
    payloadBytesMax: config.consensus.payloadBytesMax,
    peers: {
      send: (to, channel, payload) => {
        if (channel === TRANSACTION_WANT_CHANNEL) metrics.bodiesWanted.inc();
        void reachPeers?.send(to, channel, payload);
      },
      list: () => reachPeers?.connectedPeers() ?? [],
    },
    onTransactionsArrived: () => driver?.transactionsArrived(),
    onBodyRefused: (reason) => metrics.messagesRejected.inc({ reason: `bodies-${reason}` }),
    onProposalHeld: (verdict) => metrics.proposalsHeld.inc({ verdict }),
    onExecuted: ({ state, committed, payload, results, seconds, committedAtMs }) => {
      metrics.height.set(state.height);
      metrics.commits.inc();
      metrics.executionSeconds.observe(seconds);
      metrics.blockTransactions.observe(payload.ids.length);
      const proposedAtMs = committed.block.header.timestamp;
      metrics.blockCommitSeconds.observe(Math.max(0, committedAtMs - proposedAtMs) / 1000);
      for (const result of results) metrics.transactions.inc({ result: result.status === 'accepted' ? 'accepted' : result.code });
      lastExecutedAtMs = Date.now();
      metrics.mempoolSize.set(mempool.size);
      metrics.mempoolBytes.set(mempool.sizeBytes);
      transactions?.executed({ height: state.height, blockHash: state.blockHash, ids: payload.ids, results }, (seconds, submittedAtMs) => {
        metrics.commitLatencySeconds.observe(seconds);
        observeCommitStages(metrics, { submittedAtMs, proposedAtMs, committedAtMs, executedAtMs: submittedAtMs + seconds * 1000 });
      });
      for (const listener of executedListeners) listener({ height: state.height, blockHash: state.blockHash, transactionIds: payload.ids });
      driver?.ledgerAdvanced(state.height);
      const timestampMs = committed.block.header.timestamp;
      const signs = startsSigningPeriod(parentTimestampMs, timestampMs);
      parentTimestampMs = timestampMs;
      quietHeadSigning?.refresh();
      void checkpoints.headAdvanced(signs).catch((error: unknown) => logger.warn({ error }, 'signing the checkpoint failed'));
      // The application replaces its scheduled change only when a block's writes name one.
      if (application.scheduledValidatorSet() !== admittedForScheduled) refreshPeers();
    },
  });

  // Whom this validator is in the set it resumes in, if anyone: a validator with an empty ledger
  // that governance is about to add follows the chain as an observer until its epoch begins.
  const resumed = await resumedEpoch(store);
  let currentMembers = resumed.members;
  const member = currentMembers.find((validator) => validator.id === config.validatorId);
  const ownKey = toHex(key.key.keyPair.publicKey);
  if (member !== undefined && member.publicKey !== ownKey) {
    throw new StartupError(`keyFile ${config.keyFile} holds key ${ownKey}, but the validator set registers ${member.publicKey} for ${config.validatorId}`);
  }
  if (member === undefined) logger.warn({ validatorId: config.validatorId, height: store.head().height }, 'not in the current validator set: following the chain as an observer');

  const head = store.head();
  let committed: CommittedBlock | null = null;
  if (head.height > 0) {
    const [block, certificate] = await Promise.all([store.getBlock(head.height), store.getCertificate(head.height)]);
    if (block === undefined || certificate === undefined) throw new StartupError(`the store lacks block ${head.height} or its certificate`);
    committed = { block: { header: block.header, payload: encodePayload(block.transactions) }, certificate };
    if (blockHash(block.header) !== head.blockHash) throw new StartupError(`the store's head block ${head.height} does not match its recorded hash`);
  }
  const safetyRecordLost = safetyRecordWasLost({ safety: persisted.safety, ledgerHeight: head.height, blocks: persisted.blocks, highQc: persisted.highQc, highTc: persisted.highTc });
  const core = ConsensusCore.create(
    {
      chainId: config.chainId,
      genesisHash: genesis.hash,
      genesisTime: genesis.genesis.genesisTime,
      validators: genesis.validators,
      ...(resumed.config === undefined ? {} : { epoch: resumed.config }),
      self: config.validatorId,
      signingSeed: key.key.keyPair.seed,
      limits: { ...DEFAULT_LIMITS, payloadBytesMax: config.consensus.payloadBytesMax },
      timings: {
        ...DEFAULT_TIMINGS,
        roundTimeoutBaseMs: config.consensus.roundTimeoutBaseMs,
        roundTimeoutMaxMs: config.consensus.roundTimeoutMaxMs,
        idleProposalDelayMs: config.consensus.idleProposalDelayMs,
        timestampLagMaxMs: config.consensus.timestampLagMaxMs,
      },
    },
    application,
    {
      safety: persisted.safety ?? initialSafetyState(),
      blocks: persisted.blocks,
      highQc: persisted.highQc,
      highTc: persisted.highTc,
      committed,
      safetyRecordLost,
    },
  );
  if (safetyRecordLost) {
    logger.warn(
      { ledgerHeight: head.height, consensusStore: join(config.dataDir, 'consensus') },
      'the consensus store holds no safety record although this validator ran before (lost or removed): signing nothing until a quorum of peers shows the network round',
    );
  }
  if (persisted.storeSafetyBehindCopy !== undefined) {
    const stored = persisted.storeSafetyBehindCopy.stored;
    metrics.safetyRecordStoreBehind.set(1);
    logger.warn(
      {
        stored: stored === undefined ? null : { lastVotedRound: stored.lastVotedRound, lockedRound: stored.lockedRound, highestTimeoutRound: stored.highestTimeoutRound },
        copy: { lastVotedRound: persisted.safety!.lastVotedRound, lockedRound: persisted.safety!.lockedRound, highestTimeoutRound: persisted.safety!.highestTimeoutRound },
        consensusStore: consensusDirectory,
      },
      stored === undefined
        ? `the consensus store holds no safety record (lost or removed): resuming from the copy in ${SAFETY_RECORD_COPY_FILE}`
        : `the consensus store lost writes (its safety record is behind the copy in ${SAFETY_RECORD_COPY_FILE}): resuming from the copy, so no round is signed twice`,
    );
  }
  if (core.safetyRaisedFrom !== undefined) {
    const from = core.safetyRaisedFrom;
    const to = core.safetyState;
    // The lock alone trails the highest QC after any restart (it moves only when voting): not worth a warning.
    const signedRoundsRaised = to.lastVotedRound > from.lastVotedRound || to.highestTimeoutRound > from.highestTimeoutRound;
    logger[signedRoundsRaised ? 'warn' : 'info'](
      { from: { lastVotedRound: from.lastVotedRound, lockedRound: from.lockedRound, highestTimeoutRound: from.highestTimeoutRound }, to: { lastVotedRound: to.lastVotedRound, lockedRound: to.lockedRound, highestTimeoutRound: to.highestTimeoutRound } },
      'the stored safety state was behind the certificates this validator holds (a consensus store rolled back?): raised before signing anything',
    );
  }

  const p2p = splitHostPort(config.p2p.listen);
  const peerTls = config.p2p.tls === undefined ? undefined : await readTls(config.p2p.tls);
  const admitted = () => admittedValidators(currentMembers, application.scheduledValidatorSet());
  const addressBook = (validators: ValidatorSet) =>
    peerAddressBook(config.peers, validators, [...currentMembers, ...(application.scheduledValidatorSet()?.validators ?? [])], config.validatorId);
  const initiallyAdmitted = admitted();
  const transport = new PeerTransport({
    chainId: config.chainId,
    self: { id: config.validatorId, seed: key.key.keyPair.seed },
    validators: initiallyAdmitted,
    listen: p2p,
    peers: addressBook(initiallyAdmitted),
    ...(peerTls === undefined ? {} : { tls: peerTls }),
    binaryChannels: [CONSENSUS_CHANNEL],
    logger,
  });
  if (config.faults.clockOffsetMs !== 0) {
    logger.warn({ clockOffsetMs: config.faults.clockOffsetMs }, 'FAULT INJECTED: the consensus clock is skewed by faults.clockOffsetMs (a test and chaos setting, never for production)');
  }
  if (config.p2p.simulatedLatency !== undefined) {
    transport.faults.simulateLatency(config.p2p.simulatedLatency.delayMs, config.p2p.simulatedLatency.jitterMs);
    logger.warn(config.p2p.simulatedLatency, 'simulating wide-area latency on every peer link (a benchmark setting)');
  }
  let admittedKey = admissionKey(initiallyAdmitted);
  let admittedForScheduled = application.scheduledValidatorSet();
  function refreshPeers(): void {
    admittedForScheduled = application.scheduledValidatorSet();
    const validators = admitted();
    const key = admissionKey(validators);
    if (key === admittedKey) return;
    admittedKey = key;
    logger.info({ admitted: validators.validators.map((validator) => validator.id) }, 'peer admission follows the validator set');
    transport.setValidators(validators);
    transport.setPeers(addressBook(validators));
  }
  driver = new ConsensusDriver({
    core,
    consensusStore,
    store,
    application,
    transport,
    logger,
    metrics,
    clockOffsetMs: config.faults.clockOffsetMs,
    beforeProposal: () => transactions?.flushRelay(),
    onEpoch: (epoch) => {
      // Governance removed this validator: it keeps following the chain (serving reads and proofs) but signs nothing.
      if (!epoch.member) logger.warn({ epoch: epoch.number }, 'this validator is not in the new validator set: it follows the chain as an observer and signs nothing');
      currentMembers = epoch.validators;
      refreshPeers();
    },
  });
  transactions = new TransactionService({
    chainId: config.chainId,
    store,
    mempool,
    verified: application.verified,
    relay: (channel, payload) => transport.broadcast(channel, payload),
    transactionsReady: (admitted) => {
      application.bodies.offer(admitted.reference);
      driver!.transactionsReady();
    },
    admission: (transaction) => admissionRefusal(transaction, application.participants.lookup),
    documents: application.documents,
    onRelayRefused: (reason) => metrics.relayRefused.inc({ reason }),
    admissionControl: new AdmissionControl({ ...config.admission, pendingCeiling: config.mempool.transactionsMax, rateSampleMs: DEFAULT_ADMISSION_CONTROL.rateSampleMs }, Date.now()),
    onSubmissionRefused: (reason) => metrics.submissionsRefused.inc({ reason }),
  });
  const transactionService = transactions;
  const consensusDriver = driver;
  reachPeers = transport;
  // Consensus travels in binary frames; the transport refuses text frames on its channel.
  transport.onBytes((from, channel, bytes) => {
    if (channel === CONSENSUS_CHANNEL) consensusDriver.receiveFrame(from, bytes);
  });
  transport.onFrame((from, channel, payload) => {
    if (channel === TRANSACTION_CHANNEL) void transactionService.receiveRelayed(payload);
    else if (channel === TRANSACTION_WANT_CHANNEL) void application.bodies.answer(from, payload).catch((error: unknown) => logger.warn({ error, from }, 'answering a want for transactions failed'));
    else if (channel === TRANSACTION_BODIES_CHANNEL) application.bodies.receiveAnswer(payload);
    else if (channel === TLOG_SIGNATURE_CHANNEL) void checkpoints.receive(from, payload).catch((error: unknown) => logger.warn({ error, from }, 'a checkpoint signature could not be checked'));
    else metrics.messagesRejected.inc({ reason: 'unknown-channel' });
  });
  application.restoreBodies(persisted.bodies);
  const bodyRetries = setInterval(() => application.bodies.tick(Date.now()), BODY_RETRY_INTERVAL_MS);
  bodyRetries.unref();
  await consensusDriver.start();
  await transport.start();
  scrubber.start();
  await checkpoints.headAdvanced();
  const checkpointRepeats = setInterval(() => checkpoints.repeat(), CHECKPOINT_SIGNATURE_LIMITS.repeatIntervalMs);
  checkpointRepeats.unref();
  // Re-armed by every executed block: it fires once the head has stayed put for a signing period.
  quietHeadSigning = setTimeout(() => void checkpoints.headAdvanced().catch((error: unknown) => logger.warn({ error }, 'signing the checkpoint failed')), CHECKPOINT_SIGNATURE_LIMITS.signPeriodMs);
  quietHeadSigning.unref();

  const lifecycle = new HttpLifecycle();
  const upgradeHandlers: UpgradeHandler[] = [];
  const stopHooks: Array<() => Promise<void>> = [];
  const api = express();
  api.disable('x-powered-by');
  const connectionLimiter = new ConnectionLimiter(config.api.connections);
  api.use(connectionLimiter.middleware);
  api.use(lifecycle.middleware);
  const rateLimiter = new AddressRateLimiter(config.api.rateLimit);
  api.use(rateLimiter.middleware);
  api.use(submissionRoutes({ transactions: transactionService, store, bodyBytesMax: config.api.bodyBytesMax }));
  api.use(blockRoutes(store));
  if (options.routes !== undefined) {
    api.use(
      options.routes({
        config,
        genesis: genesis.genesis,
        genesisHash: genesis.hash,
        validators: genesis.validators,
        store,
        transactions: transactionService,
        logger,
        lifecycle,
        checkpoints,
        onExecuted: (listener) => {
          executedListeners.add(listener);
          return () => executedListeners.delete(listener);
        },
        onUpgrade: (handler) => void upgradeHandlers.push(handler),
        onStop: (hook) => void stopHooks.push(hook),
      }),
    );
  }
  api.use(notFoundHandler);
  api.use(errorHandler((error) => logger.error({ error }, 'request failed')));
  const apiTls = config.api.tls === undefined ? undefined : await readTls(config.api.tls);
  const apiServer = apiTls === undefined ? createHttpServer(api) : createHttpsServer({ cert: apiTls.cert, key: apiTls.key }, api);
  const apiAddress = splitHostPort(config.api.listen);
  answerClientErrorsInJson(apiServer);
  connectionLimiter.attach(apiServer, { tls: apiTls !== undefined });
  apiServer.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (status: string, code: string, message: string, headers = '') => {
      const body = JSON.stringify({ code, message, path: '' });
      socket.end(`HTTP/1.1 ${status}\r\n${headers}Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    };
    if (connectionLimiter.isRefused(socket)) {
      const refusal = connectionLimiter.refusal();
      return refuse('503 Service Unavailable', refusal.code, refusal.message, 'Retry-After: 1\r\n');
    }
    // Upgrades count against the same per-address budget as requests: each costs a credential check.
    if (!rateLimiter.admit(remoteAddressOf(request))) return refuse('429 Too Many Requests', 'rate-limited', 'too many requests from this address; slow down', 'Retry-After: 1\r\n');
    if (lifecycle.stopping) return refuse('503 Service Unavailable', 'stopping', 'this validator is shutting down; use another', 'Retry-After: 5\r\n');
    if (upgradeHandlers.some((handler) => handler(request, socket, head))) return;
    refuse('404 Not Found', 'no-such-route', 'no WebSocket is served at this path');
  });
  const serveClients = options.serveClients ?? true;
  if (serveClients) await listen(apiServer, apiAddress.host, apiAddress.port);

  const monitoring = express();
  monitoring.get('/metrics', async (_request, response) => {
    metrics.peers.set(transport.connectedPeers().length);
    const status = core.status();
    for (const [reason, count] of Object.entries(status.rejections)) metrics.consensusRejections.set({ reason }, count);
    // Peers that left the set drop out of the status: their series go with them.
    metrics.peerClockOffset.reset();
    for (const [peer, offsetMs] of Object.entries(status.clockOffsetsMs)) metrics.peerClockOffset.set({ peer }, offsetMs / 1000);
    if (status.clockOffsetMs === null) metrics.clockOffset.reset();
    else metrics.clockOffset.set(status.clockOffsetMs / 1000);
    const admission = transactionService.admissionStatus();
    if (admission !== undefined) {
      metrics.admissionPendingLimit.set(admission.pendingLimit);
      metrics.admissionCommitRate.set(admission.commitRatePerS);
    }
    response.setHeader('Content-Type', metrics.registry.contentType);
    response.send(await metrics.registry.metrics());
  });
  monitoring.get('/healthz', (_request, response) => void response.json({ status: 'alive' }));
  // Ready: connected to a quorum, execution caught up with consensus, and a block executed
  // recently (an idle chain still commits a heartbeat block every idleProposalDelayMs or so).
  monitoring.get('/readyz', (_request, response) => {
    const connected = transport.connectedPeers().length;
    const status = core.status();
    const executedHeight = store.head().height;
    const quorum = store.epochAt(store.head().height + 1).validators.quorum;
    const quorumConnected = connected + 1 >= quorum;
    const executionCaughtUp = status.committedHeight - executedHeight <= READY_EXECUTION_LAG_BLOCKS_MAX;
    const recentlyCommitted = Date.now() - lastExecutedAtMs < READY_COMMIT_AGE_MS + READY_HEARTBEATS_ALLOWED * config.consensus.idleProposalDelayMs;
    // A validator holding its signatures after a lost safety record cannot take part in a quorum yet.
    const signing = status.safetyRecovery === null;
    // Nor one whose clock makes it refuse honest proposals (or its own be refused): node/clock-health.ts.
    const clock = clockHealth(status, DEFAULT_TIMINGS.clockSkewMaxMs);
    // A validator whose store gave back damaged records must not be chosen to serve or to catch others up.
    const damage = store.damageFound();
    const storeIntact = damage === undefined;
    const ready = quorumConnected && executionCaughtUp && recentlyCommitted && signing && clock.ok && storeIntact;
    response.status(ready ? 200 : 503).json({
      ready,
      quorumConnected,
      executionCaughtUp,
      recentlyCommitted,
      signing,
      storeIntact,
      ...(status.safetyRecovery === null ? {} : { safetyRecovery: { reason: 'safety-record-lost', ...status.safetyRecovery } }),
      clock: clock.ok ? { ok: true, offsetMs: clock.offsetMs } : { ok: false, reason: clock.reason, offsetMs: clock.offsetMs },
      ...(damage === undefined ? {} : { storeDamage: { height: damage.height, detail: damage.detail } }),
      connectedPeers: connected,
      quorum,
      epoch: status.epoch,
      member: status.member,
      height: executedHeight,
      round: status.round,
    });
  });
  if (config.faults.control) {
    logger.warn('FAULT CONTROL ON: POST /faults on the metrics listener can cut this validator off from its peers or skew its clock (a chaos-test setting, never for production)');
    monitoring.use(
      faultControlRoutes({
        faults: transport.faults,
        peers: () => admitted().validators.map((validator) => validator.id).filter((id) => id !== config.validatorId),
        setClockOffsetMs: (offsetMs) => consensusDriver.setClockOffsetMs(offsetMs),
        clockOffsetMs: config.faults.clockOffsetMs,
      }),
    );
  }
  monitoring.use(notFoundHandler);
  monitoring.use(errorHandler((error) => logger.error({ error }, 'metrics request failed')));
  const metricsServer = createHttpServer(monitoring);
  answerClientErrorsInJson(metricsServer);
  const metricsAddress = splitHostPort(config.metrics.listen);
  if (serveClients) await listen(metricsServer, metricsAddress.host, metricsAddress.port);

  logger.info(
    serveClients ? { api: config.api.listen, p2p: config.p2p.listen, metrics: config.metrics.listen, height: store.head().height } : { p2p: config.p2p.listen, height: store.head().height, clients: 'not served' },
    'validator started',
  );

  let stopping: Promise<void> | undefined;
  return {
    id: config.validatorId,
    apiUrl: serveClients ? `${apiTls === undefined ? 'http' : 'https'}://${apiAddress.host}:${(apiServer.address() as AddressInfo).port}` : undefined,
    metricsUrl: serveClients ? `http://${metricsAddress.host}:${(metricsServer.address() as AddressInfo).port}` : undefined,
    p2pPort: transport.port,
    store,
    transport,
    transactions: transactionService,
    core,
    metrics,
    setClockOffsetMs: (offsetMs) => {
      logger.warn({ clockOffsetMs: offsetMs }, 'FAULT INJECTED: the consensus clock skew is set at runtime (a test and chaos setting, never for production)');
      consensusDriver.setClockOffsetMs(offsetMs);
    },
    stop: () =>
      (stopping ??= (async () => {
        logger.info({ waiting: transactionService.waiting, inFlight: lifecycle.inFlight }, 'stopping');
        // Intake first: waiting clients are answered and new requests refused, then the
        // requests still running finish before anything they read from is closed.
        transactionService.stop();
        await lifecycle.stop(SHUTDOWN_REQUEST_GRACE_MS);
        // Upgraded sockets (WebSockets) keep a server from closing: their owners end them first.
        for (const hook of stopHooks) await hook().catch((error: unknown) => logger.error({ error }, 'a stop hook failed'));
        if (serveClients) await Promise.all([close(apiServer), close(metricsServer)]);
        // The scrub's height in progress finishes before the store it reads is closed.
        await scrubber.stop();
        await consensusDriver.stop();
        clearInterval(bodyRetries);
        clearInterval(checkpointRepeats);
        clearTimeout(quietHeadSigning);
        witnessPusher.stop();
        application.stop();
        await transport.stop();
        await application.drained().catch(() => undefined);
        await consensusStore.close();
        await store.close();
        logger.info('stopped');
      })()),
  };
}

/**
 * Where a transaction submitted here spent its time (custodia_commit_stage_seconds). The block's
 * timestamp is its leader's clock, never below its parent's: a stage that clock skew or a late
 * stamp would make negative counts as zero.
 */
function observeCommitStages(metrics: Metrics, at: { submittedAtMs: number; proposedAtMs: number; committedAtMs: number; executedAtMs: number }): void {
  const seconds = (fromMs: number, toMs: number) => Math.max(0, toMs - fromMs) / 1000;
  metrics.commitStageSeconds.observe({ stage: 'admitted-to-proposed' }, seconds(at.submittedAtMs, at.proposedAtMs));
  metrics.commitStageSeconds.observe({ stage: 'proposed-to-committed' }, seconds(Math.max(at.submittedAtMs, at.proposedAtMs), at.committedAtMs));
  metrics.commitStageSeconds.observe({ stage: 'committed-to-executed' }, seconds(at.committedAtMs, at.executedAtMs));
  metrics.commitStageSeconds.observe({ stage: 'admitted-to-executed' }, seconds(at.submittedAtMs, at.executedAtMs));
}

/** Ids and keys of a set, to tell whether admission changed. */
function admissionKey(validators: ValidatorSet): string {
  return validators.validators.map((validator) => `${validator.id}:${validator.publicKeyHex}`).join(',');
}

async function readTls(files: { certFile: string; keyFile: string; caFile?: string | undefined }): Promise<{ cert: string; key: string; ca?: string }> {
  const [cert, key, ca] = await Promise.all([readFile(files.certFile, 'utf8'), readFile(files.keyFile, 'utf8'), files.caFile === undefined ? undefined : readFile(files.caFile, 'utf8')]);
  return ca === undefined ? { cert, key } : { cert, key, ca };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
