/**
 * The faults a chaos run injects, each a pair of actions on one validator: `inject` and, after
 * the fault has been held for a while, `heal`. Kill: SIGKILL, then start again on the same data.
 * Pause: SIGSTOP, then SIGCONT (a frozen process keeps its sockets open). Isolate: every frame to
 * and from every peer dropped through the transport's hook (POST /faults, node/http/fault-control.ts),
 * then healed.
 */
import type { BenchCluster } from '../bench/cluster.js';

export const CHAOS_FAULT_KINDS = ['kill', 'pause', 'isolate'] as const;
export type ChaosFaultKind = (typeof CHAOS_FAULT_KINDS)[number];

const FAULT_REQUEST_TIMEOUT_MS = 5_000;

export interface Fault {
  /** May the load generator send to the validator while the fault holds? */
  takesRequests: boolean;
  inject(cluster: BenchCluster, validator: number): Promise<void>;
  heal(cluster: BenchCluster, validator: number): Promise<void>;
}

async function setIsolated(cluster: BenchCluster, validator: number, isolated: boolean): Promise<void> {
  const response = await fetch(`${cluster.metricsUrl(validator)}/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ isolated }),
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
    inject: (cluster, validator) => setIsolated(cluster, validator, true),
    heal: (cluster, validator) => setIsolated(cluster, validator, false),
  },
};
