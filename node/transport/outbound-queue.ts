/**
 * Frames waiting to be written to one peer, bounded by count and bytes. When a slow or stuck peer
 * lets it fill, the oldest frames are dropped (and the caller counts them): consensus messages
 * supersede each other, so the newest are the ones worth delivering, and memory stays bounded.
 */
import { assert } from '../../ledger/assert.js';

/** What the queue holds: anything with a size in bytes (a Buffer, or a frame that knows its kind). */
export interface Sized {
  readonly byteLength: number;
}

export class OutboundQueue<Frame extends Sized = Buffer> {
  private items: Array<Frame | undefined> = [];
  private head = 0;
  private queuedBytes = 0;

  constructor(
    private readonly framesMax: number,
    private readonly bytesMax: number,
  ) {
    assert(framesMax > 0 && bytesMax > 0, 'an outbound queue needs positive limits');
  }

  get frames(): number {
    return this.items.length - this.head;
  }

  get bytes(): number {
    return this.queuedBytes;
  }

  /** Appends a frame and returns how many older frames were dropped to make room for it. */
  push(frame: Frame): number {
    assert(frame.byteLength <= this.bytesMax, 'a frame larger than the whole queue must be refused before it is queued');
    this.items.push(frame);
    this.queuedBytes += frame.byteLength;
    let dropped = 0;
    while (this.frames > this.framesMax || this.queuedBytes > this.bytesMax) {
      this.shift();
      dropped++;
    }
    return dropped;
  }

  peek(): Frame | undefined {
    return this.items[this.head];
  }

  shift(): Frame | undefined {
    const frame = this.items[this.head];
    if (frame === undefined) return undefined;
    this.items[this.head] = undefined;
    this.head++;
    this.queuedBytes -= frame.byteLength;
    // Compact now and then, so shifting stays O(1) amortised without the array growing forever.
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return frame;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
    this.queuedBytes = 0;
  }
}
