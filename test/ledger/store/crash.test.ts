import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BlockStore } from '../../../ledger/store/block-store.js';
import { crashTestChain, deterministicBlock } from './fixtures/crash-chain.js';
import { temporaryDirectories } from '../../support/temp-dir.js';

const newDirectory = temporaryDirectories('crash');
const child = fileURLToPath(new URL('./fixtures/append-until-killed.ts', import.meta.url));

/** Runs the appending child until it has acknowledged `acknowledgements` blocks, then SIGKILLs it. */
function appendThenKill(directory: string, acknowledgements: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const process = spawn('node', ['--import', 'tsx', child, directory], { stdio: ['ignore', 'pipe', 'pipe'] });
    let acknowledged = 0;
    let buffered = '';
    let errors = '';
    process.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    process.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) acknowledged = Number(line);
      if (acknowledged >= acknowledgements) process.kill('SIGKILL');
    });
    process.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') resolve(acknowledged);
      else reject(new Error(`the child exited by itself after ${acknowledged} blocks: ${errors}`));
    });
  });
}

describe('crash safety', () => {
  it('keeps every acknowledged block through kill -9, never half a block, and appends on after restart', async () => {
    const directory = await newDirectory();
    let acknowledged = 0;
    for (const target of [15, 40]) {
      acknowledged = await appendThenKill(directory, target);
      expect(acknowledged).toBeGreaterThanOrEqual(target);

      const reference = crashTestChain();
      const opened = await BlockStore.open({ directory, genesis: reference.genesis, validators: reference.validators });
      if (!opened.ok) throw new Error(opened.message);
      const head = opened.store.head();
      // Killed between acknowledgements, the store may hold a block the parent never heard of; never fewer.
      expect(head.height).toBeGreaterThanOrEqual(acknowledged);
      for (let height = 1; height <= head.height; height++) deterministicBlock(reference, height);
      expect(head).toEqual(reference.state(head.height));
      const events = await opened.store.queryEvents({ index: 'epc', value: `urn:epc:id:sgtin:0614141.107346.${head.height}` });
      expect(events.ok && events.events.map((event) => event.height)).toEqual([head.height]);
      await opened.store.close();
    }
  });
});
