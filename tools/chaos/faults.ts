/**
 * The faults a chaos run injects, each a pair of actions on one validator: `inject` and, after
 * the fault has been held for a while, `heal`. Kill: SIGKILL, then start again on the same data.
 * Pause: SIGSTOP, then SIGCONT (a frozen process keeps its sockets open). Isolate: every frame to
 * and from every peer dropped through the transport's hook (POST /faults, node/http/fault-control.ts),
 * then healed. Clock skew: the consensus clock set minutes ahead or behind (POST /faults), then
 * set right; the validator refuses honest proposals and its own are refused, so it counts as faulty.
 */
import type { BenchCluster } from '../bench/cluster.js';
import type { Prng } from '../sim/prng.js';

export const CHAOS_FAULT_KINDS = ['kill', 'pause', 'isolate', 'clock-skew'] as const;
/** A skew well beyond clockSkewMaxMs (5 s) and timestampLagMaxMs (30 s), drawn between these, ms. */
const CLOCK_SKEW_MS = { min: 10_000, max: 180_000 };
export type ChaosFaultKind = (typeof CHAOS_FAULT_KINDS)[number];

const FAULT_REQUEST_TIMEOUT_MS = 5_000;

export interface Fault {
  /** May the load generator send to the validator while the fault holds? */
  takesRequests: boolean;
  inject(cluster: BenchCluster, validator: number, prng: Prng): Promise<void>;
  heal(cluster: BenchCluster, validator: number): Promise<void>;
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

export const FAULTS: Record<ChaosFaultKind, Fault> = {
  kill: {
    takesRequests: false,
    inject: (cluster, validator) => cluster.kill(validator),
    heal: async (cluster, validator) => cluster.restart(validator),
  },
  pause: {
    takesRequests: false,
    inject: async (cluster, validator) => cluster.pause(validator),
    heal: async (cluster, validator) => cluster.resume(validator),
  },
  isolate: {
    takesRequests: true,
    inject: (cluster, validator) => setFaults(cluster, validator, { isolated: true }),
    heal: (cluster, validator) => setFaults(cluster, validator, { isolated: false }),
  },
  'clock-skew': {
    takesRequests: true,
    inject: (cluster, validator, prng) => setFaults(cluster, validator, { clockOffsetMs: (prng.chance(0.5) ? 1 : -1) * prng.intBetween(CLOCK_SKEW_MS.min, CLOCK_SKEW_MS.max) }),
    heal: (cluster, validator) => setFaults(cluster, validator, { clockOffsetMs: 0 }),
  },
};
