/**
 * A bounded memo of work done once per transaction (contracts/execution.ts ExecutionMemo): kept
 * by transaction id when a transaction is admitted, taken once by execution. Oldest forgotten
 * first, so transactions that never commit cannot grow it; a forgotten entry only means the work
 * is done again.
 */
export class TakeOnceMemo<Value> {
  private readonly entries = new Map<string, Value>();

  constructor(private readonly entriesMax = 100_000) {}

  remember(id: string, value: Value): void {
    this.entries.delete(id);
    this.entries.set(id, value);
    while (this.entries.size > this.entriesMax) this.entries.delete(this.entries.keys().next().value!);
  }

  take(id: string): Value | undefined {
    const value = this.entries.get(id);
    this.entries.delete(id);
    return value;
  }

  get size(): number {
    return this.entries.size;
  }
}
