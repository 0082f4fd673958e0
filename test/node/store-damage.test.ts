/**
 * Damage found while running (issue 13), with a real validator in this process (a one-validator
 * testnet: a quorum of one commits on its own) and real stores on disk:
 * - a healthy ledger is scrubbed clean, a full pass with no findings, and the validator is ready;
 * - bytes changed in a table holding an old block (below the tail checked on open, so the
 *   validator starts) are named: the block route answers 500 store-damaged, the checked read
 *   returns the damage, the scrub logs it with the height and the remedy, sets the metrics, and
 *   /readyz answers 503 with storeDamage;
 * - the ledger's write-ahead log truncated after a stop drops committed blocks on reopen, and the
 *   validator says which, against the executed height its consensus store kept.
 * Every wait is for a condition; its timeout is a bound for a slow machine, never a measurement.
 */
import { readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { CustodiaClient } from '../../api/client.js';
import { createEventBuilders } from '../../api/epcis-builders.js';
import { loadKeyFile } from '../../ledger/files/key-file.js';
import { transactionId } from '../../ledger/model/transaction.js';
import { loadConfig, type NodeConfig } from '../../node/config.js';
import { ConsensusStore } from '../../node/consensus-store.js';
import { createLogger } from '../../node/logger.js';
import { freeBasePort } from '../../node/ports.js';
import { writeTestnet, type TestnetLayout } from '../../node/testnet.js';
import { startValidator, type RunningValidator } from '../../node/validator.js';
import { changeRecordInTables, compactStore } from '../support/store-damage.js';
import { temporaryDirectories } from '../support/temp-dir.js';
import { metric, waitUntil as waitUntilIn } from './support/in-process.js';

const temporaryDirectory = temporaryDirectories('store-damage');
const CHAIN_ID = 'custodia-store-damage';
const WAIT_MS = 90_000;
/** Blocks the store re-checks on open (STORE_LIMITS.tailBlocksChecked): damage must lie below them for the validator to start. */
const TAIL_BLOCKS_CHECKED = 100;

const waitUntil = (condition: () => Promise<boolean>, what: string, timeoutMs = WAIT_MS) => waitUntilIn(condition, what, timeoutMs);


async function readiness(validator: RunningValidator): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${validator.metricsUrl}/readyz`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** A logger whose JSON lines are kept for the test to read. */
function capturedLogger(id: string) {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger(id, 'info', destination), lines };
}

interface Testnet {
  layout: TestnetLayout;
  config: NodeConfig;
  ledgerDirectory: string;
}

async function oneValidatorTestnet(scrubBlocksPerSecond: number): Promise<Testnet> {
  const directory = await temporaryDirectory();
  const layout = await writeTestnet({ directory: join(directory, 'net'), validators: 1, basePort: await freeBasePort(1), chainId: CHAIN_ID, roundTimeoutBaseMs: 1000, idleProposalDelayMs: 10 });
  const configFile = layout.configFiles[0]!;
  const raw = JSON.parse(await readFile(configFile, 'utf8')) as Record<string, any>;
  raw.api.listen = '127.0.0.1:0';
  raw.metrics.listen = '127.0.0.1:0';
  raw.store = { scrubBlocksPerSecond, scrubBusyPercentMax: 100 };
  await writeFile(configFile, JSON.stringify(raw));
  const loaded = await loadConfig(configFile);
  if (!loaded.ok) throw new Error(loaded.message);
  return { layout, config: loaded.config, ledgerDirectory: join(loaded.config.dataDir, 'ledger') };
}

const running: RunningValidator[] = [];
async function start(testnet: Testnet) {
  const captured = capturedLogger(testnet.config.validatorId);
  const validator = await startValidator(testnet.config, { logger: captured.logger });
  running.push(validator);
  return { validator, lines: captured.lines };
}
async function stop(validator: RunningValidator): Promise<void> {
  await validator.stop();
  running.splice(running.indexOf(validator), 1);
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((validator) => validator.stop()));
});

/** Commits a few events signed by the demo farm; the height of their block and one transaction's id. */
async function commitEvents(testnet: Testnet, validator: RunningValidator): Promise<{ height: number; id: string }> {
  const key = await loadKeyFile(testnet.layout.participantKeyFiles['farm']!);
  if (!key.ok) throw new Error(key.message);
  const farm = { participant: key.key.label!, publicKey: key.key.keyPair.publicKey, seed: key.key.keyPair.seed };
  const events = createEventBuilders(() => '2026-01-01T00:00:00.000Z');
  const client = new CustodiaClient(validator.apiUrl!, CHAIN_ID, { timeoutMs: 30_000 });
  const transaction = client.transaction('epcis.capture', events.capture(events.commissionLot('urn:epc:class:lgtin:0614141.0012345.DAMAGE1', 10)), [farm]);
  expect((await client.submit(transaction, { wait: true, timeoutMs: 60_000 })).status).toBe('committed');
  const id = transactionId(transaction.body);
  const outcome = await validator.store.getTransactionOutcome(id);
  return { height: outcome!.height, id };
}

describe('damage found while a validator runs', () => {
  it('scrubs a healthy ledger clean, then names a block changed in an old table: 500 store-damaged, the metrics, and not ready', async () => {
    const testnet = await oneValidatorTestnet(500);
    const first = await start(testnet);
    await waitUntil(async () => (await readiness(first.validator)).status === 200, 'the validator ready');
    const damaged = await commitEvents(testnet, first.validator);

    // A healthy ledger: at least one full pass, nothing found, ready.
    await waitUntil(async () => (await metric(first.validator, 'custodia_scrub_passes_total')) >= 1, 'a full scrub pass');
    expect(await metric(first.validator, 'custodia_store_damage_found')).toBe(0);
    expect((await readiness(first.validator)).body).toMatchObject({ storeIntact: true });
    expect((await readiness(first.validator)).body['storeDamage']).toBeUndefined();

    // Idle blocks until the damaged one lies below the tail the store re-checks when it opens.
    await waitUntil(async () => first.validator.store.head().height > damaged.height + TAIL_BLOCKS_CHECKED + 5, 'blocks beyond the checked tail');
    const record = JSON.stringify(await first.validator.store.getBlock(damaged.height));
    await stop(first.validator);
    expect(first.lines.filter((line) => line['level'] === 50)).toEqual([]);

    await compactStore(testnet.ledgerDirectory, { compression: false });
    const nonce = /"nonce":"([^"]+)"/.exec(record)![1]!;
    await changeRecordInTables(testnet.ledgerDirectory, record, `"nonce":"${nonce}"`, `"nonce":"${nonce.slice(0, -1)}${nonce.endsWith('x') ? 'y' : 'x'}"`);

    const second = await start(testnet);
    const blockResponse = await fetch(`${second.validator.apiUrl}/v1/blocks/${damaged.height}`);
    expect(blockResponse.status).toBe(500);
    expect(await blockResponse.json()).toMatchObject({ code: 'store-damaged', height: damaged.height });
    // Read by id, the transaction comes from its own row (docs/encoding.md section 11), which the change did not reach.
    const byId = await second.validator.store.readTransaction(damaged.id);
    expect(byId).toMatchObject({ ok: true, value: { txId: damaged.id, height: damaged.height } });
    // The transaction as committed: its JSON is in the block record as it was before the change.
    expect(record).toContain(JSON.stringify(byId.ok ? byId.value?.transaction : undefined));

    await waitUntil(async () => (await readiness(second.validator)).status === 503 && (await metric(second.validator, 'custodia_scrub_passes_total')) >= 1, 'the scrub to find the damage');
    const ready = await readiness(second.validator);
    expect(ready.body).toMatchObject({ ready: false, storeIntact: false, storeDamage: { height: damaged.height } });
    expect(await metric(second.validator, 'custodia_store_damage_found')).toBe(1);
    expect(await metric(second.validator, 'custodia_store_damage_height')).toBe(damaged.height);
    const errors = second.lines.filter((line) => line['level'] === 50 && line['height'] === damaged.height);
    expect(errors.length).toBeGreaterThan(0);
    expect(String(errors[0]!['msg'])).toContain(`the ledger store is damaged at height ${damaged.height}`);
    expect(String(errors[0]!['remedy'])).toContain('move');
    expect(errors.filter((line) => String(line['msg']).startsWith('the ledger store is damaged'))).toHaveLength(1);
  }, 300_000);

  it("names the committed blocks LevelDB recovery dropped when the ledger's write-ahead log was truncated", async () => {
    const testnet = await oneValidatorTestnet(0);
    const first = await start(testnet);
    await waitUntil(async () => first.validator.store.head().height >= 40, 'forty blocks');
    await stop(first.validator);
    const executed = first.validator.store.head().height;
    const consensus = await ConsensusStore.open(join(testnet.config.dataDir, 'consensus'));
    expect(consensus.executedHeightMark()).toBe(executed);
    await consensus.close();

    // Every block since the ledger opened is still in its write-ahead log (nothing was compacted): cut its second half off.
    const logs = (await readdir(testnet.ledgerDirectory)).filter((name) => name.endsWith('.log'));
    expect(logs).toHaveLength(1);
    const log = join(testnet.ledgerDirectory, logs[0]!);
    await truncate(log, Math.floor((await stat(log)).size / 2));

    const second = await start(testnet);
    const warning = second.lines.find((line) => String(line['msg']).startsWith('LevelDB recovery dropped committed blocks'));
    expect(warning).toBeDefined();
    const ledgerHeight = warning!['ledgerHeight'] as number;
    expect(ledgerHeight).toBeGreaterThan(0);
    expect(ledgerHeight).toBeLessThan(executed);
    expect(warning!['msg']).toBe(`LevelDB recovery dropped committed blocks ${ledgerHeight + 1}..${executed}; they will be fetched again from peers`);
    expect(warning!['level']).toBe(40);
    expect(await metric(second.validator, 'custodia_store_recovered_blocks_dropped')).toBe(executed - ledgerHeight);
  }, 300_000);
});
