/**
 * The faults a chaos run injects, each a pair of actions on one validator: `inject` and, after
 * the fault has been held for a while, `heal`. Kill: SIGKILL, then start again on the same data.
 * Pause: SIGSTOP, then SIGCONT (a frozen process keeps its sockets open). Isolate: every frame to
 * and from every peer dropped through the transport's hook (POST /faults, node/http/fault-control.ts),
 * then healed. Damage: SIGKILL, then bytes flipped in a ledger table; healed by `custodia
 * repair --config FILE` (the real command) and a start. Clock skew: the consensus clock set minutes ahead or behind (POST /faults), then
 * set right; the validator refuses honest proposals and its own are refused, so it counts as faulty.
 * A clock set back stands still until real time catches up (the core's time never goes
 * backwards), so a clock that was ahead by X stays ahead for X after it is set right: the fault
 * is healed only once the validator's /readyz says its clock lets it vote again. Counting it
 * healed sooner let the next fault make two validators faulty at once, and the network stalled
 * for over a minute (a 30-minute run, seed 201).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { BenchCluster } from '../bench/cluster.js';
import type { Prng } from '../sim/prng.js';
import { CUSTODIA_BINARY } from '../validator-process.js';
import { damageStore } from './damage.js';

export const CHAOS_FAULT_KINDS = ['kill', 'pause', 'isolate', 'clock-skew', 'damage'] as const;
/**
 * A repair fetches and checks the whole chain again, which on a long run on a busy box takes
 * minutes: it is killed only when it has printed no progress for this long (it prints a line
 * every 100 blocks or so), never for being slow while it advances.
 */
const REPAIR_SILENCE_MAX_MS = 120_000;
/** The repair's own deadline (its longest): the silence above is what ends a stuck one. */
const REPAIR_DEADLINE_MS = 3_600_000;
/** Bytes of a repair's output kept for the report (its tail). */
const REPAIR_OUTPUT_KEPT_BYTES = 64 * 1024;
/** A skew beyond clockSkewMaxMs (5 s), and mostly beyond timestampLagMaxMs (30 s), drawn between these, ms (`--clock-skew-ms`). */
export const DEFAULT_CLOCK_SKEW_MS = { min: 10_000, max: 180_000 } as const;
export type ChaosFaultKind = (typeof CHAOS_FAULT_KINDS)[number];

const FAULT_REQUEST_TIMEOUT_MS = 5_000;
/** Beyond the largest skew: the proposals that show the clock right again must arrive and be measured. */
const CLOCK_RECOVERY_MARGIN_MS = 60_000;
const READINESS_POLL_MS = 500;

/** Waits until the validator's /readyz no longer says its clock is wrong; false if it still does after `timeoutMs`. */
async function clockLetsItVote(cluster: BenchCluster, validator: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(`${cluster.metricsUrl(validator)}/readyz`, { signal: AbortSignal.timeout(FAULT_REQUEST_TIMEOUT_MS) });
      const body = (await response.json()) as { clock?: { ok?: boolean } };
      if (body.clock?.ok !== false) return true;
    } catch {
      // Not answering yet; asked again below.
    }
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, READINESS_POLL_MS));
  }
}

/** How the faults of one run are drawn. */
export interface FaultSettings {
  clockSkewMs: { min: number; max: number };
}

export interface Fault {
  /** May the load generator send to the validator while the fault holds? */
  takesRequests: boolean;
  inject(cluster: BenchCluster, validator: number, prng: Prng, settings: FaultSettings): Promise<void>;
  /** A problem healing names it (the fault then counts as not healed); nothing when healed. */
  heal(cluster: BenchCluster, validator: number, settings: FaultSettings): Promise<string | undefined>;
}

async function setFaults(cluster: BenchCluster, validator: number, faults: { isolated?: boolean; clockOffsetMs?: number }): Promise<void> {
  const response = await fetch(`${cluster.metricsUrl(validator)}/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
    signal: AbortSignal.timeout(FAULT_REQUEST_TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`validator-${validator} refused POST /faults: ${response.status} ${await response.text()}`);
}

/**
 * `custodia repair --config FILE --json`, as an operator runs it; a problem, or nothing when it
 * found the damage and rebuilt the ledger (a ledger it calls healthy means the damage went unseen).
 */
function repair(configFile: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CUSTODIA_BINARY, 'repair', '--config', configFile, '--json', '--timeout-ms', String(REPAIR_DEADLINE_MS)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let silent = false;
    const kill = () => {
      silent = true;
      child.kill('SIGKILL');
    };
    let timer = setTimeout(kill, REPAIR_SILENCE_MAX_MS);
    const progressed = () => {
      clearTimeout(timer);
      timer = setTimeout(kill, REPAIR_SILENCE_MAX_MS);
    };
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out = (out + chunk.toString('utf8')).slice(-REPAIR_OUTPUT_KEPT_BYTES);
      progressed();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err = (err + chunk.toString('utf8')).slice(-REPAIR_OUTPUT_KEPT_BYTES);
      progressed();
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const said = (out + err).trim().slice(-500);
      let answer: { repaired?: boolean; damage?: string | null } = {};
      try {
        answer = JSON.parse(out) as typeof answer;
      } catch {
        // Reported below with what it said.
      }
      if (code === 0 && answer.repaired === true && typeof answer.damage === 'string') return resolve(undefined);
      const how = silent ? `killed after ${REPAIR_SILENCE_MAX_MS} ms without progress` : `exited ${code}`;
      resolve(`custodia repair ${how}${answer.repaired === false ? ' without repairing' : ''}: ${said}`);
    });
  });
}

const healed = async (action: () => unknown): Promise<undefined> => {
  await action();
  return undefined;
};

export const FAULTS: Record<ChaosFaultKind, Fault> = {
  kill: {
    takesRequests: false,
    inject: (cluster, validator) => cluster.kill(validator),
    heal: (cluster, validator) => healed(() => cluster.restart(validator)),
  },
  pause: {
    takesRequests: false,
    inject: async (cluster, validator) => cluster.pause(validator),
    heal: (cluster, validator) => healed(() => cluster.resume(validator)),
  },
  isolate: {
    takesRequests: true,
    inject: (cluster, validator) => setFaults(cluster, validator, { isolated: true }),
    heal: (cluster, validator) => healed(() => setFaults(cluster, validator, { isolated: false })),
  },
  'clock-skew': {
    takesRequests: true,
    inject: (cluster, validator, prng, settings) => setFaults(cluster, validator, { clockOffsetMs: (prng.chance(0.5) ? 1 : -1) * prng.intBetween(settings.clockSkewMs.min, settings.clockSkewMs.max) }),
    heal: async (cluster, validator, settings) => {
      await setFaults(cluster, validator, { clockOffsetMs: 0 });
      const boundMs = settings.clockSkewMs.max + CLOCK_RECOVERY_MARGIN_MS;
      return (await clockLetsItVote(cluster, validator, boundMs)) ? undefined : `validator-${validator}'s clock still kept it from voting ${boundMs} ms after it was set right`;
    },
  },
  damage: {
    takesRequests: false,
    inject: async (cluster, validator) => {
      await cluster.kill(validator);
      await damageStore(join(cluster.dataDirectory(validator), 'ledger'));
    },
    heal: async (cluster, validator) => {
      const problem = await repair(cluster.configFile(validator));
      cluster.restart(validator);
      return problem;
    },
  },
};
