// Entry point of a transaction-checking worker thread (transaction-checks-pool.ts). The sources
// are TypeScript and worker threads start without the main thread's loader, so this plain module
// loads the worker's code through tsx, as tools/bin/custodia.mjs loads the command's.
import { tsImport } from 'tsx/esm/api';

await tsImport('./transaction-checks-worker.ts', import.meta.url);
