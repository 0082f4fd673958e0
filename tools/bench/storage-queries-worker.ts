/**
 * The thread the storage benchmark times its queries on (storage-queries.ts): it opens the ledger,
 * runs the queries, and answers once with their times or the error that stopped them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { assert } from '../../ledger/assert.js';
import { measureQueries, type QueriesInput } from './storage-queries.js';

assert(parentPort !== null, 'storage-queries-worker.ts runs only as a worker thread');
const port = parentPort;
try {
  port.postMessage({ ok: true, times: await measureQueries(workerData as QueriesInput) });
} catch (error) {
  port.postMessage({ ok: false, message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
}
