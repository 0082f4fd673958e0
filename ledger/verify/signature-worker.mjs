// Entry point of a signature-checking worker thread (signature-pool.ts). The sources are
// TypeScript and worker threads start without the main thread's loader, so this plain module
// loads the worker's code through tsx, as tools/bin/custodia.mjs loads the command's.
import { tsImport } from 'tsx/esm/api';

await tsImport('./signature-worker.ts', import.meta.url);
