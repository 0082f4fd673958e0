/**
 * Starts a participant gateway (issue 14; docs/epcis.md, "Participant gateway"): the participant's
 * key, the chain's genesis (a --genesis file, else the copy pinned in the data folder, else
 * fetched from the first validator that answers and pinned: trust on first use), the durable
 * outbox and the binding's own store (named queries, subscriptions and their cursors) under the
 * data folder, the forwarder, the block feed that subscriptions follow, and an HTTP server on the
 * local address serving, behind the bearer token:
 *
 *   /epcis/...                          the GS1 EPCIS 2.0 REST binding (api/epcis-rest), signed here,
 *                                       webhook and WebSocket subscriptions included
 *   GET /gateway/status                 the outbox's counts, each validator's health, the feed's head
 *   GET /gateway/captures/{id}/proof    a committed capture's transaction proof, checked here first
 *
 * Everything else is a 404 problem. A graceful stop finishes running requests, stops the
 * forwarder and closes the stores; a kill -9 loses nothing the outbox accepted.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { loadKeyFile } from '../../ledger/files/key-file.js';
import { readGenesisFile } from '../../ledger/files/genesis-file.js';
import { loadGenesis, type GenesisLoad } from '../../ledger/model/genesis.js';
import type { TransactionSigner } from '../../ledger/model/transaction.js';
import { verifyTransactionProof } from '../../ledger/verify/proof.js';
import { parseStrictJson } from '../../ledger/encoding/strict-json.js';
import { ApiError, answerClientErrorsInJson } from '../../node/http/errors.js';
import { HttpLifecycle } from '../../node/http/lifecycle.js';
import { epcisRestBinding } from '../../api/epcis-rest/routes.js';
import { problemHandler, problemNotFound } from '../../api/epcis-rest/problem.js';
import { BindingStore } from '../../api/epcis-rest/store.js';
import type { WebhookOptions } from '../../api/epcis-rest/subscriptions.js';
import { epcisXmlFormat } from '../../api/epcis-xml/rest-format.js';
import { writeFileDurably } from '../durable-file.js';
import { BlockFeed, DEFAULT_BLOCK_FEED_OPTIONS, type BlockFeedOptions } from './block-feed.js';
import { DEFAULT_FORWARDER_OPTIONS, Forwarder, type ForwarderOptions } from './forwarder.js';
import { GATEWAY_BASE_PATH, gatewayBackend } from './gateway-backend.js';
import { LocalAuthenticator, loadOrCreateToken } from './local-auth.js';
import { DEFAULT_OUTBOX_LIMITS, Outbox, type OutboxLimits } from './outbox.js';
import { DEFAULT_LINK_OPTIONS, NoValidatorAvailable, ValidatorLink, type ValidatorLinkOptions } from './validator-link.js';

export const GATEWAY_EPCIS_PATH = '/epcis';
/** Concurrent connections from local clients. */
export const GATEWAY_CONNECTIONS_MAX = 256;
/** A request must arrive whole within this (a slow client holds no socket for ever). */
const REQUEST_TIMEOUT_MS = 60_000;
/** Running requests get this long to finish on a graceful stop. */
const STOP_GRACE_MS = 5_000;
const GENESIS_BYTES_MAX = 16 * 1024 * 1024;

export interface GatewayLogger {
  info(message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface GatewayStartOptions {
  keyFile: string;
  /** The participant to sign as; the key file's label by default. */
  as?: string;
  validators: readonly string[];
  listen: { host: string; port: number };
  dataDirectory: string;
  /** The bearer token's file; `<data>/token` by default, created (0600) when absent. */
  tokenFile?: string;
  genesisFile?: string;
  logger: GatewayLogger;
  outboxLimits?: Partial<OutboxLimits>;
  link?: Partial<Omit<ValidatorLinkOptions, 'urls' | 'chainId' | 'signer'>>;
  forwarder?: Partial<Omit<ForwarderOptions, 'chainId' | 'validators' | 'warn'>>;
  feed?: Partial<Omit<BlockFeedOptions, 'participant' | 'warn'>>;
  /**
   * Webhook timings and limits. Destinations on private and loopback addresses are allowed by
   * default here: the gateway's subscribers are the participant's own systems, on its own network.
   */
  webhooks?: Partial<WebhookOptions>;
}

export interface RunningGateway {
  url: string;
  participant: string;
  chainId: string;
  /** The token, when this start created its file (to be shown once); undefined otherwise. */
  createdToken?: string;
  tokenFile: string;
  outbox: Outbox;
  /** The validators as captures and reads use them. */
  link: ValidatorLink;
  /** The validators as the block feed of subscriptions uses them: its own failover, so that neither holds the other back. */
  feedLink: ValidatorLink;
  close(): Promise<void>;
}

export type GatewayStart = ({ ok: true } & RunningGateway) | { ok: false; message: string };

const genesisAnswer = z.object({ hash: z.string(), genesis: z.unknown() });

/** The genesis from the file given, else the pinned copy, else the first validator that serves one (then pinned). */
async function chainGenesis(options: GatewayStartOptions, signer: TransactionSigner): Promise<GenesisLoad> {
  if (options.genesisFile !== undefined) return readGenesisFile(options.genesisFile);
  const pinned = join(options.dataDirectory, 'genesis.json');
  try {
    const parsed = parseStrictJson(await readFile(pinned, 'utf8'), { bytesMax: GENESIS_BYTES_MAX });
    if (!parsed.ok) return { ok: false, message: `${pinned}: ${parsed.error.message}`, path: '' };
    return loadGenesis(parsed.value);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return { ok: false, message: `cannot read ${pinned}: ${(error as Error).message}`, path: '' };
  }
  // Unsigned reads: the chain id is not known yet, and /v1/genesis needs no credential.
  const link = new ValidatorLink({ ...DEFAULT_LINK_OPTIONS, ...options.link, urls: options.validators, chainId: '', signer });
  for (const validator of link.validators) {
    try {
      const answer = await link.request(validator, 'GET', '/v1/genesis');
      const served = genesisAnswer.safeParse(answer.json);
      if (answer.status !== 200 || !served.success) continue;
      const loaded = loadGenesis(served.data.genesis);
      if (!loaded.ok || loaded.hash !== served.data.hash) continue;
      await writeFileDurably(pinned, `${JSON.stringify(loaded.genesis, null, 2)}\n`);
      options.logger.info(`pinned the genesis of chain ${loaded.genesis.chainId} (hash ${loaded.hash}) from ${validator.url} in ${pinned} (trust on first use; --genesis FILE pins one you checked)`);
      return loaded;
    } catch {
      continue;
    }
  }
  return { ok: false, message: `no validator served the chain's genesis (${options.validators.join(', ')}); a first start needs one, or --genesis FILE`, path: '' };
}

export async function startGateway(options: GatewayStartOptions): Promise<GatewayStart> {
  if (options.validators.length === 0) return { ok: false, message: 'no validator given: --node URL[,URL...]' };
  const key = await loadKeyFile(options.keyFile);
  if (!key.ok) return { ok: false, message: key.message };
  const participant = options.as ?? key.key.label;
  if (participant === undefined) return { ok: false, message: `the key file ${options.keyFile} has no label; name the participant with --as` };
  const signer: TransactionSigner = { participant, publicKey: key.key.keyPair.publicKey, seed: key.key.keyPair.seed };
  await mkdir(options.dataDirectory, { recursive: true, mode: 0o700 });
  const tokenFile = options.tokenFile ?? join(options.dataDirectory, 'token');
  const token = await loadOrCreateToken(tokenFile);
  if (!token.ok) return token;
  const genesis = await chainGenesis(options, signer);
  if (!genesis.ok) return { ok: false, message: genesis.message };
  const chainId = genesis.genesis.chainId;

  let outbox: Outbox;
  try {
    outbox = await Outbox.open(join(options.dataDirectory, 'outbox'), { ...DEFAULT_OUTBOX_LIMITS, ...options.outboxLimits });
  } catch (error) {
    // Locked by another gateway on the same folder, or damaged: never guessed at.
    return { ok: false, message: `cannot open the outbox in ${options.dataDirectory}: ${(error as Error).message}${(error as { cause?: Error }).cause === undefined ? '' : ` (${(error as { cause: Error }).cause.message})`}` };
  }
  const storage = new BindingStore(join(options.dataDirectory, 'epcis-rest'));
  const link = new ValidatorLink({ ...DEFAULT_LINK_OPTIONS, ...options.link, urls: options.validators, chainId, signer });
  const forwarder = new Forwarder(outbox, link, { ...DEFAULT_FORWARDER_OPTIONS, ...options.forwarder, chainId, validators: genesis.validators, warn: options.logger.warn });
  const authenticator = new LocalAuthenticator(token.token);
  const feedLink = new ValidatorLink({ ...DEFAULT_LINK_OPTIONS, ...options.link, urls: options.validators, chainId, signer });
  const feed = new BlockFeed(feedLink, { ...DEFAULT_BLOCK_FEED_OPTIONS, ...options.feed, participant, warn: options.logger.warn });
  const backend = gatewayBackend({ chainId, signer, outbox, link, storage, feed, authenticator, accepted: () => forwarder.wake(), warn: options.logger.warn });
  const binding = epcisRestBinding(backend, GATEWAY_EPCIS_PATH, { formats: [epcisXmlFormat], webhooks: { privateDestinations: true, ...options.webhooks } });
  await binding.start();

  const lifecycle = new HttpLifecycle();
  const app = express();
  app.disable('x-powered-by');
  app.use(lifecycle.middleware);
  app.use(authenticator.middleware);
  app.get(`${GATEWAY_BASE_PATH}/status`, (_request: Request, response: Response) => {
    const now = Date.now();
    const health = (validators: ValidatorLink['validators']) =>
      validators.map((validator) => ({ url: validator.url, reachable: validator.failures === 0, failures: validator.failures, retryInMs: Math.max(0, validator.retryAt - now), ...(validator.lastError === undefined ? {} : { lastError: validator.lastError }) }));
    const head = feed.head();
    response.json({
      participant,
      chainId,
      outbox: { ...outbox.counts(), entriesMax: outbox.limits.entriesMax, bytesMax: outbox.limits.bytesMax },
      validators: health(link.validators),
      feed: { ...(head === undefined ? {} : { head }), validators: health(feedLink.validators) },
    });
  });
  app.get(`${GATEWAY_BASE_PATH}/captures/:captureID/proof`, async (request: Request, response: Response) => {
    const id = String(request.params['captureID']);
    const record = /^[0-9a-f]{64}$/.test(id) ? outbox.byId(id) : undefined;
    if (record === undefined || record.proven !== true) throw new ApiError(404, 'not-found', `no capture ${id.slice(0, 80)} proven committed through this gateway`, 'captureID');
    let answer;
    try {
      answer = await link.read(`/v1/proofs/transactions/${id}`);
    } catch (error) {
      if (error instanceof NoValidatorAvailable) throw new ApiError(503, 'no-validator-reachable', 'no validator answers the gateway now', '', { 'Retry-After': String(Math.max(1, Math.ceil(error.retryInMs / 1000))) });
      throw error;
    }
    const verdict = verifyTransactionProof(answer.json, chainId, genesis.validators);
    if (answer.status !== 200 || !verdict.ok || verdict.txId !== id) throw new ApiError(502, 'bad-proof', 'the validator served no proof of this capture that verifies against the genesis keys', '');
    response.json(answer.json);
  });
  app.use(GATEWAY_EPCIS_PATH, binding.router);
  app.use((request: Request, response: Response) => problemNotFound(request, response));
  app.use(problemHandler((error) => options.logger.warn({ error }, 'gateway request failed')));

  const server = createServer({ requestTimeout: REQUEST_TIMEOUT_MS }, app);
  server.maxConnections = GATEWAY_CONNECTIONS_MAX;
  answerClientErrorsInJson(server);
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!binding.upgrade(request, socket, head)) socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.listen.port, options.listen.host, () => resolve());
    });
  } catch (error) {
    await binding.stop();
    await Promise.all([outbox.close(), storage.close()]);
    return { ok: false, message: `cannot listen on ${options.listen.host}:${options.listen.port}: ${(error as Error).message}` };
  }
  forwarder.start();
  feed.start();
  const port = (server.address() as AddressInfo).port;
  return {
    ok: true,
    url: `http://${options.listen.host.includes(':') ? `[${options.listen.host}]` : options.listen.host}:${port}`,
    participant,
    chainId,
    ...(token.created ? { createdToken: token.token } : {}),
    tokenFile,
    outbox,
    link,
    feedLink,
    close: async () => {
      await lifecycle.stop(STOP_GRACE_MS);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await binding.stop();
      await Promise.all([forwarder.stop(), feed.stop()]);
      await Promise.all([outbox.close(), storage.close()]);
    },
  };
}
