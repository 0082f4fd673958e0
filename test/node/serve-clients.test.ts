/**
 * A validator started with `serveClients: false` (what `custodia repair` runs while it rebuilds a
 * ledger) opens neither its API nor its metrics port, yet takes part in consensus and commits.
 */
import { connect } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../node/config.js';
import { silentLogger } from '../../node/logger.js';
import { freeBasePort } from '../../node/ports.js';
import { portsOf, writeTestnet } from '../../node/testnet.js';
import { startValidator, type RunningValidator } from '../../node/validator.js';
import { temporaryDirectories } from '../support/temp-dir.js';
import { waitUntil as waitUntilIn } from './support/in-process.js';

const newDirectory = temporaryDirectories('serve-clients');
let validator: RunningValidator | undefined;

afterAll(async () => {
  await validator?.stop();
});

/** Whether anything accepts a TCP connection on the port. */
function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const waitUntil = (condition: () => boolean, what: string) => waitUntilIn(condition, what, 60_000);

describe('a validator that does not serve clients', () => {
  it('listens on neither the API nor the metrics port, and still commits', { timeout: 90_000 }, async () => {
    const basePort = await freeBasePort(1);
    const layout = await writeTestnet({ directory: await newDirectory(), validators: 1, basePort, chainId: 'custodia-serve-clients', roundTimeoutBaseMs: 1000, idleProposalDelayMs: 50 });
    const loaded = await loadConfig(layout.configFiles[0]!);
    if (!loaded.ok) throw new Error(loaded.message);
    const running = await startValidator(loaded.config, { logger: silentLogger(), serveClients: false });
    validator = running;
    expect(running.apiUrl).toBeUndefined();
    expect(running.metricsUrl).toBeUndefined();
    await waitUntil(() => running.store.head().height >= 2, 'two heartbeat blocks committed');
    const ports = portsOf(basePort, 0);
    expect(await accepting(ports.api)).toBe(false);
    expect(await accepting(ports.metrics)).toBe(false);
    expect(await accepting(running.p2pPort)).toBe(true);
    await running.stop();
    validator = undefined;
  });
});
