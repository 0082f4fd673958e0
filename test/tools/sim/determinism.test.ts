/** Same seed, same run: byte-identical traces and results, data plane included; different seeds differ. */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../tools/sim/run.js';
import type { ScenarioKind } from '../../../tools/sim/scenarios.js';

describe('deterministic replay', () => {
  it.each([
    [3, 4, 'duplicating'],
    [9, 4, 'crash-after-persist'],
    [17, 4, 'twins'],
    [5, 7, 'partition-halves'],
    [14, 7, 'bad-signatures'],
  ] as Array<[number, number, ScenarioKind]>)('seed %i with %i validators (%s) gives a byte-identical trace twice', (seed, validators, kind) => {
    const byzantine = Math.floor((validators - 1) / 3);
    const first = runScenario({ seed, validators, byzantine, kind, trace: true });
    const second = runScenario({ seed, validators, byzantine, kind, trace: true });
    expect(first.trace!.length).toBeGreaterThan(100);
    expect(second.trace!.join('\n')).toBe(first.trace!.join('\n'));
    expect({ ...second, trace: undefined }).toEqual({ ...first, trace: undefined });
    expect(first.trace!.some((line) => / deliver v\d/.test(line))).toBe(true);
    expect(first.trace!.some((line) => / commit v\d/.test(line))).toBe(true);
    expect(first.trace!.every((line) => /^\d{7} /.test(line))).toBe(true);
  });

  it.each([
    [6, 4, 'late-bodies'],
    [4, 4, 'some-unknown-ids'],
    [2, 7, 'unknown-ids'],
  ] as Array<[number, number, ScenarioKind]>)('seed %i with %i validators (%s): the data plane (relays, wants, fetched bodies) replays identically too', (seed, validators, kind) => {
    const byzantine = Math.floor((validators - 1) / 3);
    const first = runScenario({ seed, validators, byzantine, kind, trace: true });
    const second = runScenario({ seed, validators, byzantine, kind, trace: true });
    expect(second.trace!.join('\n')).toBe(first.trace!.join('\n'));
    expect({ ...second, trace: undefined }).toEqual({ ...first, trace: undefined });
    expect(first.data.missingVerdicts).toBeGreaterThan(0);
    for (const channel of ['tx-relay', 'tx-want']) expect(first.trace!.some((line) => line.includes(` ${channel} `))).toBe(true);
  });

  it('gives different runs for different seeds of the same kind', () => {
    const first = runScenario({ seed: 2, validators: 4, byzantine: 1, kind: 'lossy', trace: true });
    const second = runScenario({ seed: 19, validators: 4, byzantine: 1, kind: 'lossy', trace: true });
    expect(second.trace).not.toEqual(first.trace);
  });

  it('runs the same with and without tracing', () => {
    const traced = runScenario({ seed: 8, validators: 4, byzantine: 1, trace: true });
    const plain = runScenario({ seed: 8, validators: 4, byzantine: 1 });
    expect(plain.trace).toBeUndefined();
    expect({ ...traced, trace: undefined }).toEqual({ ...plain, trace: undefined });
  });
});
