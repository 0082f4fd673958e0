import { defineConfig } from 'vitest/config';

/**
 * Files that run networks of real validator processes. Two of them at once put nine or more
 * processes on this 2-core machine and starve each other's start-up, so they take turns, in a
 * project of their own that runs after the rest of the suite (groupOrder), so that the
 * in-process files on two workers do not starve them of the cores either: their timeouts and
 * round timers are real time.
 */
const multiProcessFiles = ['test/node/network.test.ts', 'test/tools/chaos/cli-chaos.test.ts', 'test/node/attacks.test.ts', 'test/node/validator-set-change.test.ts', 'test/node/byzantine-proposer.test.ts', 'test/ui/auditor-ui.test.ts', 'test/ui/serve.test.ts', 'test/ui/long-chain.test.ts'];

export default defineConfig({
  test: {
    // Store and CLI tests touch the disk and spawn processes; keep them off each other's toes on 2 cores.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'in-process', include: ['test/**/*.test.ts'], exclude: multiProcessFiles, maxWorkers: 2, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'multi-process', include: multiProcessFiles, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
