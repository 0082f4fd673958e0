/**
 * The `custodia sim` command: JSON and readable summaries, split runs, failing seeds, replay,
 * usage errors. What needs processes (--jobs, and two replays side by side) runs the binary; the
 * rest runs the same program in this process, without a child's seconds of start-up.
 */
import { describe, expect, it } from 'vitest';
import { runCli, runCliInProcess } from '../../support/run-cli.js';
import { SCENARIO_KINDS } from '../../../tools/sim/scenarios.js';

describe('custodia sim', () => {
  it('prints exactly one JSON summary and exits 0 when every scenario passes', async () => {
    const run = await runCliInProcess(['sim', '--seeds', '3', '--validators', '4', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(Object.keys(summary).sort()).toEqual(['byzantine', 'commitsMin', 'failingSeeds', 'handOvers', 'livenessFailures', 'safetyViolations', 'scenarios', 'seeds', 'validators']);
    expect(summary).toMatchObject({ seeds: 3, validators: 4, byzantine: 1, safetyViolations: 0, livenessFailures: 0, failingSeeds: [] });
    expect(summary.scenarios).toEqual({ [SCENARIO_KINDS[0]]: 1, [SCENARIO_KINDS[1]]: 1, [SCENARIO_KINDS[2]]: 1 });
    expect(summary.commitsMin).toBeGreaterThan(0);
  });

  it('gives the same summary when the seeds are split over several processes', async () => {
    const args = ['sim', '--seeds', '4', '--first-seed', '30', '--validators', '4', '--json'];
    const [serial, split] = await Promise.all([runCli(args, { timeoutMs: 120_000 }), runCli([...args, '--jobs', '2'], { timeoutMs: 120_000 })]);
    expect(serial.code).toBe(0);
    expect(split.code).toBe(0);
    expect(split.stdout).toBe(serial.stdout);
    expect(JSON.parse(split.stdout)).toMatchObject({ seeds: 4, failingSeeds: [] });
  });

  it('prints a readable summary by default', async () => {
    const run = await runCliInProcess(['sim', '--seeds', '2', '--first-seed', '10', '--byzantine', '0']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('2 seeded scenarios (seeds 10..11), 4 validators, up to 0 Byzantine');
    expect(run.stdout).toMatch(/safety violations {2}0\n {2}liveness failures {2}0\nok\n$/);
  });

  it('exits 1 and names the failing seed with its replay command when a checker fires', async () => {
    const run = await runCliInProcess(['sim', '--seed', '1', '--kind', 'forking-leader', '--unsafe-skip-safe-to-vote', '--json']);
    expect(run.code).toBe(1);
    const summary = JSON.parse(run.stdout) as { safetyViolations: number; failingSeeds: number[] };
    expect(summary.safetyViolations).toBeGreaterThan(0);
    expect(summary.failingSeeds).toEqual([1]);
    expect(run.stderr).toContain('agreement:');
    expect(run.stderr).toContain('replay: npx custodia sim --seed 1 --validators 4 --byzantine 1 --kind forking-leader --unsafe-skip-safe-to-vote --trace');
  });

  it('replays one seed with --seed --trace identically across two runs', async () => {
    const args = ['sim', '--seed', '21', '--kind', 'twins', '--validators', '4', '--trace'];
    const [first, second] = await Promise.all([runCli(args, { timeoutMs: 120_000 }), runCli(args, { timeoutMs: 120_000 })]);
    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    const lines = first.stdout.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(50);
    expect(lines.some((line) => line.includes('+twin'))).toBe(true);
    expect(lines.some((line) => / deliver v\d(\+twin)?->v\d/.test(line))).toBe(true);
    expect(lines.some((line) => / commit v\d/.test(line))).toBe(true);
    expect(lines.at(-1)).toMatch(/ end: commitsMin=\d+ violations=0 liveness=ok$/);
  });

  it('exits 2 on usage errors', async () => {
    const cases: Array<[string[], string]> = [
      [['sim', '--byzantine', '2'], 'tolerate at most 1'],
      [['sim', '--trace'], '--seed'],
      [['sim', '--kind', 'meteor-strike'], 'meteor-strike'],
      [['sim', '--validators', '3'], '--validators'],
      [['sim', '--seeds', 'many'], '--seeds'],
      [['sim', '--kind', 'twins', '--byzantine', '0'], 'Byzantine'],
    ];
    for (const [args, message] of cases) {
      const run = await runCliInProcess(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toContain(message);
    }
  });
});
