/** Helpers for tests that run validators in this process (startValidator): polling a condition, reading a metric. */
import type { RunningValidator } from '../../../node/validator.js';

/** Polls `condition` every 50 ms until it holds; a thrown error counts as not yet. */
export async function waitUntil(condition: () => Promise<boolean> | boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await Promise.resolve().then(condition).catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** One unlabelled series of a validator's Prometheus metrics; 0 when absent. */
export async function metric(validator: RunningValidator, series: string): Promise<number> {
  const text = await (await fetch(`${validator.metricsUrl!}/metrics`)).text();
  const line = text.split('\n').find((entry) => entry.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}
