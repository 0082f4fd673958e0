/**
 * Overload (issue 12): a validator flooded far beyond what it commits in its target delay refuses
 * the excess with 503 `overloaded` and Retry-After (node/admission-control.ts), stays responsive
 * (health, reads and status answer while it is flooded), and every transaction it admitted still
 * commits, at both validators of a two-validator network whose second one received them in
 * batched relay frames (node/relay-batch.ts). Two real validators run in this process, on real
 * sockets; nothing here measures time: every wait is for a condition, its timeout a bound.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../node/config.js';
import { silentLogger } from '../../node/logger.js';
import { freeBasePort } from '../../node/ports.js';
import { writeTestnet } from '../../node/testnet.js';
import { startValidator, type RunningValidator } from '../../node/validator.js';
import { presign, type Workload } from '../../tools/bench/workload.js';
import { temporaryDirectories } from '../support/temp-dir.js';
import { metric, waitUntil as waitUntilIn } from './support/in-process.js';

const temporaryDirectory = temporaryDirectories('overload');
const CHAIN_ID = 'custodia-overload';
/** Batches sent at once to the flooded validator, each of this many transactions. */
const FLOOD_REQUESTS = 4;
const FLOOD_BATCH = 250;
const WAIT_MS = 45_000;

const waitUntil = (condition: () => Promise<boolean>, what: string, timeoutMs = WAIT_MS) => waitUntilIn(condition, what, timeoutMs);


type Outcome = { id?: string; status: string; httpStatus?: number; code?: string };

async function postBatch(validator: RunningValidator, bodies: string[]): Promise<{ status: number; retryAfter: string | null; outcomes: Outcome[] }> {
  const response = await fetch(`${validator.apiUrl}/v1/transactions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `[${bodies.join(',')}]` });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), outcomes: (await response.json()) as Outcome[] };
}

async function committed(validator: RunningValidator, id: string): Promise<boolean> {
  const response = await fetch(`${validator.apiUrl}/v1/transactions/${id}`);
  return response.ok && ((await response.json()) as { status: string }).status === 'committed';
}

describe('a validator flooded beyond what it commits in its target delay', () => {
  const validators: RunningValidator[] = [];
  let workload: Workload;

  beforeAll(async () => {
    const directory = await temporaryDirectory();
    const layout = await writeTestnet({ directory: join(directory, 'net'), validators: 2, basePort: await freeBasePort(2), chainId: CHAIN_ID, roundTimeoutBaseMs: 1000, idleProposalDelayMs: 50 });
    for (const configFile of layout.configFiles) {
      const config = JSON.parse(await readFile(configFile, 'utf8')) as Record<string, any>;
      config.api.listen = '127.0.0.1:0';
      config.metrics.listen = '127.0.0.1:0';
      config.log.level = 'error';
      // A small bound: at most 5 pending before any commit is measured, never more than 40.
      config.admission = { targetDelayMs: 200, pendingFloor: 5 };
      config.mempool = { transactionsMax: 40 };
      await writeFile(configFile, JSON.stringify(config));
      const loaded = await loadConfig(configFile);
      if (!loaded.ok) throw new Error(loaded.message);
      validators.push(await startValidator(loaded.config, { logger: silentLogger() }));
    }
    await waitUntil(async () => (await Promise.all(validators.map((validator) => fetch(`${validator.metricsUrl}/readyz`).then((response) => response.ok)))).every(Boolean), 'both validators ready');
    workload = await presign(CHAIN_ID, layout.participantKeyFiles, FLOOD_REQUESTS * FLOOD_BATCH);
  });

  afterAll(async () => {
    await Promise.all(validators.map((validator) => validator.stop()));
  });

  it('refuses the excess with 503 overloaded and Retry-After, stays responsive, and commits all it admitted at both validators', async () => {
    const [flooded, peer] = validators as [RunningValidator, RunningValidator];
    const batches = Array.from({ length: FLOOD_REQUESTS }, (_, index) => workload.bodies.slice(index * FLOOD_BATCH, (index + 1) * FLOOD_BATCH));
    const flood = Promise.all(batches.map((bodies) => postBatch(flooded, bodies)));
    // While it is flooded, it answers health checks, reads and status queries.
    const [health, head, status] = await Promise.all([fetch(`${flooded.metricsUrl}/healthz`), fetch(`${flooded.apiUrl}/v1/ledger/head`), fetch(`${flooded.apiUrl}/v1/transactions/${workload.ids[0]}`)]);
    expect(health.status).toBe(200);
    expect(head.status).toBe(200);
    expect([200, 404]).toContain(status.status);
    const answers = await flood;

    const outcomes = answers.flatMap((answer) => answer.outcomes);
    expect(outcomes).toHaveLength(FLOOD_REQUESTS * FLOOD_BATCH);
    const overloaded = outcomes.filter((outcome) => outcome.status === 'refused');
    const admitted = outcomes.filter((outcome) => outcome.status !== 'refused');
    expect(admitted.length).toBeGreaterThan(0);
    expect(overloaded.length).toBeGreaterThan(0);
    // Every refusal is for load, nothing else: the workload is valid.
    for (const outcome of overloaded) expect(outcome).toMatchObject({ httpStatus: 503, code: 'overloaded' });
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      if (answer.outcomes.some((outcome) => outcome.status === 'refused')) expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    expect(await metric(flooded, 'custodia_submissions_refused_total{reason="overloaded"}')).toBe(overloaded.length);

    // Everything admitted commits, and reaches the peer (relayed in batches, or fetched for its block).
    const admittedIds = admitted.map((outcome) => outcome.id!);
    for (const validator of [flooded, peer]) {
      await waitUntil(async () => (await Promise.all(admittedIds.map((id) => committed(validator, id)))).every(Boolean), `the admitted transactions committed at ${validator.id}`);
    }
    // The peer refused nothing it was relayed.
    const peerMetrics = await (await fetch(`${peer.metricsUrl}/metrics`)).text();
    expect(peerMetrics.split('\n').filter((line) => line.startsWith('custodia_relayed_transactions_refused_total{'))).toEqual([]);

    // Once the backlog committed, admission reopens: what was refused is admitted when sent again, and commits.
    const refusedBodies = outcomes.flatMap((outcome, index) => (outcome.status === 'refused' ? [workload.bodies[index]!] : []));
    const retried = refusedBodies.slice(0, 3);
    await waitUntil(async () => (await postBatch(flooded, retried)).outcomes.every((outcome) => outcome.status !== 'refused'), 'the refused transactions admitted when sent again');
    const retriedIds = outcomes.flatMap((outcome, index) => (outcome.status === 'refused' ? [workload.ids[index]!] : [])).slice(0, 3);
    await waitUntil(async () => (await Promise.all(retriedIds.map((id) => committed(peer, id)))).every(Boolean), 'the resent transactions committed');
    expect(await metric(flooded, 'custodia_admission_pending_limit')).toBeGreaterThanOrEqual(5);
  });
});
