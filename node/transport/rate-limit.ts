/**
 * Token buckets for per-peer rate limits: a bucket holds up to `capacity` tokens and refills at
 * `refillPerSecond`; a frame passes only if it can take its cost. Bursts up to the capacity are
 * allowed so that an honest peer catching up (a burst of votes, a large block) is not punished.
 */
import { assert } from '../../ledger/assert.js';

export type Clock = () => number;

export class TokenBucket {
  private tokens: number;
  private refilledAtMs: number;

  constructor(
    private readonly capacity: number,
    private readonly refillPerSecond: number,
    private readonly nowMs: Clock = performance.now.bind(performance),
  ) {
    assert(capacity > 0 && refillPerSecond > 0, 'a token bucket needs a positive capacity and refill rate');
    this.tokens = capacity;
    this.refilledAtMs = nowMs();
  }

  /** Takes `cost` tokens if there are that many; a refusal takes nothing. */
  take(cost: number): boolean {
    this.refill();
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }

  available(): number {
    this.refill();
    return this.tokens;
  }

  private refill(): void {
    const now = this.nowMs();
    // A clock that steps back (it should not: performance.now is monotonic) must not drain the bucket.
    const elapsedMs = Math.max(0, now - this.refilledAtMs);
    this.refilledAtMs = now;
    this.tokens = Math.min(this.capacity, this.tokens + (elapsedMs * this.refillPerSecond) / 1000);
  }
}

/** The two buckets every peer connection has: one counts frames, one counts bytes. */
export class PeerRateLimit {
  private readonly frames: TokenBucket;
  private readonly bytes: TokenBucket;

  constructor(
    limits: { messagesPerSecondPerPeer: number; messagesBurstPerPeer: number; bytesPerSecondPerPeer: number; bytesBurstPerPeer: number },
    nowMs?: Clock,
  ) {
    this.frames = new TokenBucket(limits.messagesBurstPerPeer, limits.messagesPerSecondPerPeer, nowMs);
    this.bytes = new TokenBucket(limits.bytesBurstPerPeer, limits.bytesPerSecondPerPeer, nowMs);
  }

  /** True if a frame of `byteLength` bytes may pass now; a refused frame consumes nothing from either bucket. */
  admit(byteLength: number): boolean {
    if (this.frames.available() < 1 || this.bytes.available() < byteLength) return false;
    return this.frames.take(1) && this.bytes.take(byteLength);
  }
}
