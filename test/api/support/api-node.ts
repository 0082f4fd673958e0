/**
 * One real validator for the HTTP API tests: a one-validator testnet (a quorum of one commits on
 * its own) written to a temporary folder, started in-process with the query API mounted and
 * listening on ephemeral ports, with read tokens for the regulator (who reads everything), the
 * farm and the retailer, and the devnet's demo supply chain submitted through the public API.
 */
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiRoutes } from '../../../api/http/index.js';
import type { StreamOptions } from '../../../api/http/stream-routes.js';
import type { EpcisRestOptions } from '../../../api/epcis-rest/index.js';
import { CustodiaClient, type ReadCredential } from '../../../api/client.js';
import { liveEventBuilders } from '../../../api/epcis-builders.js';
import type { JsonValue } from '../../../ledger/encoding/canonical-json.js';
import { loadKeyFile } from '../../../ledger/files/key-file.js';
import type { TransactionSigner } from '../../../ledger/model/transaction.js';
import { loadConfig } from '../../../node/config.js';
import { silentLogger } from '../../../node/logger.js';
import { DEMO_PARTICIPANTS, writeTestnet, type TestnetLayout } from '../../../node/testnet.js';
import { startValidator, type RunningValidator } from '../../../node/validator.js';
import { runDemo, type DemoResult } from '../../../tools/devnet/demo.js';
import { answerOf, type Answer } from '../../support/http-answer.js';

export const CHAIN_ID = 'custodia-api-test';
/** Fast heartbeats so that a test sees one without waiting the production interval. */
export const TEST_HEARTBEAT_INTERVAL_MS = 200;

export const TOKENS = {
  regulator: 'regulator-read-token-0123456789',
  farm: 'farm-read-token-0123456789abcdef',
  retailer: 'retailer-read-token-0123456789ab',
  carrier: 'carrier-read-token-0123456789abc',
} as const;

export type DemoName = (typeof DEMO_PARTICIPANTS)[number]['name'];

/** Events beyond the demo's, for the query parameters the demo does not exercise. */
export interface Extras {
  /** Commissioned by the farm; A is transformed into C; B is shipped to the retailer, who receives it. */
  itemA: string;
  itemB: string;
  itemC: string;
  commissioningEventId: string;
  transformationEventId: string;
  shippingEventId: string;
  bizLocation: string;
  readPoint: string;
  /** A purchase order number with a comma: CSV must quote it. */
  purchaseOrder: string;
  retailerLocation: string;
  farmTransactionId: string;
  receiptTransactionId: string;
  /** Waits on the laboratory's approval. */
  pendingApprovalId: string;
}

export interface ApiNode {
  /** The API's address; it changes when the validator restarts (ephemeral ports). */
  readonly url: string;
  genesisFile: string;
  /** The demo participants' key files, by name (labelled with their participant ids). */
  participantKeyFiles: Record<string, string>;
  readonly validator: RunningValidator;
  /** Stops the validator and starts it again on the same data, configuration and keys. */
  restart: () => Promise<void>;
  demo: DemoResult;
  extras: Extras;
  signers: Record<string, TransactionSigner>;
  participantId: (name: string) => string;
  /** A client reading with a participant's read token. */
  as: (name: keyof typeof TOKENS) => CustodiaClient;
  /** A client reading with requests signed by a participant's key. */
  signedAs: (name: string) => CustodiaClient;
  client: (credential?: ReadCredential) => CustodiaClient;
  close: () => Promise<void>;
}

export interface ApiNodeOptions {
  stream?: StreamOptions;
  epcis?: EpcisRestOptions;
  rateLimit?: { requestsPerSecondPerAddress: number; requestsBurstPerAddress: number };
  /** Changes the validator's config (as JSON, paths relative to its file) before it starts. */
  configure?: (config: Record<string, any>, layout: TestnetLayout, configFile: string) => void | Promise<void>;
}

export async function startApiNode(options: ApiNodeOptions = {}): Promise<ApiNode> {
  const directory = await mkdtemp(join(tmpdir(), 'custodia-api-'));
  const layout = await writeTestnet({ directory: join(directory, 'net'), validators: 1, basePort: 20_000, chainId: CHAIN_ID, roundTimeoutBaseMs: 1000, idleProposalDelayMs: 50 });
  const configFile = layout.configFiles[0]!;
  const config = JSON.parse(await readFile(configFile, 'utf8')) as Record<string, any>;
  const id = (name: string) => DEMO_PARTICIPANTS.find((participant) => participant.name === name)!.id;
  // Ephemeral ports: parallel test files never collide.
  config.p2p.listen = '127.0.0.1:0';
  config.api.listen = '127.0.0.1:0';
  config.metrics.listen = '127.0.0.1:0';
  config.log.level = 'error';
  config.api.readTokens = Object.entries(TOKENS).map(([name, token]) => ({ token, participant: id(name), scope: 'read' }));
  if (options.rateLimit !== undefined) config.api.rateLimit = options.rateLimit;
  await options.configure?.(config, layout, configFile);
  await writeFile(configFile, JSON.stringify(config, null, 2));
  const loaded = await loadConfig(configFile);
  if (!loaded.ok) throw new Error(loaded.message);
  const start = () =>
    startValidator(loaded.config, {
      logger: silentLogger(),
      routes: (context) => apiRoutes(context, { stream: { heartbeatIntervalMs: TEST_HEARTBEAT_INTERVAL_MS, ...options.stream }, ...(options.epcis === undefined ? {} : { epcis: options.epcis }) }),
    });
  let validator = await start();
  const signers: Record<string, TransactionSigner> = {};
  for (const participant of DEMO_PARTICIPANTS) {
    const key = await loadKeyFile(layout.participantKeyFiles[participant.name]!);
    if (!key.ok) throw new Error(key.message);
    signers[participant.name] = { participant: participant.id, publicKey: key.key.keyPair.publicKey, seed: key.key.keyPair.seed };
  }
  let apiUrl = validator.apiUrl!;
  let demo: DemoResult;
  try {
    demo = await runDemo(apiUrl, CHAIN_ID, layout.participantKeyFiles, () => undefined);
  } catch (error) {
    await validator.stop();
    throw error;
  }
  const client = (credential?: ReadCredential) => new CustodiaClient(apiUrl, CHAIN_ID, { timeoutMs: 30_000, ...(credential === undefined ? {} : { credential }) });
  const extras = await submitExtras(client(), signers, id);
  return {
    get url() {
      return apiUrl;
    },
    get validator() {
      return validator;
    },
    restart: async () => {
      await validator.stop();
      validator = await start();
      apiUrl = validator.apiUrl!;
    },
    genesisFile: layout.genesisFile,
    participantKeyFiles: layout.participantKeyFiles,
    demo,
    extras,
    signers,
    participantId: id,
    as: (name) => client({ token: TOKENS[name] }),
    signedAs: (name) => client({ participant: signers[name]!.participant, seed: signers[name]!.seed }),
    client,
    close: async () => {
      await validator.stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

async function submitExtras(client: CustodiaClient, signers: Record<string, TransactionSigner>, id: (name: string) => string): Promise<Extras> {
  const events = liveEventBuilders();
  const submit = async (type: string, payload: JsonValue, by: string[]) => {
    const transaction = client.transaction(type, payload, by.map((name) => signers[name]!));
    const status = await client.submit(transaction, { wait: true, timeoutMs: 30_000 });
    if (status.status !== 'committed') throw new Error(`extra ${type} by ${by.join(', ')} did not commit: ${JSON.stringify(status)}`);
    return client.idOf(transaction);
  };
  const extras = {
    itemA: 'urn:epc:id:sgtin:0614141.0012345.APIA',
    itemB: 'urn:epc:id:sgtin:0614141.0012345.APIB',
    itemC: 'urn:epc:id:sgtin:0614141.0012345.APIC',
    commissioningEventId: 'urn:uuid:6a1f0e32-2f5b-4c41-9d1e-000000000001',
    transformationEventId: 'urn:uuid:6a1f0e32-2f5b-4c41-9d1e-000000000002',
    shippingEventId: 'urn:uuid:6a1f0e32-2f5b-4c41-9d1e-000000000003',
    bizLocation: 'urn:epc:id:sgln:0614141.00001.0',
    readPoint: 'urn:epc:id:sgln:0614141.00001.7',
    purchaseOrder: 'urn:example:po:4711,A',
    retailerLocation: 'urn:epc:id:sgln:0614145.00001.0',
  };
  const place = { bizLocation: { id: extras.bizLocation }, readPoint: { id: extras.readPoint } };
  const farmTransactionId = await submit(
    'epcis.capture',
    events.capture(
      events.commissioning([extras.itemA, extras.itemB], { eventID: extras.commissioningEventId, ...place }),
      {
        type: 'TransformationEvent',
        eventTime: new Date().toISOString(),
        eventTimeZoneOffset: '+00:00',
        bizStep: 'commissioning',
        inputEPCList: [extras.itemA],
        outputEPCList: [extras.itemC],
        eventID: extras.transformationEventId,
        ...place,
      },
      events.shipping({ epcs: [extras.itemB] }, id('retailer'), {
        eventID: extras.shippingEventId,
        bizTransactionList: [{ type: 'po', bizTransaction: extras.purchaseOrder }],
        destinationList: [
          { type: 'owning_party', destination: id('retailer') },
          { type: 'location', destination: extras.retailerLocation },
        ],
      }),
    ),
    ['farm'],
  );
  const receiptTransactionId = await submit('epcis.capture', events.capture(events.receiving({ epcs: [extras.itemB] }, id('farm'))), ['retailer']);
  const pendingApprovalId = await submit(
    'approval.request',
    {
      action: { type: 'certificate.record', payload: { documentHash: 'ab'.repeat(32), kind: 'organic', subject: extras.itemC } },
      policy: { ordered: false, stages: [{ required: 1, approvers: [{ role: 'laboratory' }] }] },
      deadline: Date.now() + 86_400_000,
    },
    ['farm'],
  );
  return { ...extras, farmTransactionId, receiptTransactionId, pendingApprovalId };
}

/**
 * GET with a bearer token (or none), answering status, headers and the parsed JSON (or text).
 * A GET is idempotent: one whose kept-alive connection the server closed just as it was reused
 * (ECONNRESET on a loaded machine) is sent again, as the typed client does, rather than failing
 * the test; any answer the server gave is returned as it is.
 */
export async function get(url: string, token?: string, headers: Record<string, string> = {}): Promise<Answer> {
  const init = { headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...headers } };
  let response: Response;
  for (let attempt = 1; ; attempt++) {
    try {
      response = await fetch(url, init);
      break;
    } catch (error) {
      const code = (error as { cause?: { code?: unknown } }).cause?.code;
      if (attempt >= 3 || !(error instanceof TypeError) || (code !== 'UND_ERR_SOCKET' && code !== 'ECONNRESET')) throw error;
    }
  }
  return answerOf(response);
}
