/**
 * CPU profiles of a running validator on demand (`custodia start --profile-dir DIR`): the first
 * SIGUSR2 starts V8's sampling profiler through the inspector, the next stops it and writes
 * `DIR/<validator>-<time>.cpuprofile` (Chrome DevTools' format, which `custodia bench` reads for
 * its breakdown and DevTools opens). A profile covers exactly the window between the signals, so
 * a benchmark measures its load and not the start-up.
 */
import { Session } from 'node:inspector/promises';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Sampling interval: a 40-s window of a validator busy half the time still gives some 8,000
 * samples, plenty for a per-module breakdown. At 500 µs the sampling itself skewed what it
 * measured on two shared cores: 4 validators at 100 events/s had p50 186-270 ms profiled against
 * 143-152 ms at 2,500 µs, about what an unprofiled run gives (docs/performance.md, "The standard matrix").
 */
const SAMPLING_INTERVAL_MICROSECONDS = 2_500;

export function profileOnSignal(directory: string, name: string, log: (message: string) => void): void {
  let session: Session | undefined;
  let busy = false;
  process.on('SIGUSR2', () => {
    if (busy) return;
    busy = true;
    void (async () => {
      if (session === undefined) {
        session = new Session();
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_MICROSECONDS });
        await session.post('Profiler.start');
        log(`CPU profile started`);
      } else {
        const { profile } = await session.post('Profiler.stop');
        session.disconnect();
        session = undefined;
        const file = join(directory, `${name}-${Date.now()}.cpuprofile`);
        await writeFile(file, JSON.stringify(profile));
        log(`CPU profile written to ${file}`);
      }
    })()
      .catch((error: unknown) => log(`CPU profile failed: ${(error as Error).message}`))
      .finally(() => {
        busy = false;
      });
  });
}
