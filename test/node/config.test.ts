import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../node/config.js';
import { temporaryDirectories } from '../support/temp-dir.js';

const newDirectory = temporaryDirectories('config');

const base = {
  chainId: 'custodia-test',
  validatorId: 'validator-0',
  keyFile: 'validator.key',
  genesisFile: '../genesis.json',
  dataDir: 'data',
  p2p: { listen: '127.0.0.1:26600' },
  api: { listen: '127.0.0.1:26700' },
  metrics: { listen: '127.0.0.1:26800' },
  peers: [{ id: 'validator-1', address: '127.0.0.1:26601' }],
};

async function write(contents: unknown): Promise<string> {
  const directory = await newDirectory();
  const file = join(directory, 'config.json');
  await writeFile(file, typeof contents === 'string' ? contents : JSON.stringify(contents));
  return file;
}

describe('validator config files', () => {
  it('load with defaults and paths resolved against the file', async () => {
    const file = await write(base);
    const loaded = await loadConfig(file);
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    expect(loaded.config.keyFile).toBe(join(file, '..', 'validator.key'));
    expect(loaded.config.mempool.transactionsMax).toBeGreaterThan(0);
    expect(loaded.config.log.level).toBe('info');
    // Overload control's documented defaults (node/admission-control.ts).
    expect(loaded.config.admission).toEqual({ targetDelayMs: 2000, pendingFloor: 200, rateTimeConstantMs: 5000 });
    // Block time (docs/consensus.md) and no injected fault unless asked for.
    expect(loaded.config.consensus.timestampLagMaxMs).toBe(30_000);
    expect(loaded.config.faults).toEqual({ clockOffsetMs: 0, control: false });
    // The ledger's LevelDB write buffer (ledger/store/write-buffer.ts).
    expect(loaded.config.store.writeBufferMb).toBe(32);
  });

  it('take a clock fault and a timestamp lag within their bounds', async () => {
    const loaded = await loadConfig(await write({ ...base, consensus: { timestampLagMaxMs: 60_000 }, faults: { clockOffsetMs: -180_000 } }));
    expect(loaded.ok && loaded.config.consensus.timestampLagMaxMs).toBe(60_000);
    expect(loaded.ok && loaded.config.faults.clockOffsetMs).toBe(-180_000);
  });

  it('name the file and the field in every error', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ ...base, chainId: 'Bad Chain' }, /chainId/],
      [{ ...base, p2p: { listen: 'nowhere' } }, /p2p\.listen: expected host:port/],
      [{ ...base, peers: [{ id: 'validator-1' }] }, /peers\.0\.address/],
      [{ ...base, surprise: true }, /surprise/],
      // Larger payloads could not be served two to a catch-up frame (committed-response-frame.test.ts).
      [{ ...base, consensus: { payloadBytesMax: 16 * 1024 * 1024 } }, /consensus\.payloadBytesMax/],
      [{ ...base, peers: [{ id: 'validator-0', address: '127.0.0.1:1' }] }, /itself/],
      [{ ...base, admission: { targetDelayMs: 10 } }, /admission\.targetDelayMs/],
      [{ ...base, admission: { pendingFloor: 100 }, mempool: { transactionsMax: 50 } }, /admission\.pendingFloor .*mempool\.transactionsMax/],
      ['{"chainId": "a", "chainId": "b"}', /duplicate/],
      // Below three clock skews, honest blocks delayed a little would be refused as too old.
      [{ ...base, consensus: { timestampLagMaxMs: 10_000 } }, /consensus\.timestampLagMaxMs/],
      [{ ...base, faults: { clockOffsetMs: 2 * 24 * 60 * 60 * 1000 } }, /faults\.clockOffsetMs/],
      [{ ...base, faults: { clockOffsetMs: 1.5 } }, /faults\.clockOffsetMs/],
      [{ ...base, store: { writeBufferMb: 0 } }, /store\.writeBufferMb/],
      [{ ...base, store: { writeBufferMb: 1024 } }, /store\.writeBufferMb/],
    ];
    for (const [contents, pattern] of cases) {
      const file = await write(contents);
      const loaded = await loadConfig(file);
      expect(loaded.ok).toBe(false);
      if (loaded.ok) continue;
      expect(loaded.message).toContain(file);
      expect(loaded.message).toMatch(pattern);
    }
    const missing = await loadConfig('/nonexistent/config.json');
    expect(!missing.ok && missing.message).toContain('/nonexistent/config.json');
  });
});
