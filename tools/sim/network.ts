/**
 * The simulated network between validator instances ("endpoints"): per-link delay (a fixed
 * base drawn per directed link plus uniform jitter), loss, duplication, reordering and
 * partitions that are switched on and healed by scheduled events. Everything is drawn from
 * one seeded stream (prng.ts), in the spirit of FoundationDB's simulated network.
 *
 * Messages are addressed to validator ids, not endpoints, because that is all the consensus
 * core knows. A validator normally has one endpoint; under Twins (Bano et al., 2020) it has two
 * instances sharing one key, and a message for it reaches whichever instances the active
 * partitions let the sender reach.
 *
 * Links are FIFO unless reordering is on, as a TCP connection is: jitter alone must not reorder
 * a link, or the "reordering" fault would be indistinguishable from the baseline.
 */
import type { Prng } from './prng.js';

export interface LinkConditions {
  /** Per-link base delay is drawn once from [minimum, maximum]: some links are simply slower. */
  delayBaseMinimumMs: number;
  delayBaseMaximumMs: number;
  /** Uniform extra delay per message in [0, jitterMs]. */
  jitterMs: number;
  lossProbability: number;
  duplicateProbability: number;
  /** When positive, links are not FIFO and this fraction of messages is held back by up to reorderDelayMaximumMs. */
  reorderProbability: number;
  reorderDelayMaximumMs: number;
}

/** A consortium spans organisations and regions: one-way delays of 30 to 200 ms, as on a WAN. */
export const CALM_LINKS: LinkConditions = {
  delayBaseMinimumMs: 30,
  delayBaseMaximumMs: 150,
  jitterMs: 50,
  lossProbability: 0,
  duplicateProbability: 0,
  reorderProbability: 0,
  reorderDelayMaximumMs: 0,
};

export interface Endpoint {
  /** Unique name of this instance, e.g. `v2`, or `v2+twin` for the second twin. */
  endpoint: string;
  validator: string;
}

/** A cut in the network: `blocks(from, to)` is true while messages from `from` cannot reach `to`. */
export interface Partition {
  readonly description: string;
  blocks(fromEndpoint: string, toEndpoint: string): boolean;
}

/** Two groups that cannot hear each other in either direction (includes isolating one endpoint). */
export function splitPartition(groupA: readonly string[], groupB: readonly string[]): Partition {
  const sideA = new Set(groupA);
  const sideB = new Set(groupB);
  return {
    description: `split {${groupA.join(',')}} | {${groupB.join(',')}}`,
    blocks: (from, to) => (sideA.has(from) && sideB.has(to)) || (sideB.has(from) && sideA.has(to)),
  };
}

/** Messages from `senders` to `receivers` are lost; the other direction works (a half-broken link). */
export function oneWayPartition(senders: readonly string[], receivers: readonly string[]): Partition {
  const from = new Set(senders);
  const to = new Set(receivers);
  return {
    description: `one-way {${senders.join(',')}} -/-> {${receivers.join(',')}}`,
    blocks: (sender, receiver) => from.has(sender) && to.has(receiver),
  };
}

export type RouteOutcome =
  | { endpoint: string; delivered: true; atMs: number; duplicate: boolean }
  | { endpoint: string; delivered: false; reason: 'loss' | 'partition' };

export class SimNetwork {
  readonly #prng: Prng;
  readonly #endpoints: readonly Endpoint[];
  readonly #endpointsByValidator = new Map<string, string[]>();
  readonly #linkBaseMs = new Map<string, number>();
  /** Last scheduled arrival per directed link, to keep FIFO links FIFO. */
  readonly #lastArrivalMs = new Map<string, number>();
  readonly #partitions = new Map<string, Partition>();
  #conditions: LinkConditions;

  constructor(prng: Prng, endpoints: readonly Endpoint[], readonly calm: LinkConditions) {
    this.#prng = prng;
    this.#endpoints = endpoints;
    this.#conditions = calm;
    for (const { endpoint, validator } of endpoints) {
      const list = this.#endpointsByValidator.get(validator) ?? [];
      list.push(endpoint);
      this.#endpointsByValidator.set(validator, list);
    }
    for (const from of endpoints) {
      for (const to of endpoints) {
        if (from.endpoint === to.endpoint) continue;
        this.#linkBaseMs.set(linkKey(from.endpoint, to.endpoint), prng.intBetween(calm.delayBaseMinimumMs, calm.delayBaseMaximumMs));
      }
    }
  }

  get conditions(): LinkConditions {
    return this.#conditions;
  }

  /** Faulty conditions for a while; `heal` restores the calm ones. Per-link bases stay as drawn. */
  setConditions(conditions: LinkConditions): void {
    this.#conditions = conditions;
  }

  heal(): void {
    this.#conditions = this.calm;
  }

  addPartition(id: string, partition: Partition): void {
    this.#partitions.set(id, partition);
  }

  removePartition(id: string): boolean {
    return this.#partitions.delete(id);
  }

  get partitionCount(): number {
    return this.#partitions.size;
  }

  endpointsOf(validator: string): readonly string[] {
    return this.#endpointsByValidator.get(validator) ?? [];
  }

  get endpoints(): readonly Endpoint[] {
    return this.#endpoints;
  }

  isBlocked(fromEndpoint: string, toEndpoint: string): boolean {
    for (const partition of this.#partitions.values()) {
      if (partition.blocks(fromEndpoint, toEndpoint)) return true;
    }
    return false;
  }

  /**
   * Decides the fate of one message sent now from `fromEndpoint` to each validator in
   * `recipients`: which instances it reaches, when, and how many copies. Partitions are judged
   * at send time: a message already on the wire when a cut starts still arrives.
   */
  route(fromEndpoint: string, recipients: readonly string[], nowMs: number): RouteOutcome[] {
    const outcomes: RouteOutcome[] = [];
    for (const validator of recipients) {
      for (const endpoint of this.endpointsOf(validator)) {
        if (endpoint === fromEndpoint) continue;
        if (this.isBlocked(fromEndpoint, endpoint)) {
          outcomes.push({ endpoint, delivered: false, reason: 'partition' });
          continue;
        }
        if (this.#conditions.lossProbability > 0 && this.#prng.chance(this.#conditions.lossProbability)) {
          outcomes.push({ endpoint, delivered: false, reason: 'loss' });
          continue;
        }
        outcomes.push({ endpoint, delivered: true, atMs: this.#arrival(fromEndpoint, endpoint, nowMs), duplicate: false });
        if (this.#conditions.duplicateProbability > 0 && this.#prng.chance(this.#conditions.duplicateProbability)) {
          outcomes.push({ endpoint, delivered: true, atMs: this.#arrival(fromEndpoint, endpoint, nowMs), duplicate: true });
        }
      }
    }
    return outcomes;
  }

  #arrival(fromEndpoint: string, toEndpoint: string, nowMs: number): number {
    const key = linkKey(fromEndpoint, toEndpoint);
    const conditions = this.#conditions;
    let arrival = nowMs + (this.#linkBaseMs.get(key) ?? conditions.delayBaseMinimumMs) + this.#prng.intBetween(0, conditions.jitterMs);
    if (conditions.reorderProbability > 0) {
      if (this.#prng.chance(conditions.reorderProbability)) arrival += this.#prng.intBetween(1, conditions.reorderDelayMaximumMs);
      return arrival;
    }
    arrival = Math.max(arrival, this.#lastArrivalMs.get(key) ?? 0);
    this.#lastArrivalMs.set(key, arrival);
    return arrival;
  }
}

function linkKey(fromEndpoint: string, toEndpoint: string): string {
  return `${fromEndpoint}>${toEndpoint}`;
}
