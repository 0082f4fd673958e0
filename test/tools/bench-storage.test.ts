/**
 * The storage benchmark (tools/bench/storage.ts, `custodia bench storage`): what it reports has
 * the promised shape, and what it says it committed is really in the store, a lot's whole story
 * included, and verifies from genesis. Its timings are never asserted: speed is measured by the
 * command, not tested.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTracedRecord, trace } from '../../contracts/queries.js';
import type { JsonValue } from '../../ledger/encoding/canonical-json.js';
import { readGenesisFile } from '../../ledger/files/genesis-file.js';
import { BlockStore, openStoreForReading } from '../../ledger/store/block-store.js';
import { verifyLedger } from '../../ledger/verify/verify-ledger.js';
import { runStorageBenchmark } from '../../tools/bench/storage.js';
import { productLot, rawLot, STORY_STEPS, storyBlock, storyBlockCount } from '../../tools/bench/storage-workload.js';
import { runCli } from '../support/run-cli.js';
import { temporaryDirectories } from '../support/temp-dir.js';

const newDirectory = temporaryDirectories('bench-storage');
const latencyShape = { p50: expect.any(Number), p99: expect.any(Number), max: expect.any(Number) };

describe('the storage workload', () => {
  it('puts every step of every story in a block once, each after the step before it', () => {
    const stories = 23;
    const groupSize = 4;
    const seen = new Map<string, number>();
    for (let block = 0; block < storyBlockCount(groupSize, stories); block++) {
      for (const { story, step } of storyBlock(block, groupSize, stories)) {
        const key = `${story}/${step}`;
        expect(seen.has(key)).toBe(false);
        seen.set(key, block);
        if (step > 0) expect(seen.get(`${story}/${step - 1}`)).toBeLessThan(block);
      }
    }
    expect(seen.size).toBe(stories * STORY_STEPS);
  });
});

describe('custodia bench storage', () => {
  it('commits the events it reports through the store, each story whole, and the ledger verifies from genesis', async () => {
    const directory = join(await newDirectory(), 'run');
    // The smallest write buffer, so that LevelDB writes tables and compacts even at this size.
    const result = await runStorageBenchmark({ events: 2000, samples: 20, directory, writeBufferMb: 1 });
    expect(result).toMatchObject({
      events: expect.any(Number),
      transactions: expect.any(Number),
      blocks: expect.any(Number),
      committedPerS: expect.any(Number),
      lotHistoryMs: latencyShape,
      traceMs: latencyShape,
      inclusionProofMs: latencyShape,
      stateProofMs: latencyShape,
      verifyEventsPerS: expect.any(Number),
      rssMbMax: expect.any(Number),
      detail: { directory, samples: 20, warmupQueries: 20, historyEvents: { rawLot: 4, productLot: 3 }, proofsChecked: 20, serving: { readyS: expect.any(Number), rssMbReady: expect.any(Number), rssAnonMbEnd: expect.any(Number), rssFileMbEnd: expect.any(Number), historyHttpMs: latencyShape, proofHttpMs: latencyShape } },
    });
    // A real validator process opened the ledger and answered every history and proof asked over HTTP (any refusal fails the run).
    expect(result.validatorRssMbMax).toBeGreaterThan(0);
    expect(result.validatorRssMbMax).toBeGreaterThanOrEqual(result.detail.serving.rssMbReady);
    expect(result.detail.serving.readyS).toBeGreaterThan(0);
    // Whole stories: 2,000 events round up to 334 stories of six.
    const stories = Math.ceil(2000 / STORY_STEPS);
    expect(result.detail.stories).toBe(stories);
    expect(result.events).toBe(stories * STORY_STEPS);
    expect(result.transactions).toBe(result.events);
    expect(result.detail.writeBufferMb).toBe(1);
    expect(result.detail.loadCpuSeconds).toBeGreaterThan(0);
    // The per-event figure is the load's CPU over its events (each rounded on its own).
    expect((result.detail.loadCpuUsPerEvent * result.events) / 1e6).toBeCloseTo(result.detail.loadCpuSeconds, 1);

    const genesisFile = join(directory, 'net', 'genesis.json');
    const genesis = await readGenesisFile(genesisFile);
    if (!genesis.ok) throw new Error(genesis.message);
    const ledger = join(directory, 'net', 'validator-0', 'data', 'ledger');
    const reading = await openStoreForReading(ledger);
    if (!reading.ok) throw new Error(reading.message);
    try {
      expect(reading.headHeight).toBe(result.blocks);
      const verdict = await verifyLedger({ reader: reading.reader, genesis: genesis.genesis, validators: genesis.validators, headHeight: reading.headHeight });
      expect(verdict).toMatchObject({ ok: true, height: result.blocks, transactions: result.events, accepted: result.events, logSize: result.events });
      expect(verdict.ok && verdict.logRoot).toBe(result.detail.head.logRoot);
    } finally {
      await reading.close();
    }

    // The first and the last story, as the index and the state hold them.
    const opened = await BlockStore.open({ directory: ledger, genesis: genesis.genesis, validators: genesis.validators });
    if (!opened.ok) throw new Error(opened.message);
    const store = opened.store;
    try {
      const state = { get: async (key: string) => (await store.getState(key)) as JsonValue | undefined };
      for (const story of [0, stories - 1]) {
        const raw = await store.queryEvents({ index: 'epcClass', value: rawLot(story) });
        const product = await store.queryEvents({ index: 'epcClass', value: productLot(story) });
        expect(raw.ok && raw.events.map((event) => (event.event as { bizStep?: string }).bizStep)).toEqual(['commissioning', 'shipping', 'receiving', 'commissioning']);
        expect(product.ok && product.events.map((event) => (event.event as { type: string }).type)).toEqual(['TransformationEvent', 'ObjectEvent', 'ObjectEvent']);
        expect(await readTracedRecord(state, productLot(story))).toMatchObject({ derivedFrom: [rawLot(story)] });
        const graph = await trace(state, productLot(story), 'back');
        expect(graph?.nodes.map((node) => node.id)).toContain(rawLot(story));
      }
    } finally {
      await store.close();
    }

    // And `custodia verify` itself agrees, on the folder the benchmark kept.
    const cli = await runCli(['verify', '--data', join(directory, 'net', 'validator-0', 'data'), '--genesis', genesisFile, '--json'], { timeoutMs: 120_000 });
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ ok: true, transactions: result.events });
  }, 240_000);

  it('refuses bad options with exit 2 before starting anything', async () => {
    const bad = await runCli(['bench', 'storage', '--events', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--events must be an integer from 6');
    const buffer = await runCli(['bench', 'storage', '--write-buffer-mb', '0']);
    expect(buffer.code).toBe(2);
    expect(buffer.stderr).toContain('--write-buffer-mb must be an integer from 1');
  }, 60_000);
});
