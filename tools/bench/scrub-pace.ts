/**
 * The background store scrub's share of a validator's CPU (issue 12, docs/performance.md
 * "Levers"): opens a kept ledger store (the folder `custodia bench storage --dir D` leaves, or a
 * copy of it; the scrub only reads), runs the validator's own scheduler (node/store-scrubber.ts)
 * over BlockStore.checkStoredHeight for a while, and prints the heights it checked, the share of
 * wall time they took and the process's CPU in cores.
 *
 *   npx tsx tools/bench/scrub-pace.ts --dir D [--blocks-per-second 20] [--busy-percent 1] [--seconds 15]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { genesisWrites, loadConsortium } from '../../contracts/participants.js';
import { readGenesisFile } from '../../ledger/files/genesis-file.js';
import { BlockStore } from '../../ledger/store/block-store.js';
import { StoreScrub } from '../../ledger/store/scrub.js';
import { silentLogger } from '../../node/logger.js';
import { StoreScrubber } from '../../node/store-scrubber.js';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    'blocks-per-second': { type: 'string', default: '20' },
    'busy-percent': { type: 'string', default: '1' },
    seconds: { type: 'string', default: '15' },
  },
});
if (values.dir === undefined) throw new Error('--dir names the folder a storage benchmark left (it holds net/genesis.json)');
const blocksPerSecond = Number(values['blocks-per-second']);
const busyPercentMax = Number(values['busy-percent']);
const seconds = Number(values.seconds);
if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > 3_600) throw new Error('--seconds takes a whole number from 1 to 3600');

const genesis = await readGenesisFile(join(values.dir, 'net', 'genesis.json'));
if (!genesis.ok) throw new Error(genesis.message);
const consortium = loadConsortium(genesis.genesis.consortium);
if (!consortium.ok) throw new Error(consortium.message);
const opened = await BlockStore.open({ directory: join(values.dir, 'net', 'validator-0', 'data', 'ledger'), genesis: genesis.genesis, genesisWrites: genesisWrites(consortium.consortium), validators: genesis.validators });
if (!opened.ok) throw new Error(opened.message);
const store = opened.store;
try {
  let heights = 0;
  let busyMs = 0;
  const scrubber = new StoreScrubber({
    scrub: new StoreScrub({ headHeight: () => store.head().height, checkHeight: (height) => store.checkStoredHeight(height) }),
    blocksPerSecond,
    busyPercentMax,
    logger: silentLogger(),
    onStep: (step, durationMs) => {
      if (step.kind === 'damaged') throw new Error(`the store is damaged at height ${step.height}: ${step.damage.detail}`);
      heights += 1;
      busyMs += durationMs;
    },
  });
  const cpuBefore = process.cpuUsage();
  const startedAtMs = performance.now();
  scrubber.start();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  await scrubber.stop();
  const cpu = process.cpuUsage(cpuBefore);
  const wallMs = performance.now() - startedAtMs;
  const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
  process.stdout.write(
    `${JSON.stringify({ head: store.head().height, blocksPerSecond, busyPercentMax, seconds, heights, heightsPerS: round(heights / (wallMs / 1000), 2), busyShare: round(busyMs / wallMs, 4), cpuCores: round((cpu.user + cpu.system) / 1000 / wallMs, 4) })}\n`,
  );
} finally {
  await store.close();
}
