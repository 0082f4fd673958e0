/**
 * A real network for multi-process tests: a testnet written to a temporary folder, validators
 * started as separate `custodia start` processes on 127.0.0.1, and helpers to submit events,
 * kill -9, stop, restart and compare chains.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { CustodiaClient } from '../../../api/client.js';
import { createEventBuilders } from '../../../api/epcis-builders.js';
import { loadKeyFile } from '../../../ledger/files/key-file.js';
import type { TransactionSigner } from '../../../ledger/model/transaction.js';
import { freeBasePort } from '../../../node/ports.js';
import { portsOf, writeTestnet, type TestnetLayout } from '../../../node/testnet.js';

const binary = fileURLToPath(new URL('../../../tools/bin/custodia.mjs', import.meta.url));
export const CHAIN_ID = 'custodia-multiprocess';

async function participantSigner(layout: TestnetLayout, name: string): Promise<TransactionSigner> {
  const key = await loadKeyFile(layout.participantKeyFiles[name]!);
  if (!key.ok) throw new Error(key.message);
  return { participant: key.key.label!, publicKey: key.key.keyPair.publicKey, seed: key.key.keyPair.seed };
}

export class LocalNetwork {
  readonly processes: Array<ChildProcess | undefined> = [];
  private eventSerial = 0;
  private readonly events = createEventBuilders(() => new Date(Date.UTC(2026, 0, 1) + this.eventSerial * 1000).toISOString());

  private constructor(
    readonly directory: string,
    readonly layout: TestnetLayout,
    readonly basePort: number,
    readonly size: number,
    private readonly farm: TransactionSigner,
  ) {}

  /**
   * Writes a testnet of `size` validators and starts those the genesis names (the first
   * `genesisValidators`, all by default); the others wait for a test to start them.
   */
  static async create(size = 4, options: { genesisValidators?: number } = {}): Promise<LocalNetwork> {
    const directory = await mkdtemp(join(tmpdir(), 'custodia-network-'));
    const basePort = await freeBasePort(size);
    const genesisValidators = options.genesisValidators ?? size;
    const layout = await writeTestnet({ directory: join(directory, 'net'), validators: size, genesisValidators, basePort, chainId: CHAIN_ID, roundTimeoutBaseMs: 1000, idleProposalDelayMs: 200 });
    const network = new LocalNetwork(directory, layout, basePort, size, await participantSigner(layout, 'farm'));
    const started = network.indices().slice(0, genesisValidators);
    for (const index of started) network.start(index);
    try {
      await network.waitUntil(async () => (await Promise.all(started.map((index) => network.ready(index)))).every(Boolean), 60_000, 'all validators ready');
    } catch (error) {
      // The caller never gets the network to close: stop its processes here, or they outlive the test run.
      await network.close();
      throw error;
    }
    return network;
  }

  /**
   * One network (of 4 validators unless told) for a whole test file: created before its tests (handed to
   * `receive`) and closed after them.
   */
  static forEachFile(receive: (network: LocalNetwork) => void, size = 4): void {
    let created: LocalNetwork | undefined;
    beforeAll(async () => {
      created = await LocalNetwork.create(size);
      receive(created);
    }, 90_000);
    afterAll(async () => {
      await created?.close();
    });
  }

  /** A demo participant's signer (farm, admin1, ...; see node/testnet.ts). */
  async signer(name: string): Promise<TransactionSigner> {
    return participantSigner(this.layout, name);
  }

  indices(): number[] {
    return Array.from({ length: this.size }, (_, index) => index);
  }

  client(index: number): CustodiaClient {
    return new CustodiaClient(this.layout.apiUrls[index]!, CHAIN_ID, { timeoutMs: 30_000 });
  }

  start(index: number): void {
    const log = openSync(join(this.directory, `validator-${index}.log`), 'a');
    this.processes[index] = spawn(process.execPath, [binary, 'start', '--config', this.layout.configFiles[index]!], { stdio: ['ignore', log, log] });
  }

  async ready(index: number): Promise<boolean> {
    try {
      return (await fetch(`http://127.0.0.1:${portsOf(this.basePort, index).metrics}/readyz`, { signal: AbortSignal.timeout(2000) })).ok;
    } catch {
      return false;
    }
  }

  /** kill -9: no chance to flush or close anything. */
  async kill(index: number): Promise<void> {
    const child = this.processes[index];
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** A graceful stop (SIGTERM). */
  async stop(index: number): Promise<number | null> {
    const child = this.processes[index];
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    return exited;
  }

  /** One commissioning event signed by the demo farm; a distinct lot each time. */
  commissioningTransaction(client: CustodiaClient) {
    this.eventSerial += 1;
    const lot = `urn:epc:class:lgtin:0614141.0012345.MP${this.eventSerial}`;
    return client.transaction('epcis.capture', this.events.capture(this.events.commissionLot(lot, 10)), [this.farm]);
  }

  /** Submits `count` commissioning events to validator `index` and waits for each to commit; their statuses. */
  async submitAndWait(index: number, count: number, timeoutMs = 60_000): Promise<string[]> {
    const client = this.client(index);
    const transactions = Array.from({ length: count }, () => this.commissioningTransaction(client));
    const statuses = await Promise.all(transactions.map((transaction) => client.submit(transaction, { wait: true, timeoutMs })));
    return statuses.map((status) => status.status);
  }

  /** One sample of a validator's Prometheus metric (its unlabelled series, or the series named with its labels); 0 when absent. */
  async metric(index: number, name: string): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${portsOf(this.basePort, index).metrics}/metrics`)).text();
    const line = text.split('\n').find((entry) => entry.startsWith(`${name} `));
    return line === undefined ? 0 : Number(line.split(' ')[1]);
  }

  async height(index: number): Promise<number> {
    return (await this.client(index).head()).height;
  }

  async heads(indices = this.indices()) {
    return Promise.all(indices.map((index) => this.client(index).head()));
  }

  async waitUntil(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await condition().catch(() => false)) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  async close(): Promise<void> {
    await Promise.all(this.indices().map((index) => this.kill(index)));
    // Set CUSTODIA_KEEP_TEST_NETWORK=1 to keep the logs and data of a failing run.
    if (process.env['CUSTODIA_KEEP_TEST_NETWORK'] === undefined) await rm(this.directory, { recursive: true, force: true });
  }
}
