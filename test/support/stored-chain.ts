/** Writes a TestChain's blocks into a real store on disk, plus its genesis file, for verifier and CLI tests. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BlockStore } from '../../ledger/store/block-store.js';
import type { BlockOptions } from './test-chain.js';
import { TestChain } from './test-chain.js';

export interface StoredChain {
  chain: TestChain;
  dataDirectory: string;
  genesisFile: string;
}

export async function writeStoredChain(
  directory: string,
  blocks: number,
  options: { blockOptions?: (height: number, chain: TestChain) => BlockOptions; chain?: TestChain } = {},
): Promise<StoredChain> {
  const chain = options.chain ?? new TestChain();
  const dataDirectory = join(directory, 'data');
  const genesisFile = join(directory, 'genesis.json');
  await writeFile(genesisFile, JSON.stringify(chain.genesis, null, 2));
  const opened = await BlockStore.open({ directory: dataDirectory, genesis: chain.genesis, genesisWrites: chain.genesisWrites });
  if (!opened.ok) throw new Error(opened.message);
  for (let height = 1; height <= blocks; height++) {
    const transactions = [chain.transaction({ height, index: 0 }), chain.transaction({ height, index: 1 })];
    const commit = chain.nextBlock(transactions, { writes: [{ key: `h/${height}`, value: height }], ledgerLag: height % 3, ...options.blockOptions?.(height, chain) });
    const appended = await opened.store.appendBlock(commit);
    if (!appended.ok) throw new Error(appended.message);
  }
  await opened.store.close();
  return { chain, dataDirectory, genesisFile };
}
