/**
 * GET /v1/proofs/transactions/:id on a chain whose validator set has changed (docs/encoding.md
 * section 12): the proof route, served over HTTP from a real store holding two hand-overs, fills
 * epochChanges with the epoch-ending blocks below the checkpoint, so that the proof checks
 * offline from the genesis keys alone. The read access is stubbed as an auditor's: the party
 * rule and credentials are covered by proofs.test.ts against a real validator.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transactionProofResponse, proofRoutes } from '../../api/http/proof-routes.js';
import type { ReadAccess, Reader } from '../../api/http/access.js';
import { transactionId } from '../../ledger/model/transaction.js';
import { BlockStore } from '../../ledger/store/block-store.js';
import { verifyTransactionProof } from '../../ledger/verify/proof.js';
import { errorHandler } from '../../node/http/errors.js';
import type { ValidatorContext } from '../../node/validator.js';
import { writeStoredChain, type StoredChain } from '../support/stored-chain.js';
import { temporaryDirectories } from '../support/temp-dir.js';

const newDirectory = temporaryDirectories('proof-epochs');
const auditor: Reader = { participant: 'urn:epc:id:pgln:0614141.00099', roles: ['auditor'], readsEverything: true, credential: 'token' };

let stored: StoredChain;
let store: BlockStore;
let server: Server;
let url: string;

beforeAll(async () => {
  // The genesis set hands over at height 3, the second set at height 6; the head is block 9.
  stored = await writeStoredChain(await newDirectory(), 9, {
    blockOptions: (height, chain) => ({
      ...(height === 3 ? { nextValidators: chain.newValidators('second', 5) } : {}),
      ...(height === 6 ? { nextValidators: chain.newValidators('third', 4) } : {}),
    }),
  });
  const opened = await BlockStore.open({ directory: stored.dataDirectory, genesis: stored.chain.genesis, validators: stored.chain.validators });
  if (!opened.ok) throw new Error(opened.message);
  store = opened.store;
  const context = { config: { chainId: stored.chain.chainId }, store } as unknown as ValidatorContext;
  const access = {
    require: (_request: Request, response: Response, next: NextFunction) => {
      response.locals['reader'] = auditor;
      next();
    },
  } as unknown as ReadAccess;
  const app = express();
  app.use(proofRoutes(context, access));
  app.use(errorHandler((error) => console.error(error)));
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await store?.close();
});

async function proofOf(height: number, position: number) {
  const block = (await store.getBlock(height))!;
  const id = transactionId(block.transactions[position]!.body);
  const response = await fetch(`${url}/v1/proofs/transactions/${id}`);
  return { id, status: response.status, body: (await response.json()) as any };
}

describe('GET /v1/proofs/transactions/:id after validator-set changes', () => {
  it('carries the hand-overs below the checkpoint, and the proof verifies from the genesis keys', async () => {
    const { id, status, body } = await proofOf(2, 1);
    expect(status).toBe(200);
    expect(transactionProofResponse.safeParse(body).success).toBe(true);
    expect(body.checkpoint.header.height).toBe(9);
    expect(body.epochChanges.map((change: any) => change.header.height)).toEqual([3, 6]);
    expect(body.epochChanges).toEqual(await store.epochChanges(9));
    expect(body.epochChanges[0].header.nextValidators).toEqual(stored.chain.epochs[1]!.members);
    expect(verifyTransactionProof(body, stored.chain.chainId, stored.chain.validators)).toMatchObject({ ok: true, txId: id, height: 2, checkpointHeight: 9, epoch: 2, validatorCount: 4 });
  });

  it('yields a proof that fails offline without its hand-overs', async () => {
    const { body } = await proofOf(7, 0);
    expect(verifyTransactionProof(body, stored.chain.chainId, stored.chain.validators)).toMatchObject({ ok: true, epoch: 2 });
    expect(verifyTransactionProof({ ...body, epochChanges: [] }, stored.chain.chainId, stored.chain.validators)).toMatchObject({ ok: false, step: 'certificate' });
    expect(verifyTransactionProof({ ...body, epochChanges: body.epochChanges.slice(1) }, stored.chain.chainId, stored.chain.validators)).toMatchObject({ ok: false, step: 'epoch-change' });
  });
});
