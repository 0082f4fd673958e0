/**
 * Stall records of chaos runs (tools/chaos/stalls.ts): the metrics a stall is explained by are
 * read from Prometheus text, differenced across the stall, and a stall is opened only under load
 * after the threshold and closed by the next block, with the faults held when it began.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { duringStall, parseSnapshot, StallRecorder } from '../../../tools/chaos/stalls.js';

const metricsText = (round: number, height: number, votes: number, notReady: number) => `# HELP custodia_consensus_round Current consensus round
# TYPE custodia_consensus_round gauge
custodia_consensus_round ${round}
custodia_ledger_height ${height}
custodia_votes_sent_total ${votes}
custodia_timeouts_sent_total 4
custodia_mempool_transactions 12
custodia_transaction_bodies_wanted_total{outcome="asked"} 3
custodia_consensus_rejections{reason="stale-round"} 2
custodia_consensus_rejections{reason="not-ready"} ${notReady}
`;

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve()))));

describe('chaos stall records', () => {
  it('parse the metrics that explain a stall and difference them', () => {
    const before = parseSnapshot(metricsText(10, 5, 7, 1));
    expect(before).toEqual({ round: 10, height: 5, votesSent: 7, timeoutsSent: 4, mempool: 12, bodiesWanted: 3, rejections: { 'stale-round': 2, 'not-ready': 1 } });
    const after = parseSnapshot(metricsText(19, 5, 9, 8));
    expect(duringStall(2, before, after)).toEqual({
      validator: 2,
      before: { round: 10, height: 5, mempool: 12 },
      after: { round: 19, height: 5, mempool: 12 },
      votesSent: 2,
      timeoutsSent: 0,
      bodiesWanted: 0,
      rejections: { 'not-ready': 7 },
    });
    expect(duringStall(1, undefined, after)).toEqual({ validator: 1, after: { round: 19, height: 5, mempool: 12 } });
  });

  it('open a stall only under load past the threshold, and close it at the next block with both reads', async () => {
    let reads = 0;
    let current = metricsText(3, 8, 1, 0);
    server = createServer((_request, response) => {
      reads++;
      response.end(current);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const recorder = new StallRecorder([url, 'http://127.0.0.1:1'], () => 1_000, () => ['pause validator-3'], 5_000);
    recorder.observe(2_000, 8, false, 9_000);
    recorder.observe(2_000, 8, true, 6_000);
    await recorder.settled();
    expect(reads).toBe(0);
    recorder.observe(2_000, 8, true, 7_500);
    // The first read has been answered before the metrics move on.
    while (reads < 1) await new Promise((resolve) => setImmediate(resolve));
    current = metricsText(9, 8, 1, 5);
    recorder.observe(9_000, 9, true, 9_000);
    await recorder.settled();
    expect(recorder.stalls).toHaveLength(1);
    expect(recorder.stalls[0]).toMatchObject({ atS: 1, durationMs: 7_000, height: 8, faultsHeld: ['pause validator-3'] });
    expect(recorder.stalls[0]!.validators[0]).toMatchObject({ before: { round: 3 }, after: { round: 9 }, rejections: { 'not-ready': 5 } });
    expect(recorder.stalls[0]!.validators[1]).toEqual({ validator: 1 });
  });
});
