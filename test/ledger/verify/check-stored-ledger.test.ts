/**
 * The whole check of a stored ledger (ledger/verify/check-stored-ledger.ts) tells a scratch state
 * tree that cannot be kept (here: its parent folder is a file) from a finding about the ledger, so
 * that `custodia verify` exits as for the operator's error and `custodia repair` changes nothing.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { genesisHash } from '../../../ledger/model/genesis.js';
import { checkStoredLedger } from '../../../ledger/verify/check-stored-ledger.js';
import { writeStoredChain } from '../../support/stored-chain.js';
import { temporaryDirectories } from '../../support/temp-dir.js';

const newDirectory = temporaryDirectories('check-stored');

describe('checkStoredLedger', () => {
  it('reports a scratch state tree that cannot be kept as an unusable check, not as damage', async () => {
    const directory = await newDirectory();
    const { chain, dataDirectory } = await writeStoredChain(directory, 3);
    const notAFolder = join(directory, 'not-a-folder');
    await writeFile(notAFolder, 'a file');
    const input = { directory: dataDirectory, genesis: chain.genesis, genesisHash: genesisHash(chain.genesis), genesisSource: 'genesis.json', validators: chain.validators };
    expect(await checkStoredLedger({ ...input, scratch: { parentDirectory: notAFolder } })).toMatchObject({ kind: 'unusable', fault: 'unreadable', message: expect.stringMatching(/scratch state tree .* cannot be kept/) });
    // The same store with room for the scratch tree verifies.
    expect(await checkStoredLedger({ ...input, scratch: { parentDirectory: await newDirectory() } })).toMatchObject({ kind: 'checked', verification: { ok: true, height: 3 } });
  });
});
