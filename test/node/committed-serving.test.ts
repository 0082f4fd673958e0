/**
 * Serving committed blocks to peers (node/driver.ts serveCommitted) is bounded: one request per
 * peer and COMMITTED_SERVES_AT_ONCE_MAX in all are served at once, the rest dropped and counted,
 * and the store is read a few blocks at a time only as far as the response can carry. A peer
 * that asks over and over (catching up, or hostile) cannot keep a validator too busy to vote.
 */
import { describe, expect, it } from 'vitest';
import { concatBytes } from '../../ledger/encoding/hex.js';
import type { Block } from '../../ledger/model/block.js';
import type { QuorumCertificate } from '../../ledger/model/certificate.js';
import type { ConsensusCore } from '../../consensus/core.js';
import { decodeMessageBytes, encodeMessageParts } from '../../consensus/codec.js';
import { COMMITTED_SERVES_AT_ONCE_MAX, ConsensusDriver, type DriverOptions } from '../../node/driver.js';
import { silentLogger } from '../../node/logger.js';
import { createMetrics } from '../../node/metrics.js';
import { TestChain } from '../support/test-chain.js';

/** A ledger of `count` blocks, each with a certificate; consecutive rounds, so every pair is a two-chain. */
function ledger(count: number): { blocks: Block[]; certificates: QuorumCertificate[] } {
  const chain = new TestChain();
  const blocks: Block[] = [];
  const certificates: QuorumCertificate[] = [];
  for (let index = 0; index < count; index++) {
    const commit = chain.nextBlock([]);
    blocks.push(commit.block);
    certificates.push(commit.certificate);
  }
  return { blocks, certificates };
}

function harness(count: number) {
  const { blocks, certificates } = ledger(count);
  const reads: Array<{ from: number; limit: number }> = [];
  const gates: Array<() => void> = [];
  let held = true;
  const sent: Array<{ to: string; heights: number[] }> = [];
  const metrics = createMetrics();
  const options = {
    core: { start: () => [], step: () => [], progress: { round: 1, safetyHeld: false }, safetyRecovered: undefined } as unknown as ConsensusCore,
    consensusStore: { handOverProofs: async () => new Map() },
    store: {
      getBlocks: async (from: number, limit: number) => {
        reads.push({ from, limit });
        if (held) await new Promise<void>((resolve) => gates.push(resolve));
        return blocks.slice(from - 1, from - 1 + limit);
      },
      getCertificate: async (height: number) => certificates[height - 1],
    },
    application: {},
    transport: {
      sendBytes: (to: string, _channel: string, parts: readonly Uint8Array[]) => {
        const decoded = decodeMessageBytes(concatBytes(...parts));
        if (decoded.ok && decoded.message.kind === 'committed-response') sent.push({ to, heights: decoded.message.blocks.map((entry) => entry.block.header.height) });
        return true;
      },
      broadcastBytes: () => undefined,
    },
    logger: silentLogger(),
    metrics,
    committedBlocksPerResponseMax: 16,
  } as unknown as DriverOptions;
  const driver = new ConsensusDriver(options);
  const request = (from: string, fromHeight: number, count = 16) => driver.receiveFrame(from, concatBytes(...encodeMessageParts({ kind: 'committed-request', fromHeight, count })));
  const release = () => {
    held = false;
    for (const open of gates.splice(0)) open();
  };
  return { driver, request, release, reads, sent, metrics };
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function busyRefusals(metrics: ReturnType<typeof createMetrics>): Promise<number> {
  const metric = await metrics.messagesRejected.get();
  return metric.values.find((value) => value.labels['reason'] === 'committed-request-busy')?.value ?? 0;
}

describe('serving committed blocks', () => {
  it('serves one request per peer and a bounded number in all at once; the rest are dropped and counted', async () => {
    expect(COMMITTED_SERVES_AT_ONCE_MAX).toBe(2);
    const { request, release, sent, metrics } = harness(40);
    request('validator-1', 1);
    request('validator-1', 1);
    request('validator-2', 1);
    request('validator-3', 1);
    expect(await busyRefusals(metrics)).toBe(2);
    release();
    await until(() => sent.length === 2);
    expect(sent.map((answer) => answer.to).sort()).toEqual(['validator-1', 'validator-2']);
    // Served in full, the next request of the same peer is answered again.
    request('validator-1', 17);
    await until(() => sent.length === 3);
    expect(sent[2]).toMatchObject({ to: 'validator-1' });
    expect(sent[2]!.heights[0]).toBe(17);
  });

  it('reads a few blocks at a time and stops within one step of where the response ends', async () => {
    const { request, release, reads, sent } = harness(200);
    release();
    request('validator-1', 1, 16);
    await until(() => sent.length === 1);
    // 16 asked for, every pair a two-chain: the response ends at 16 blocks, read in steps of 8.
    expect(sent[0]!.heights).toEqual(Array.from({ length: 16 }, (_, index) => index + 1));
    expect(reads).toEqual([
      { from: 1, limit: 8 },
      { from: 9, limit: 8 },
      { from: 17, limit: 8 },
    ]);
  });
});
