/**
 * A stand-in validator for the monitor tests: an HTTP server with the real C2SP routes
 * (api/http/tlog-routes.ts) and block route over a real BlockStore, whose checkpoint is signed
 * by the TestChain's validator keys (of the epoch after the head, unless the test names another
 * set) — so a forged log served here carries signatures as valid as the honest one's. Which
 * store it serves can be switched while it runs.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { tlogRoutes } from '../../../api/http/tlog-routes.js';
import { fromHex } from '../../../ledger/encoding/hex.js';
import type { BlockStore } from '../../../ledger/store/block-store.js';
import { chainOrigin, formatCheckpointText, validatorKeyName } from '../../../ledger/tlog/checkpoint.js';
import { signNoteText } from '../../../ledger/tlog/note.js';
import { blockRoutes } from '../../../node/http/block-routes.js';
import { errorHandler, notFoundHandler } from '../../../node/http/errors.js';
import type { NodeConfig } from '../../../node/config.js';
import type { TestChain, TestEpoch } from '../../support/test-chain.js';

export interface FakeLogNode {
  url: string;
  /** Serve another store from now on, its checkpoint signed by `signers` (indices into the signing set; default a quorum). */
  serve(store: BlockStore, signers?: number[]): void;
  close(): Promise<void>;
}

export async function startFakeLogNode(chain: TestChain, store: BlockStore, signers?: number[], epoch?: TestEpoch): Promise<FakeLogNode> {
  const origin = chainOrigin(chain.chainId);
  let current: { store: BlockStore; signers: number[]; epoch?: TestEpoch | undefined } = { store, signers: signers ?? [0, 1, 2], epoch };
  const served = () => {
    const head = current.store.head();
    const text = formatCheckpointText({ origin, size: head.logSize, rootHash: fromHex(head.logRoot) });
    // Signed by the set of the epoch after the head, as validators do (or by a set named for the test).
    const epoch = current.epoch ?? chain.epochAt(head.height + 1);
    const lines = current.signers.map((index) => signNoteText(text, validatorKeyName(origin, epoch.members[index]!.id), epoch.keys[index]!.seed, epoch.keys[index]!.publicKey));
    return { checkpoint: { epoch: epoch.number, size: head.logSize, rootHex: head.logRoot, text, signatureLines: lines }, note: `${text}\n${lines.join('')}`, cosignatureLines: [] };
  };
  const context = {
    config: { chainId: chain.chainId, tlog: { witnesses: [] } } as unknown as NodeConfig,
    get store() {
      return current.store;
    },
    checkpoints: { served },
  };
  const app = express();
  app.use((request, response, next) => (request.path.startsWith('/v1/blocks/') ? blockRoutes(current.store)(request, response, next) : next()));
  // A new router per store: the routes cache full entry bundles, which a real node's store never changes under.
  const routesFor = () => tlogRoutes(context, { require: async (_request, _response, next) => next() });
  let routes = routesFor();
  app.use((request, response, next) => routes(request, response, next));
  app.use(notFoundHandler);
  app.use(errorHandler(() => undefined));
  const server: Server = createServer(app);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    serve: (next, nextSigners) => {
      current = { store: next, signers: nextSigners ?? [0, 1, 2] };
      routes = routesFor();
    },
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
