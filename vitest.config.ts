import { defineConfig } from 'vitest/config';

/**
 * Files that run networks of real validator processes. Two of them at once put nine or more
 * processes on this 2-core machine and starve each other's start-up, so they take turns, in a
 * project of their own, while the rest of the suite runs beside them on two workers.
 */
const multiProcessFiles = ['test/node/network.test.ts', 'test/node/validator-set-change.test.ts', 'test/ui/auditor-ui.test.ts', 'test/ui/serve.test.ts'];

export default defineConfig({
  test: {
    // Store and CLI tests touch the disk and spawn processes; keep them off each other's toes on 2 cores.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'in-process', include: ['test/**/*.test.ts'], exclude: multiProcessFiles, maxWorkers: 2 } },
      { extends: true, test: { name: 'multi-process', include: multiProcessFiles, fileParallelism: false } },
    ],
  },
});
