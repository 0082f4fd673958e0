/**
 * `custodia chaos` end to end, short enough for CI: four real validator processes under load,
 * each fault kind injected at least once in a seeded order, then the checks. The command scales
 * to hours (`--duration`); this run proves the machinery and the invariants on a small scale.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/run-cli.js';
import { CHAOS_FAULT_KINDS } from '../../../tools/chaos/faults.js';

describe('custodia chaos', () => {
  it('refuses fewer than four validators, unknown fault kinds and a clock skew within the tolerated one (exit 2)', async () => {
    const few = await runCli(['chaos', '--validators', '3']);
    expect(few.code).toBe(2);
    expect(few.stderr).toContain('--validators must be an integer from 4');
    const unknown = await runCli(['chaos', '--faults', 'kill,meteor']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown kind meteor');
    const small = await runCli(['chaos', '--clock-skew-ms', '1000-2000']);
    expect(small.code).toBe(2);
    expect(small.stderr).toContain('--clock-skew-ms is MIN-MAX');
  });

  it('kills, pauses, isolates, skews the clock of and damages-and-repairs validators under load; nothing acknowledged is lost, no fork, no double signature', async () => {
    // However short the run, every kind is dealt once.
    const run = await runCli(['chaos', '--validators', '4', '--duration', '1', '--seed', '11', '--rate', '10', '--hold-ms', '1500-3000', '--clock-skew-ms', '8000-20000', '--json'], { timeoutMs: 500_000 });
    const report = JSON.parse(run.stdout) as Record<string, unknown> & { faults: Array<{ kind: string; recoveredMs: number | null; resumedMs: number | null; healProblem?: string }>; verify: Array<{ ok: boolean }> };
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['seed', 'faults', 'acknowledged', 'lost', 'forks', 'doubleSigns', 'maxStallMs']));
    expect(report.seed).toBe(11);
    expect(report.faults.map((fault) => fault.kind).sort()).toEqual([...CHAOS_FAULT_KINDS].sort());
    for (const kind of CHAOS_FAULT_KINDS) expect(run.stderr).toContain(`${kind} validator-`);
    expect(report.faults.every((fault) => fault.recoveredMs !== null && fault.resumedMs !== null && fault.healProblem === undefined)).toBe(true);
    expect(report.acknowledged).toBeGreaterThan(0);
    expect({ lost: report.lost, forks: report.forks, doubleSigns: report.doubleSigns }).toEqual({ lost: 0, forks: 0, doubleSigns: 0 });
    expect(report.verify.map((outcome) => outcome.ok)).toEqual([true, true, true, true]);
    expect(run.code).toBe(0);
  }, 600_000);
});
