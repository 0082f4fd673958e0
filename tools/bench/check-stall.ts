/**
 * How long the scrub's check of a height holds a validator's event loop (issue 12,
 * docs/performance.md "Levers": the state tree's reads in batches). Opens a kept ledger store (the
 * folder `custodia bench storage --dir D` leaves, or a copy of it; the check only reads) with a
 * one-block tail check, runs BlockStore.checkStoredHeight over its last N heights one after the
 * other, as the scrub does when it reaches the kept state trees, and prints the wall time, the
 * CPU and the event loop's delay (`monitorEventLoopDelay`: its longest and its p99).
 *
 *   npx tsx tools/bench/check-stall.ts --dir D [--heights 20]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { genesisWrites, loadConsortium } from '../../contracts/participants.js';
import { readGenesisFile } from '../../ledger/files/genesis-file.js';
import { BlockStore } from '../../ledger/store/block-store.js';

/** The delay monitor's sampling resolution, ms: a stall shorter than this is not seen. */
const LOOP_DELAY_RESOLUTION_MS = 5;

const { values } = parseArgs({ options: { dir: { type: 'string' }, heights: { type: 'string', default: '20' } } });
if (values.dir === undefined) throw new Error('--dir names the folder a storage benchmark left (it holds net/genesis.json)');
const heights = Number(values.heights);
if (!Number.isSafeInteger(heights) || heights < 1 || heights > 10_000) throw new Error('--heights takes a whole number from 1 to 10000');

const genesis = await readGenesisFile(join(values.dir, 'net', 'genesis.json'));
if (!genesis.ok) throw new Error(genesis.message);
const consortium = loadConsortium(genesis.genesis.consortium);
if (!consortium.ok) throw new Error(consortium.message);
const opened = await BlockStore.open({
  directory: join(values.dir, 'net', 'validator-0', 'data', 'ledger'),
  genesis: genesis.genesis,
  genesisWrites: genesisWrites(consortium.consortium),
  validators: genesis.validators,
  tailBlocksChecked: 1,
});
if (!opened.ok) throw new Error(opened.message);
const store = opened.store;
try {
  const head = store.head().height;
  const first = Math.max(1, head - heights + 1);
  const delay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
  delay.enable();
  const cpuBefore = process.cpuUsage();
  const startedAtMs = performance.now();
  for (let height = first; height <= head; height++) {
    const damage = await store.checkStoredHeight(height);
    if (damage !== undefined) throw new Error(`the store is damaged at height ${height}: ${damage.detail}`);
  }
  const cpu = process.cpuUsage(cpuBefore);
  const wallMs = performance.now() - startedAtMs;
  delay.disable();
  const milliseconds = (nanoseconds: number) => (nanoseconds / 1e6).toFixed(0);
  process.stdout.write(
    `checked heights ${first} to ${head}: wall ${wallMs.toFixed(0)} ms, CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms, ` +
      `event loop held at most ${milliseconds(delay.max)} ms (p99 ${milliseconds(delay.percentile(99))} ms)\n`,
  );
} finally {
  await store.close();
}
