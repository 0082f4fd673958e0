/**
 * The simulator's agenda: a binary min-heap of events ordered by (virtual time, sequence
 * number). The sequence number breaks ties in insertion order, so two events due at the same
 * millisecond always run in the same order and a seed replays byte for byte (the
 * FoundationDB / TigerBeetle discipline: one thread, one queue, no wall clock).
 */

interface Entry<Value> {
  timeMs: number;
  sequence: number;
  value: Value;
}

export class EventQueue<Value> {
  readonly #heap: Entry<Value>[] = [];
  #nextSequence = 0;

  /** `sizeMax` bounds memory: a run that floods the agenda is a bug to report, not to absorb. */
  constructor(readonly sizeMax: number) {}

  get size(): number {
    return this.#heap.length;
  }

  /** False when the queue is full; the caller decides what a refused event means. */
  push(timeMs: number, value: Value): boolean {
    if (!Number.isFinite(timeMs)) throw new RangeError(`event time must be finite, got ${timeMs}`);
    if (this.#heap.length >= this.sizeMax) return false;
    this.#heap.push({ timeMs, sequence: this.#nextSequence++, value });
    this.#siftUp(this.#heap.length - 1);
    return true;
  }

  peekTime(): number | undefined {
    return this.#heap[0]?.timeMs;
  }

  pop(): { timeMs: number; value: Value } | undefined {
    const top = this.#heap[0];
    if (top === undefined) return undefined;
    const last = this.#heap.pop()!;
    if (this.#heap.length > 0) {
      this.#heap[0] = last;
      this.#siftDown(0);
    }
    return { timeMs: top.timeMs, value: top.value };
  }

  #before(left: Entry<Value>, right: Entry<Value>): boolean {
    return left.timeMs < right.timeMs || (left.timeMs === right.timeMs && left.sequence < right.sequence);
  }

  #siftUp(start: number): void {
    let index = start;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.#before(this.#heap[index]!, this.#heap[parent]!)) break;
      this.#swap(index, parent);
      index = parent;
    }
  }

  #siftDown(start: number): void {
    let index = start;
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let smallest = index;
      if (left < this.#heap.length && this.#before(this.#heap[left]!, this.#heap[smallest]!)) smallest = left;
      if (right < this.#heap.length && this.#before(this.#heap[right]!, this.#heap[smallest]!)) smallest = right;
      if (smallest === index) return;
      this.#swap(index, smallest);
      index = smallest;
    }
  }

  #swap(first: number, second: number): void {
    const held = this.#heap[first]!;
    this.#heap[first] = this.#heap[second]!;
    this.#heap[second] = held;
  }
}
