/**
 * The heap a piece of work leaves behind: V8's heap in use after a forced full collection, less
 * what it was before the work (for tests that what is kept stays small).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Bytes of heap `work` retains (what it returns is kept alive until it is measured). */
export function retainedHeapBytes(work: () => unknown): number {
  collectGarbage();
  const before = process.memoryUsage().heapUsed;
  const kept = work();
  collectGarbage();
  const retained = process.memoryUsage().heapUsed - before;
  // Read after the measurement so the collector cannot drop it early.
  if (kept === Symbol.for('never')) throw new Error('unreachable');
  return retained;
}
