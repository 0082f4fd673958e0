/**
 * Four validators in this process, over the real transport: each signs the checkpoint of the log
 * it executed and sends its signature to its peers on the tlog-signature channel, so each serves
 * a checkpoint that a quorum of the set signed — which a plain k-of-n signed-note policy built
 * from the genesis keys verifies, at every validator, with one root. Every wait is for a
 * condition; the timeouts bound a slow machine.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { apiRoutes } from '../../../api/http/index.js';
import { readGenesisFile } from '../../../ledger/files/genesis-file.js';
import { verifyCheckpoint } from '../../../ledger/tlog/checkpoint.js';
import { policyFromGenesis } from '../../../ledger/tlog/policy.js';
import { loadConfig } from '../../../node/config.js';
import { silentLogger } from '../../../node/logger.js';
import { freeBasePort } from '../../../node/ports.js';
import { writeTestnet } from '../../../node/testnet.js';
import { startValidator, type RunningValidator } from '../../../node/validator.js';
import { temporaryDirectories } from '../../support/temp-dir.js';
import { waitUntil } from '../support/in-process.js';

const newDirectory = temporaryDirectories('checkpoint-exchange');
const validators: RunningValidator[] = [];

afterAll(async () => {
  await Promise.all(validators.map((validator) => validator.stop()));
});

describe('checkpoint signatures between validators', () => {
  it('every validator serves a checkpoint signed by a quorum of the set, with the same root', { timeout: 120_000 }, async () => {
    const basePort = await freeBasePort(4);
    const layout = await writeTestnet({ directory: await newDirectory(), validators: 4, basePort, chainId: 'custodia-checkpoint-exchange', roundTimeoutBaseMs: 1000, idleProposalDelayMs: 50 });
    const genesis = await readGenesisFile(layout.genesisFile);
    if (!genesis.ok) throw new Error(genesis.message);
    const policy = policyFromGenesis(genesis.genesis.chainId, genesis.validators);
    for (const file of layout.configFiles) {
      const loaded = await loadConfig(file);
      if (!loaded.ok) throw new Error(loaded.message);
      validators.push(await startValidator({ ...loaded.config, log: { level: 'error' } }, { logger: silentLogger(), routes: apiRoutes }));
    }
    const notes: string[] = [];
    await waitUntil(
      async () => {
        notes.length = 0;
        for (const validator of validators) {
          const answer = await fetch(`${validator.apiUrl}/tlog/checkpoint`);
          if (answer.status !== 200) return false;
          notes.push(await answer.text());
        }
        return true;
      },
      'every validator serving a checkpoint',
      90_000,
    );
    const checked = notes.map((note) => verifyCheckpoint(note, policy));
    for (const [index, verdict] of checked.entries()) {
      expect(verdict.ok, notes[index]).toBe(true);
      // At least one signature besides its own came over the transport.
      expect(verdict.ok && verdict.signers.length).toBeGreaterThanOrEqual(policy.threshold);
      expect(verdict.ok && verdict.signers.some((name) => !name.endsWith(`/${validators[index]!.id}`))).toBe(true);
    }
    const roots = new Set(checked.map((verdict) => (verdict.ok ? `${verdict.checkpoint.size}:${Buffer.from(verdict.checkpoint.rootHash).toString('hex')}` : '')));
    expect(roots.size).toBe(1);
  });
});
