/**
 * The benchmark harness's parts that decide what it reports (tools/bench/): the workload is
 * real work (every transaction admitted and accepted by the rules of a testnet's genesis), the
 * CPU profile breakdown puts each sample where it belongs, percentiles are nearest-rank, and the
 * command refuses bad options before it starts anything. The harness's measurements themselves
 * are never asserted: speed is measured by `custodia bench`, not tested.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkTransaction, type Transaction } from '../../ledger/model/transaction.js';
import { admissionRefusal } from '../../contracts/admission.js';
import { executeBlock } from '../../contracts/executor.js';
import { genesisWrites, loadConsortium } from '../../contracts/participants.js';
import { MemoryState } from '../../contracts/state.js';
import { writeTestnet } from '../../node/testnet.js';
import { allocationTop, formatAllocationTop, type AllocationProfile } from '../../tools/bench/allocations.js';
import { BenchCluster } from '../../tools/bench/cluster.js';
import { percentile } from '../../tools/bench/load.js';
import { breakdown, combine, mergeProfiles } from '../../tools/bench/profile.js';
import { presign } from '../../tools/bench/workload.js';
import { validatorEnvironment } from '../../tools/validator-process.js';
import { runCli } from '../support/run-cli.js';
import { temporaryDirectories } from '../support/temp-dir.js';

const newDirectory = temporaryDirectories('bench');

describe('the workload', () => {
  it('is signed transactions from every participant of the testnet, each admitted and accepted by the rules, about 300 bytes of event each', async () => {
    const layout = await writeTestnet({ directory: join(await newDirectory(), 'net'), validators: 1, basePort: 40_000, chainId: 'custodia-bench-test' });
    const genesis = JSON.parse(await readFile(layout.genesisFile, 'utf8')) as { consortium: unknown };
    const loaded = loadConsortium(genesis.consortium as never);
    if (!loaded.ok) throw new Error(loaded.message);
    const workload = await presign('custodia-bench-test', layout.participantKeyFiles, 40);
    const transactions = workload.bodies.map((body) => JSON.parse(body) as Transaction);
    expect(new Set(transactions.map((transaction) => transaction.body.signers[0])).size).toBe(loaded.consortium.participants.length);
    const lookup = (id: string) => loaded.consortium.participants.find((participant) => participant.id === id);
    for (const [index, transaction] of transactions.entries()) {
      expect(checkTransaction(transaction, 'custodia-bench-test')).toMatchObject({ ok: true, id: workload.ids[index] });
      expect(admissionRefusal(transaction, lookup)).toBeUndefined();
      const event = JSON.stringify((transaction.body.payload as { document: { epcisBody: { eventList: unknown[] } } }).document.epcisBody.eventList[0]);
      expect(event.length).toBeGreaterThan(250);
      expect(event.length).toBeLessThan(400);
    }
    const state = new MemoryState();
    state.apply(genesisWrites(loaded.consortium));
    const executed = await executeBlock(state, { chainId: 'custodia-bench-test', height: 1, timestamp: Date.UTC(2026, 0, 2) }, transactions, workload.ids);
    expect(executed.results.every((result) => result.status === 'accepted')).toBe(true);
    // Numbered from another start, a pool for the same chain names other lots.
    const more = await presign('custodia-bench-test', layout.participantKeyFiles, 2, 40);
    expect(more.ids.some((id) => workload.ids.includes(id))).toBe(false);
  });
});

describe('the CPU profile breakdown', () => {
  it('charges each sample to the innermost frame with a category, leaves idle time out, and weights validators by their busy time', () => {
    const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({ id, callFrame: { functionName, url }, children });
    const profile = {
      nodes: [
        frame(1, '(root)', '', [2, 3, 7, 8]),
        frame(2, 'execute', 'file:///x/contracts/executor.ts', [4]),
        frame(3, 'verify', 'file:///x/ledger/crypto/ed25519.ts', [5]),
        frame(4, 'parse', 'file:///x/node_modules/zod/v4/core/schemas.js', [6]),
        frame(5, 'verifyOneShot', 'node:internal/crypto/sig'),
        frame(6, '(anonymous)', ''),
        frame(7, '(idle)', ''),
        frame(8, '(garbage collector)', ''),
      ],
      samples: [2, 5, 6, 6, 7, 7, 7, 8],
      timeDeltas: [1000, 1000, 1000, 1000, 5000, 5000, 5000, 1000],
    };
    const result = breakdown(profile);
    expect(result.busySeconds).toBe(0.01);
    expect(result.percent).toMatchObject({ execution: 20, 'signature checks': 20, 'schema validation': 40, 'garbage collection': 20, other: 0 });
    const other = { busySeconds: 0.03, percent: { ...result.percent, execution: 60, 'schema validation': 0 } };
    expect(combine([result, other]).percent.execution).toBe(50);
  });

  it('merges the profiles of several calls into one: the same call path is one node, every sample kept in order', () => {
    const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({ id, callFrame: { functionName, url }, children });
    // Two calls of one stage: the second has the same path under other ids, and one path of its own.
    const first = { nodes: [frame(1, '(root)', '', [2]), frame(2, 'appendNow', 'file:///x/ledger/store/block-store.ts', [3]), frame(3, 'sha256', 'file:///x/ledger/crypto/sha256.ts')], samples: [3, 2, 3], timeDeltas: [1000, 2000, 3000], startTime: 50 };
    const second = {
      nodes: [frame(7, '(root)', '', [9]), frame(9, 'appendNow', 'file:///x/ledger/store/block-store.ts', [8, 4]), frame(8, 'sha256', 'file:///x/ledger/crypto/sha256.ts'), frame(4, 'execute', 'file:///x/contracts/executor.ts')],
      samples: [8, 4],
      timeDeltas: [4000, 5000],
    };
    const merged = mergeProfiles([first, second]);
    expect(merged.nodes.map((node) => node.callFrame.functionName).sort()).toEqual(['(root)', 'appendNow', 'execute', 'sha256']);
    const name = (id: number) => merged.nodes.find((node) => node.id === id)!.callFrame.functionName;
    expect(merged.samples.map(name)).toEqual(['sha256', 'appendNow', 'sha256', 'sha256', 'execute']);
    expect(merged.timeDeltas).toEqual([1000, 2000, 3000, 4000, 5000]);
    expect([merged.startTime, merged.endTime]).toEqual([50, 50 + 15_000]);
    const appendNow = merged.nodes.find((node) => node.callFrame.functionName === 'appendNow')!;
    expect(appendNow.children!.map(name).sort()).toEqual(['execute', 'sha256']);
    // A merged profile breaks down as its parts together.
    expect(breakdown(merged).percent).toMatchObject({ 'hashing and encoding': 53.3, storage: 13.3, execution: 33.3 });
  });

  it('sums a sampled allocation profile by the frames that allocated, themselves and beneath them, a recursing frame once per stack', () => {
    const node = (functionName: string, url: string, selfSize: number, children: AllocationProfile['head'][] = [], lineNumber = 1) => ({ callFrame: { functionName, url, lineNumber }, selfSize, children });
    const compiled = 'file:///x/node_modules/.cache/custodia-compiled/0123abcd/ledger/model/block.js';
    const profile: AllocationProfile = {
      head: node('(root)', '', 0, [
        node('append', 'file:///x/node_modules/.cache/custodia-compiled/0123abcd/ledger/store/block-store.js', 100, [node('blockHash', compiled, 300, [node('append', 'file:///x/node_modules/.cache/custodia-compiled/0123abcd/ledger/store/block-store.js', 50)])]),
        node('sort', '', 200),
        node('idle', 'file:///x/node/driver.js', 0),
      ]),
    };
    const top = allocationTop(profile, 10);
    expect(top.bytes).toBe(650);
    expect(top.self).toEqual([
      { frame: 'blockHash ledger/model/block.js:1', bytes: 300 },
      { frame: 'sort', bytes: 200 },
      { frame: 'append ledger/store/block-store.js:1', bytes: 150 },
    ]);
    expect(top.inclusive).toEqual([
      { frame: 'append ledger/store/block-store.js:1', bytes: 450 },
      { frame: 'blockHash ledger/model/block.js:1', bytes: 350 },
      { frame: 'sort', bytes: 200 },
    ]);
    expect(allocationTop(profile, 1).self).toHaveLength(1);
    const text = formatAllocationTop(top, 2, 'block');
    expect(text).toContain('allocated 0.3 KB per block (2 blocks)');
    expect(text).toContain('0.1 KB  blockHash ledger/model/block.js:1');
  });

  it('reads percentiles by nearest rank', () => {
    const sorted = Array.from({ length: 100 }, (_, index) => index + 1);
    expect([percentile(sorted, 0.5), percentile(sorted, 0.95), percentile(sorted, 0.99), percentile([], 0.5)]).toEqual([50, 95, 99, 0]);
  });
});

describe('the profiles a benchmark takes', () => {
  it('with allocations, has each validator write an allocation profile beside its CPU profile over the window between two signals', async () => {
    const cluster = await BenchCluster.start({ validators: 1, roundTimeoutBaseMs: 1000 }, { allocations: true });
    try {
      cluster.toggleProfiles();
      // A second signal stops the profilers only once they run; the validator logs when they do.
      await expect.poll(async () => (await readFile(cluster.logFile(0), 'utf8')).includes('CPU and allocation profiles started'), { timeout: 30_000 }).toBe(true);
      cluster.toggleProfiles();
      await expect.poll(async () => (await cluster.profiles('allocations'))[0]!.length, { timeout: 30_000 }).toBe(1);
      expect((await cluster.profiles('cpu'))[0]).toHaveLength(1);
      const profile = JSON.parse(await readFile((await cluster.profiles('allocations'))[0]![0]!, 'utf8')) as AllocationProfile;
      // A running validator allocates (its timers, its metrics, its consensus rounds).
      expect(allocationTop(profile, 5).bytes).toBeGreaterThan(0);
      // The cluster starts its validators as an operator should (tools/validator-process.ts).
      const environment = (await readFile(`/proc/${cluster.runningPids[0]!}/environ`, 'utf8')).split('\0');
      expect(environment).toContain(`MALLOC_ARENA_MAX=${process.env['MALLOC_ARENA_MAX'] ?? '2'}`);
      // jemalloc where this system has it, unless the caller chose a preload of its own.
      const preload = validatorEnvironment()['LD_PRELOAD'];
      expect(environment.filter((entry) => entry.startsWith('LD_PRELOAD='))).toEqual(preload === undefined ? [] : [`LD_PRELOAD=${preload}`]);
    } finally {
      await cluster.stop();
    }
  }, 120_000);
});

describe('custodia bench', () => {
  it('refuses bad options with exit 2 before starting anything', async () => {
    const none = await runCli(['bench']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('exactly one of --rate, --max and --clients');
    const bad = await runCli(['bench', '--rate', '100', '--validators', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--validators must be an integer from 1 to 31');
  }, 120_000);

  it('with --no-profile takes no CPU profile: a run reports its load and an empty breakdown', async () => {
    const run = await runCli(['bench', '--validators', '1', '--rate', '5', '--duration', '2', '--warmup', '1', '--no-profile', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { validators: number; cpuBreakdown: Record<string, number>; detail: { sent: number; profiledBusySeconds: number } };
    expect(result.validators).toBe(1);
    // The measured window's transactions: 5 a second for 2 s.
    expect(result.detail.sent).toBe(10);
    expect(result.detail.profiledBusySeconds).toBe(0);
    expect(Object.values(result.cpuBreakdown).every((percent) => percent === 0)).toBe(true);
  }, 180_000);
});
