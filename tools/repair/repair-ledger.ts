/**
 * What `custodia repair` does (issue 13; docs/operations.md, "Damage and repair"): rebuild a
 * stopped validator's ledger from its peers, keeping its safety state.
 *
 * 1. Hold the consensus store's LevelDB lock for the whole check and move: it fails while the
 *    validator runs (LEVEL_LOCKED), and no validator can start on this folder meanwhile. A data
 *    folder without a consensus store is refused: with neither store the validator would look
 *    new and could sign twice (docs/consensus.md section 3).
 * 2. Check the ledger as `custodia verify` does, on a private read copy, and report the damage.
 *    A healthy ledger is left alone unless forced.
 * 3. Move ledger/ to ledger.damaged-<UTC time> beside it (never deleted: the operator removes it);
 *    consensus/ stays where it is, untouched by the move.
 * 4. Start the validator itself with its own config, serving no clients: it authenticates to its
 *    peers with its own key, fetches the chain over the catch-up protocol, checks each certificate
 *    under its epoch and re-executes each block. It is done when its ledger has reached the highest
 *    committed height its peers stated (the core's peersCommittedHeight) and stayed there for a
 *    quiet period; then it is stopped gracefully and the rebuilt ledger is checked from genesis.
 *
 * While it rebuilds, the validator takes part in consensus like any other start: its safety state
 * only moves forward.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readGenesisFile } from '../../ledger/files/genesis-file.js';
import { describeStoreError } from '../../ledger/store/open-errors.js';
import { checkStoredLedger, type StoredLedgerCheck } from '../../ledger/verify/check-stored-ledger.js';
import type { LedgerSummary } from '../../ledger/verify/verify-ledger.js';
import type { NodeConfig } from '../../node/config.js';
import { ConsensusStore } from '../../node/consensus-store.js';
import { createLogger } from '../../node/logger.js';
import { startValidator, StartupError, type RunningValidator } from '../../node/validator.js';

/** How long the rebuilt ledger must stay at the peers' committed height before the repair ends. */
export const REPAIR_QUIET_MS = 2_000;
/** How often the rebuild's progress is sampled. */
const REPAIR_POLL_INTERVAL_MS = 250;
/** How long to wait for a first peer connection before saying that no peer is reachable. */
export const REPAIR_PEER_WAIT_MS = 30_000;

export interface RepairOptions {
  /** Rebuild even a ledger that checks healthy. */
  force: boolean;
  /** The longest the rebuild may take before the repair gives up. */
  timeoutMs: number;
  onPhase?: (message: string) => void;
  onProgress?: (height: number, target: number | null) => void;
}

export type RepairOutcome =
  /** Nothing was changed. */
  | { kind: 'refused'; message: string }
  | { kind: 'healthy'; height: number }
  | { kind: 'repaired'; damage: string | null; movedTo: string | null; height: number; summary: LedgerSummary; logFile: string }
  /** The ledger was moved aside and not restored: `movedTo` says where it is. */
  | { kind: 'failed'; damage: string | null; movedTo: string | null; height: number; message: string; logFile: string };

export async function repairLedger(config: NodeConfig, options: RepairOptions): Promise<RepairOutcome> {
  const genesis = await readGenesisFile(config.genesisFile);
  if (!genesis.ok) return { kind: 'refused', message: genesis.message };
  const ledgerDirectory = join(config.dataDir, 'ledger');
  const consensusDirectory = join(config.dataDir, 'consensus');

  const held = await holdConsensusStore(consensusDirectory);
  if (!held.ok) return { kind: 'refused', message: held.message };
  let movedTo: string | null = null;
  let damage: string | null;
  const stamp = utcStamp(new Date());
  try {
    const check = (await exists(ledgerDirectory))
      ? await checkStoredLedger({ directory: ledgerDirectory, genesis: genesis.genesis, genesisHash: genesis.hash, genesisSource: config.genesisFile, validators: genesis.validators })
      : undefined;
    const found = damageFound(check, ledgerDirectory);
    if (found.kind === 'refused') return found;
    if (found.kind === 'healthy' && !options.force) return found;
    damage = found.kind === 'damaged' ? found.damage : null;
    options.onPhase?.(damage === null ? `the ledger is healthy at height ${found.kind === 'healthy' ? found.height : 0}; rebuilding it anyway (--force)` : `damage found: ${damage}`);
    if (check !== undefined) {
      const aside = join(config.dataDir, `ledger.damaged-${stamp}`);
      if (await exists(aside)) return { kind: 'refused', message: `${aside} exists already: remove or rename it and run repair again` };
      await rename(ledgerDirectory, aside);
      movedTo = aside;
      options.onPhase?.(`moved ${ledgerDirectory} to ${aside} (kept for inspection; remove it once the repair is done)`);
    }
  } finally {
    await held.store.close();
  }

  const logFile = join(config.dataDir, `repair-${stamp}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  try {
    const rebuilt = await rebuild(config, options, log, logFile);
    if (!rebuilt.ok) return { kind: 'failed', damage, movedTo, height: rebuilt.height, message: `${rebuilt.message}. ${whereThingsAre(movedTo, ledgerDirectory)}`, logFile };
    options.onPhase?.(`rebuilt to height ${rebuilt.height}; checking the rebuilt ledger from genesis`);
    const recheck = await checkStoredLedger({ directory: ledgerDirectory, genesis: genesis.genesis, genesisHash: genesis.hash, genesisSource: config.genesisFile, validators: genesis.validators });
    if (recheck.kind === 'checked' && recheck.verification.ok) {
      return { kind: 'repaired', damage, movedTo, height: recheck.verification.height, summary: recheck.verification, logFile };
    }
    const why = recheck.kind !== 'checked' ? recheck.message : recheck.verification.ok ? '' : `at height ${recheck.verification.height}: ${recheck.verification.message}`;
    return { kind: 'failed', damage, movedTo, height: rebuilt.height, message: `the rebuilt ledger failed verification ${why}. ${whereThingsAre(movedTo, ledgerDirectory)}`, logFile };
  } finally {
    await new Promise((resolve) => log.end(resolve));
  }
}

type Damage = { kind: 'healthy'; height: number } | { kind: 'damaged'; damage: string } | { kind: 'refused'; message: string };

function damageFound(check: StoredLedgerCheck | undefined, ledgerDirectory: string): Damage {
  if (check === undefined) return { kind: 'damaged', damage: `there is no ledger store at ${ledgerDirectory}` };
  switch (check.kind) {
    case 'other-chain':
      // A wrong genesis file in the config, or another chain's folder: rebuilding would replace a ledger that may be fine.
      return { kind: 'refused', message: `${check.message}: check the config's genesisFile; nothing was changed` };
    case 'unusable':
      if (check.fault === 'unreadable') return { kind: 'refused', message: `${check.message}; nothing was changed` };
      return { kind: 'damaged', damage: check.message };
    case 'checked':
      return check.verification.ok ? { kind: 'healthy', height: check.verification.height } : { kind: 'damaged', damage: `at height ${check.verification.height}: ${check.verification.message}` };
  }
}

/** Opens consensus/ and keeps it open: its LevelDB lock keeps the validator from starting while the ledger is checked and moved. */
async function holdConsensusStore(directory: string): Promise<{ ok: true; store: ConsensusStore } | { ok: false; message: string }> {
  if (!(await exists(join(directory, 'CURRENT')))) {
    return {
      ok: false,
      message:
        `there is no consensus store at ${directory}: without it and its ledger this validator would look new and could sign twice, ` +
        'so repair rebuilds a ledger only beside its consensus store (docs/operations.md, "Damage and repair"); nothing was changed',
    };
  }
  try {
    return { ok: true, store: await ConsensusStore.open(directory) };
  } catch (error) {
    const described = describeStoreError(error, 'consensus', directory);
    if (described.fault === 'locked') {
      return { ok: false, message: `the validator is running (${directory} is locked by another process: ${described.cause}): stop it first; nothing was changed` };
    }
    return { ok: false, message: `the consensus store at ${directory} cannot be opened: ${described.cause}. Repair rebuilds only the ledger; ${described.remedy}. Nothing was changed` };
  }
}

type Rebuilt = { ok: true; height: number } | { ok: false; height: number; message: string };

async function rebuild(config: NodeConfig, options: RepairOptions, log: WriteStream, logFile: string): Promise<Rebuilt> {
  const logger = createLogger(config.validatorId, config.log.level, log);
  options.onPhase?.(`starting ${config.validatorId} without its API to fetch the chain from its peers (${config.peers.map((peer) => peer.id).join(', ')}); its log: ${logFile}`);
  let validator: RunningValidator;
  try {
    validator = await startValidator(config, { logger, serveClients: false });
  } catch (error) {
    return { ok: false, height: 0, message: `the validator did not start: ${error instanceof StartupError ? error.message : (error as Error).message}` };
  }
  try {
    return await waitUntilCaughtUp(validator, options, config);
  } finally {
    await validator.stop();
  }
}

async function waitUntilCaughtUp(validator: RunningValidator, options: RepairOptions, config: NodeConfig): Promise<Rebuilt> {
  const startedAtMs = Date.now();
  const peerDeadlineMs = startedAtMs + Math.min(options.timeoutMs, REPAIR_PEER_WAIT_MS);
  const deadlineMs = startedAtMs + options.timeoutMs;
  let peerSeen = false;
  let caughtUpSinceMs: number | undefined;
  for (;;) {
    const nowMs = Date.now();
    const height = validator.store.head().height;
    const target = validator.core.status().peersCommittedHeight;
    peerSeen ||= validator.transport.connectedPeers().length > 0;
    options.onProgress?.(height, target);
    if (target !== null && height >= target) {
      caughtUpSinceMs ??= nowMs;
      if (nowMs - caughtUpSinceMs >= REPAIR_QUIET_MS) return { ok: true, height };
    } else {
      caughtUpSinceMs = undefined;
    }
    if (!peerSeen && nowMs >= peerDeadlineMs) {
      return { ok: false, height, message: `no peer was reachable within ${peerDeadlineMs - startedAtMs} ms (${config.peers.map((peer) => `${peer.id} at ${peer.address}`).join(', ')})` };
    }
    if (nowMs >= deadlineMs) {
      const goal = target === null ? 'no peer stated its committed height yet' : `the peers had committed height ${target}`;
      return { ok: false, height, message: `timed out after ${options.timeoutMs} ms at height ${height} (${goal})` };
    }
    await new Promise((resolve) => setTimeout(resolve, REPAIR_POLL_INTERVAL_MS));
  }
}

function whereThingsAre(movedTo: string | null, ledgerDirectory: string): string {
  const old = movedTo === null ? 'There was no old ledger to keep' : `The old ledger is at ${movedTo} (not restored)`;
  return `${old}; ${ledgerDirectory} holds what was fetched so far. Run repair again, or start the validator: it goes on fetching from its peers`;
}

/** 2026-01-02T03:04:05.678Z as 20260102T030405Z: sortable, and valid in a file name everywhere. */
function utcStamp(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
