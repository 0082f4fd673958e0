// Entry point of the storage benchmark's query thread (storage-queries.ts). The sources are
// TypeScript and worker threads start without the main thread's loader, so this plain module
// loads the thread's code through tsx, as tools/bin/custodia.mjs loads the command's.
import { tsImport } from 'tsx/esm/api';

await tsImport('./storage-queries-worker.ts', import.meta.url);
