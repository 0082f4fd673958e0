import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Store and CLI tests touch the disk and spawn processes; keep them off each other's toes on 2 cores.
    pool: 'forks',
    // vitest's default is one worker fewer than the cores, which is one here; both cores do better.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
