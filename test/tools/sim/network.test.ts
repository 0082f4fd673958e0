import { describe, expect, it } from 'vitest';
import { CALM_LINKS, oneWayPartition, SimNetwork, splitPartition, type Endpoint, type LinkConditions, type RouteOutcome } from '../../../tools/sim/network.js';
import { Prng } from '../../../tools/sim/prng.js';

const endpoints: Endpoint[] = [
  { endpoint: 'v0', validator: 'v0' },
  { endpoint: 'v1', validator: 'v1' },
  { endpoint: 'v2', validator: 'v2' },
  { endpoint: 'v3', validator: 'v3' },
];

function network(conditions: LinkConditions = CALM_LINKS, list: Endpoint[] = endpoints): SimNetwork {
  return new SimNetwork(Prng.fromSeed(11, 'network-test'), list, conditions);
}

function delivered(outcomes: RouteOutcome[]): Array<Extract<RouteOutcome, { delivered: true }>> {
  return outcomes.filter((outcome): outcome is Extract<RouteOutcome, { delivered: true }> => outcome.delivered);
}

describe('SimNetwork', () => {
  it('delivers within base + jitter and keeps calm links FIFO', () => {
    const net = network();
    let previous = 0;
    for (let sent = 0; sent < 500; sent++) {
      const [outcome] = delivered(net.route('v0', ['v1'], sent));
      expect(outcome).toBeDefined();
      expect(outcome!.atMs - sent).toBeGreaterThanOrEqual(CALM_LINKS.delayBaseMinimumMs);
      expect(outcome!.atMs).toBeGreaterThanOrEqual(previous);
      previous = outcome!.atMs;
    }
  });

  it('never routes a message back to its sender, and reaches every instance of a twin', () => {
    const twins = network(CALM_LINKS, [...endpoints, { endpoint: 'v0+twin', validator: 'v0' }]);
    expect(twins.route('v0', ['v0'], 0).map((outcome) => outcome.endpoint)).toEqual(['v0+twin']);
    expect(twins.route('v1', ['v0'], 0).map((outcome) => outcome.endpoint).sort()).toEqual(['v0', 'v0+twin']);
    twins.addPartition('twins', splitPartition(['v0', 'v1'], ['v0+twin', 'v2', 'v3']));
    const outcomes = twins.route('v1', ['v0'], 0);
    expect(delivered(outcomes).map((outcome) => outcome.endpoint)).toEqual(['v0']);
    expect(outcomes).toContainEqual({ endpoint: 'v0+twin', delivered: false, reason: 'partition' });
  });

  it('loses about the configured fraction, and duplicates about the configured fraction', () => {
    const lossy = network({ ...CALM_LINKS, lossProbability: 0.3 });
    let lost = 0;
    for (let sent = 0; sent < 4000; sent++) if (!lossy.route('v0', ['v1'], sent)[0]!.delivered) lost += 1;
    expect(Math.abs(lost / 4000 - 0.3)).toBeLessThan(0.03);

    const duplicating = network({ ...CALM_LINKS, duplicateProbability: 0.5 });
    let copies = 0;
    for (let sent = 0; sent < 4000; sent++) copies += duplicating.route('v0', ['v1'], sent).filter((outcome) => outcome.delivered && outcome.duplicate).length;
    expect(Math.abs(copies / 4000 - 0.5)).toBeLessThan(0.04);
  });

  it('lets later messages overtake earlier ones only when reordering is on', () => {
    const reordering = network();
    reordering.setConditions({ ...CALM_LINKS, reorderProbability: 0.4, reorderDelayMaximumMs: 1000 });
    const arrivals = Array.from({ length: 200 }, (_, sent) => delivered(reordering.route('v0', ['v1'], sent))[0]!.atMs);
    const overtaken = arrivals.filter((arrival, index) => arrivals.slice(index + 1).some((later) => later < arrival)).length;
    expect(overtaken).toBeGreaterThan(20);
    reordering.heal();
    expect(reordering.conditions).toBe(CALM_LINKS);
    const calm = Array.from({ length: 200 }, (_, sent) => delivered(reordering.route('v2', ['v3'], 10_000 + sent))[0]!.atMs);
    expect(calm).toEqual([...calm].sort((a, b) => a - b));
  });

  it('cuts both directions of a split, one direction of a one-way cut, and heals', () => {
    const net = network();
    net.addPartition('halves', splitPartition(['v0', 'v1'], ['v2', 'v3']));
    expect(net.route('v0', ['v2'], 0)).toEqual([{ endpoint: 'v2', delivered: false, reason: 'partition' }]);
    expect(net.route('v3', ['v1'], 0)).toEqual([{ endpoint: 'v1', delivered: false, reason: 'partition' }]);
    expect(delivered(net.route('v0', ['v1'], 0))).toHaveLength(1);
    expect(net.removePartition('halves')).toBe(true);
    expect(delivered(net.route('v0', ['v2'], 0))).toHaveLength(1);

    net.addPartition('deaf', oneWayPartition(['v1', 'v2', 'v3'], ['v0']));
    expect(net.route('v1', ['v0'], 0)[0]!.delivered).toBe(false);
    expect(net.route('v0', ['v1'], 0)[0]!.delivered).toBe(true);
    expect(net.partitionCount).toBe(1);
  });

  it('draws the same fates for the same seed', () => {
    const conditions = { ...CALM_LINKS, lossProbability: 0.2, duplicateProbability: 0.2, reorderProbability: 0.2, reorderDelayMaximumMs: 500 };
    const run = () => {
      const net = network(conditions);
      return Array.from({ length: 300 }, (_, sent) => net.route(`v${sent % 4}`, ['v0', 'v1', 'v2', 'v3'], sent));
    };
    expect(run()).toEqual(run());
  });
});
