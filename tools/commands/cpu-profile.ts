/**
 * CPU profiles of a running validator on demand (`custodia start --profile-dir DIR`): the first
 * SIGUSR2 starts V8's sampling profiler through the inspector, the next stops it and writes
 * `DIR/<validator>-<time>.cpuprofile` (Chrome DevTools' format, which `custodia bench` reads for
 * its breakdown and DevTools opens). A profile covers exactly the window between the signals, so
 * a benchmark measures its load and not the start-up.
 *
 * With `allocations`, the same signals also run V8's sampling heap profiler and write
 * `DIR/<validator>-<time>.heapprofile`: every sampled allocation over the window with the stack
 * that made it, the objects collected since included, so it shows where the garbage the
 * collector has to sweep comes from (DevTools opens it as an allocation sampling).
 */
import { Session } from 'node:inspector/promises';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ALLOCATION_PROFILE_EXTENSION, CPU_PROFILE_EXTENSION } from '../bench/profile.js';

/**
 * Sampling interval: a 40-s window of a validator busy half the time still gives some 8,000
 * samples, plenty for a per-module breakdown. At 500 µs the sampling itself skewed what it
 * measured on two shared cores: 4 validators at 100 events/s had p50 186-270 ms profiled against
 * 143-152 ms at 2,500 µs, about what an unprofiled run gives (docs/performance.md, "The standard matrix").
 */
const SAMPLING_INTERVAL_MICROSECONDS = 2_500;

/** One sample per 32 KiB allocated on average: a validator allocating some 50 MB a second gives about 1,500 samples a second. */
const ALLOCATION_SAMPLING_INTERVAL_BYTES = 32 * 1024;

export function profileOnSignal(directory: string, name: string, log: (message: string) => void, options: { allocations?: boolean } = {}): void {
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
        if (options.allocations === true) {
          await session.post('HeapProfiler.enable');
          // The collected objects' flags are V8's (Node 20's inspector typings predate them).
          await session.post('HeapProfiler.startSampling', {
            samplingInterval: ALLOCATION_SAMPLING_INTERVAL_BYTES,
            includeObjectsCollectedByMajorGC: true,
            includeObjectsCollectedByMinorGC: true,
          } as { samplingInterval: number });
        }
        await session.post('Profiler.start');
        log(options.allocations === true ? 'CPU and allocation profiles started' : 'CPU profile started');
      } else {
        const { profile } = await session.post('Profiler.stop');
        const allocations = options.allocations === true ? (await session.post('HeapProfiler.stopSampling')).profile : undefined;
        session.disconnect();
        session = undefined;
        const stem = join(directory, `${name}-${Date.now()}`);
        await writeFile(`${stem}${CPU_PROFILE_EXTENSION}`, JSON.stringify(profile));
        if (allocations !== undefined) await writeFile(`${stem}${ALLOCATION_PROFILE_EXTENSION}`, JSON.stringify(allocations));
        log(`CPU profile written to ${stem}${CPU_PROFILE_EXTENSION}${allocations === undefined ? '' : `, allocation profile to ${stem}${ALLOCATION_PROFILE_EXTENSION}`}`);
      }
    })()
      .catch((error: unknown) => log(`CPU profile failed: ${(error as Error).message}`))
      .finally(() => {
        busy = false;
      });
  });
}
