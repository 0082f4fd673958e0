/**
 * The benchmark harness stops every process it started when it is interrupted (issue 12: "It
 * stops every process it started, also on error and Ctrl-C"): a signal to the process that drives
 * a cluster, whether it comes while the validators are still starting or once they run, stops
 * them and removes the cluster's folder before the driver exits with 128 + the signal's number.
 */
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { temporaryDirectories } from '../support/temp-dir.js';

const newDirectory = temporaryDirectories('bench-interrupt');
const driver = fileURLToPath(new URL('./support/bench-cluster-until-signal.ts', import.meta.url));
const CONDITION_TIMEOUT_MS = 90_000;

/** Processes whose command line names a path under `directory` (Linux /proc). */
async function processesUnder(directory: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const commandLine = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (commandLine.includes(`${directory}/custodia-bench-`)) pids.push(Number(entry));
  }
  return pids;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + CONDITION_TIMEOUT_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function interruptedRun(signal: 'SIGINT' | 'SIGTERM', when: 'validator-spawned' | 'ready'): Promise<{ code: number | null; validators: number[]; leftInTemp: string[]; directory: string }> {
  const directory = await newDirectory();
  const child = spawn(process.execPath, ['--import', 'tsx', driver], { env: { ...process.env, TMPDIR: directory }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const validators = await waitFor('a validator process', async () => {
      const found = await processesUnder(directory);
      return found.length > 0 && (when === 'validator-spawned' || stdout.includes('ready')) ? found : undefined;
    });
    child.kill(signal);
    const code = await exited;
    // Exiting is the driver's last act, after its validators have ended: none may remain.
    const leftInTemp = await readdir(directory);
    return { code, validators, leftInTemp, directory };
  } finally {
    child.kill('SIGKILL');
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('interrupting a benchmark', () => {
  it('while its validators start: SIGINT stops them and removes the cluster folder, exit 130', async () => {
    const run = await interruptedRun('SIGINT', 'validator-spawned');
    expect(run.code).toBe(130);
    expect(run.validators.length).toBeGreaterThan(0);
    expect(run.validators.filter(isAlive)).toEqual([]);
    expect(await processesUnder(run.directory)).toEqual([]);
    expect(run.leftInTemp.filter((name) => name.startsWith('custodia-bench-'))).toEqual([]);
  }, 180_000);

  it('while they run: SIGTERM does the same, exit 143', async () => {
    const run = await interruptedRun('SIGTERM', 'ready');
    expect(run.code).toBe(143);
    expect(run.validators.filter(isAlive)).toEqual([]);
    expect(await processesUnder(run.directory)).toEqual([]);
    expect(run.leftInTemp.filter((name) => name.startsWith('custodia-bench-'))).toEqual([]);
  }, 180_000);
});
