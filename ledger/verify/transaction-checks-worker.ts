/**
 * The work of one transaction-checking thread (transaction-checks-pool.ts): a block record
 * decoded as the walk decoded it (ledger/store/records.ts), and its transactions checked by
 * checkBlockTransactions (transaction-checks.ts), the same function the walk runs inline.
 */
import { parentPort } from 'node:worker_threads';
import { assert } from '../assert.js';
import type { Block } from '../model/block.js';
import { decodeRecord } from '../store/records.js';
import { checkBlockTransactions } from './transaction-checks.js';
import { packLeaves, type TransactionChecksAnswer, type TransactionChecksRequest } from './transaction-checks-pool.js';

assert(parentPort !== null, 'transaction-checks-worker.ts runs only as a worker thread');
const port = parentPort;
port.on('message', (request: TransactionChecksRequest) => {
  const block = decodeRecord<Block>(request.record);
  const checks = checkBlockTransactions(block.transactions, request.chainId);
  const leaves = checks.leaves === undefined ? undefined : packLeaves(checks.leaves);
  const answer: TransactionChecksAnswer = { sequence: request.sequence, ids: checks.ids, leaves, failure: checks.failure };
  port.postMessage(answer, leaves === undefined ? [] : [leaves.buffer as ArrayBuffer]);
});
