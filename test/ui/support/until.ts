/**
 * Waits for a condition outside a test (in beforeAll, where expect.poll may not run): asks it
 * again every `intervalMs` until it holds, and fails naming what it waited for after
 * `timeoutMs`. The timeout bounds the wait; it measures nothing.
 */
export async function until(condition: () => Promise<boolean>, what: string, options: { timeoutMs: number; intervalMs?: number }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await condition()) return;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) throw new Error(`timed out waiting for ${what}${last === undefined ? '' : ` (last error: ${(last as Error).message})`}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 200));
  }
}
