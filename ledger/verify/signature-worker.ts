/**
 * The work of one signature-checking thread (signature-pool.ts): transaction signatures
 * (docs/encoding.md section 3, `Ed25519(domainTag("transaction", chainId) || id)`) verified with
 * the same pinned rules as everywhere else (ledger/crypto/signatures.ts). Each request is a
 * list of (public key, id, signature) in hex; the answer is the index of the first that does
 * not verify, or -1.
 */
import { parentPort } from 'node:worker_threads';
import { assert } from '../assert.js';
import { fromHex } from '../encoding/hex.js';
import { verifyFor } from '../crypto/signatures.js';
import type { SignatureRequest, SignatureAnswer } from './signature-pool.js';

assert(parentPort !== null, 'signature-worker.ts runs only as a worker thread');
const port = parentPort;
port.on('message', (request: SignatureRequest) => {
  let failed = -1;
  for (let index = 0; index < request.items.length; index++) {
    const [publicKey, id, signature] = request.items[index]!;
    if (!verifyFor('transaction', request.chainId, fromHex(publicKey), fromHex(id), fromHex(signature))) {
      failed = index;
      break;
    }
  }
  port.postMessage({ sequence: request.sequence, failed } satisfies SignatureAnswer);
});
