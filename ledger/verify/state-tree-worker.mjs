// Entry point of the state tree's thread (state-roots.ts). Worker threads start without the main
// thread's loader, so this plain module loads the worker's code through tsx, as
// signature-worker.mjs does.
import { tsImport } from 'tsx/esm/api';

await tsImport('./state-tree-worker.ts', import.meta.url);
