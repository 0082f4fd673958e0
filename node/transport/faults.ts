/**
 * Fault hooks for chaos tests without root: drop or delay frames to chosen peers and isolate
 * (partition) peers in both directions, all changeable at runtime. They act on frames, not on
 * sockets: a partitioned link keeps its connection (pings still flow) but carries nothing, so a
 * partition heals the moment it is lifted and a test knows exactly which frames were lost.
 *
 * Given a seeded random source, drops are reproducible: exactly one draw is taken per frame sent
 * to a peer whose drop probability lies strictly between 0 and 1, and none otherwise.
 */
import { assert } from '../../ledger/assert.js';
import { cryptoRandom, type RandomSource } from './random.js';

export type OutboundDecision = { action: 'drop' } | { action: 'send'; delayMs: number };

export class TransportFaults {
  private readonly dropProbabilityByPeer = new Map<string, number>();
  private readonly delayMsByPeer = new Map<string, number>();
  private readonly isolated = new Set<string>();

  constructor(private readonly random: RandomSource = cryptoRandom) {}

  /** Drops each outbound frame to `peer` with this probability (1: all of them, 0: none). */
  dropOutbound(peer: string, probability = 1): void {
    assert(probability >= 0 && probability <= 1, 'a drop probability lies in [0, 1]');
    if (probability === 0) this.dropProbabilityByPeer.delete(peer);
    else this.dropProbabilityByPeer.set(peer, probability);
  }

  /** Holds each outbound frame to `peer` for `delayMs` before queueing it (0 removes the delay). */
  delayOutbound(peer: string, delayMs: number): void {
    assert(Number.isSafeInteger(delayMs) && delayMs >= 0, 'a delay is a non-negative integer of milliseconds');
    if (delayMs === 0) this.delayMsByPeer.delete(peer);
    else this.delayMsByPeer.set(peer, delayMs);
  }

  /** Cuts these peers off in both directions: frames to and from them are dropped. */
  isolate(peers: Iterable<string>): void {
    for (const peer of peers) this.isolated.add(peer);
  }

  /** Ends the isolation of these peers, or of all peers. */
  heal(peers?: Iterable<string>): void {
    if (peers === undefined) this.isolated.clear();
    else for (const peer of peers) this.isolated.delete(peer);
  }

  /** Removes every fault. */
  clear(): void {
    this.dropProbabilityByPeer.clear();
    this.delayMsByPeer.clear();
    this.isolated.clear();
  }

  isIsolated(peer: string): boolean {
    return this.isolated.has(peer);
  }

  outbound(peer: string): OutboundDecision {
    if (this.isolated.has(peer)) return { action: 'drop' };
    const probability = this.dropProbabilityByPeer.get(peer);
    if (probability !== undefined && (probability >= 1 || this.random() < probability)) return { action: 'drop' };
    return { action: 'send', delayMs: this.delayMsByPeer.get(peer) ?? 0 };
  }

  dropsInbound(peer: string): boolean {
    return this.isolated.has(peer);
  }
}
