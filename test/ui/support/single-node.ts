/**
 * A one-validator network for browser tests that need a long chain quickly: a testnet written by
 * node/testnet.ts to a temporary folder and its single validator started as a `custodia start`
 * process on 127.0.0.1. One validator is its own quorum, so with `idleProposalDelayMs: 0` it
 * commits empty blocks as fast as it can sign them, and a chain thousands of blocks long is a
 * matter of seconds, not the devnet's half a second a block.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeBasePort } from '../../../node/ports.js';
import { portsOf, writeTestnet, type TestnetLayout } from '../../../node/testnet.js';

const BINARY = fileURLToPath(new URL('../../../tools/bin/custodia.mjs', import.meta.url));
export const SINGLE_NODE_CHAIN_ID = 'custodia-ui-single';

export interface SingleNode {
  url: string;
  layout: TestnetLayout;
  /** The demo regulator's read token (an auditor credential). */
  token: string;
  /** The committed height, from the public GET /v1/ledger/head. */
  height(): Promise<number>;
  /**
   * Stops the validator gracefully, sets how long it waits before proposing an empty block, and
   * starts it again on the same data (a long chain need not keep a core busy once it is long).
   */
  restart(options: { idleProposalDelayMs: number }): Promise<void>;
  close(): Promise<void>;
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number, what: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the validator exited (${child.exitCode ?? child.signalCode}) before ${what}`);
    if (await condition().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function startSingleNode(options: { idleProposalDelayMs?: number; roundTimeoutBaseMs?: number } = {}): Promise<SingleNode> {
  const directory = await mkdtemp(join(tmpdir(), 'custodia-ui-single-'));
  const basePort = await freeBasePort(1);
  const layout = await writeTestnet({
    directory: join(directory, 'net'),
    validators: 1,
    basePort,
    chainId: SINGLE_NODE_CHAIN_ID,
    roundTimeoutBaseMs: options.roundTimeoutBaseMs ?? 1000,
    idleProposalDelayMs: options.idleProposalDelayMs ?? 200,
  });
  const logFile = join(directory, 'validator-0.log');
  const configFile = layout.configFiles[0]!;
  const url = layout.apiUrls[0]!;
  const readyz = `http://127.0.0.1:${portsOf(basePort, 0).metrics}/readyz`;
  const launch = (): ChildProcess => {
    const log = openSync(logFile, 'a');
    try {
      return spawn(process.execPath, [BINARY, 'start', '--config', configFile], { stdio: ['ignore', log, log] });
    } finally {
      closeSync(log);
    }
  };
  let child = launch();
  const stop = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  };
  const close = async () => {
    await stop('SIGKILL');
    // CUSTODIA_KEEP_TEST_NETWORK=1 keeps the logs and data of a failing run.
    if (process.env['CUSTODIA_KEEP_TEST_NETWORK'] === undefined) await rm(directory, { recursive: true, force: true });
  };
  const ready = () => waitUntil(async () => (await fetch(readyz, { signal: AbortSignal.timeout(2000) })).ok, 60_000, 'the validator to be ready', child);
  const height = async () => ((await (await fetch(`${url}/v1/ledger/head`, { signal: AbortSignal.timeout(5000) })).json()) as { height: number }).height;
  const restart = async (next: { idleProposalDelayMs: number }) => {
    await stop('SIGTERM');
    const config = JSON.parse(await readFile(configFile, 'utf8')) as { consensus: { idleProposalDelayMs: number } };
    config.consensus.idleProposalDelayMs = next.idleProposalDelayMs;
    await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`);
    child = launch();
    await ready();
  };
  try {
    await ready();
  } catch (error) {
    await close();
    throw error;
  }
  return { url, layout, token: layout.auditorReadToken, height, restart, close };
}
