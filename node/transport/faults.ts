/**
 * Fault hooks for chaos tests without root: drop or delay frames to chosen peers and isolate
 * (partition) peers in both directions, all changeable at runtime. They act on frames, not on
 * sockets: a partitioned link keeps its connection (pings still flow) but carries nothing, so a
 * partition heals the moment it is lifted and a test knows exactly which frames were lost.
 *
 * Given a seeded random source, drops are reproducible: exactly one draw is taken per frame sent
 * to a peer whose drop probability lies strictly between 0 and 1, and none otherwise (and one for
 * the jitter of a simulated latency, when one is set).
 *
 * A simulated latency (simulateLatency) holds every frame to every peer for a delay plus a random
 * jitter, as a wide-area link would, but never releases a frame before the one sent before it to
 * the same peer: a TCP connection keeps its order whatever its delays.
 */
import { assert } from '../../ledger/assert.js';
import { cryptoRandom, type RandomSource } from './random.js';

/** `inOrder`: the frame must not overtake an earlier delayed frame to the same peer (a simulated latency). */
export type OutboundDecision = { action: 'drop' } | { action: 'send'; delayMs: number; inOrder?: boolean };

export class TransportFaults {
  private readonly dropProbabilityByPeer = new Map<string, number>();
  private readonly delayMsByPeer = new Map<string, number>();
  private readonly isolated = new Set<string>();
  private latency: { delayMs: number; jitterMs: number } | undefined;
  /** When the last frame to each peer is released, so that jitter never reorders a link. */
  private readonly releaseAtMsByPeer = new Map<string, number>();

  constructor(private readonly random: RandomSource = cryptoRandom) {}

  /** Delays every outbound frame to every peer by `delayMs` plus up to `jitterMs` (0 and 0 remove it). */
  simulateLatency(delayMs: number, jitterMs: number): void {
    assert(Number.isSafeInteger(delayMs) && delayMs >= 0 && Number.isSafeInteger(jitterMs) && jitterMs >= 0, 'a latency is non-negative integers of milliseconds');
    this.latency = delayMs === 0 && jitterMs === 0 ? undefined : { delayMs, jitterMs };
    this.releaseAtMsByPeer.clear();
  }

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
    this.latency = undefined;
    this.releaseAtMsByPeer.clear();
  }

  isIsolated(peer: string): boolean {
    return this.isolated.has(peer);
  }

  /** What to do with a frame to `peer` sent at `nowMs` (a monotonic clock; it matters only with a simulated latency). */
  outbound(peer: string, nowMs = 0): OutboundDecision {
    if (this.isolated.has(peer)) return { action: 'drop' };
    const probability = this.dropProbabilityByPeer.get(peer);
    if (probability !== undefined && (probability >= 1 || this.random() < probability)) return { action: 'drop' };
    const fixed = this.delayMsByPeer.get(peer) ?? 0;
    if (this.latency === undefined) return { action: 'send', delayMs: fixed };
    const wanted = nowMs + this.latency.delayMs + Math.floor(this.random() * (this.latency.jitterMs + 1));
    const releaseAtMs = Math.max(wanted, this.releaseAtMsByPeer.get(peer) ?? 0);
    this.releaseAtMsByPeer.set(peer, releaseAtMs);
    return { action: 'send', delayMs: Math.max(fixed, releaseAtMs - nowMs), inOrder: true };
  }

  dropsInbound(peer: string): boolean {
    return this.isolated.has(peer);
  }
}
