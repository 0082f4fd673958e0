/**
 * The validators a benchmark runs: real `custodia start` processes on 127.0.0.1 from a testnet
 * in a temporary folder, with CPU and memory read from /proc while they run (Linux), CPU profiles
 * taken over the measured window on signal (tools/commands/cpu-profile.ts), and every process
 * stopped when the run ends, fails or is interrupted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeBasePort } from '../../node/ports.js';
import { portsOf, writeTestnet, type TestnetLayout, type TestnetOptions } from '../../node/testnet.js';

const binary = fileURLToPath(new URL('../bin/custodia.mjs', import.meta.url));
const READY_TIMEOUT_MS = 90_000;
/** Linux reports CPU time in clock ticks: USER_HZ is 100 on every architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

export type ClusterOptions = Omit<TestnetOptions, 'directory' | 'basePort' | 'chainId'>;

export interface ProcessUsage {
  cpuSeconds: number;
  rssMbMax: number;
}

export class BenchCluster {
  private readonly children: ChildProcess[] = [];
  private readonly rssMaxKb: number[] = [];
  private readonly rssLatestKb: number[] = [];
  private sampler: NodeJS.Timeout | undefined;
  private stopped = false;

  private constructor(
    readonly directory: string,
    readonly layout: TestnetLayout,
    readonly basePort: number,
    readonly chainId: string,
  ) {}

  static async start(options: ClusterOptions): Promise<BenchCluster> {
    const directory = await mkdtemp(join(tmpdir(), 'custodia-bench-'));
    const basePort = await freeBasePort(options.validators);
    const chainId = 'custodia-bench';
    const layout = await writeTestnet({ ...options, directory: join(directory, 'net'), basePort, chainId });
    const cluster = new BenchCluster(directory, layout, basePort, chainId);
    try {
      await mkdir(cluster.profileDirectory);
      for (const [index, config] of layout.configFiles.entries()) {
        const log = openSync(join(directory, `validator-${index}.log`), 'a');
        cluster.children.push(spawn(process.execPath, [binary, 'start', '--config', config, '--profile-dir', cluster.profileDirectory], { stdio: ['ignore', log, log] }));
        cluster.rssMaxKb.push(0);
        cluster.rssLatestKb.push(0);
      }
      await cluster.waitUntilReady();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    cluster.sampler = setInterval(() => void cluster.sampleMemory(), 500);
    return cluster;
  }

  get size(): number {
    return this.children.length;
  }

  get profileDirectory(): string {
    return join(this.directory, 'profiles');
  }

  apiUrl(index: number): string {
    return `http://127.0.0.1:${portsOf(this.basePort, index).api}`;
  }

  metricsUrl(index: number): string {
    return `http://127.0.0.1:${portsOf(this.basePort, index).metrics}`;
  }

  private async waitUntilReady(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const exited = this.children.findIndex((child) => child.exitCode !== null);
      if (exited >= 0) throw new Error(`validator-${exited} exited (${this.children[exited]!.exitCode}); see ${this.directory}/validator-${exited}.log`);
      const ready = await Promise.all(this.children.map((_, index) => fetch(`${this.metricsUrl(index)}/readyz`).then((response) => response.ok, () => false)));
      if (ready.every(Boolean)) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`the validators were not ready within ${READY_TIMEOUT_MS} ms`);
  }

  /** CPU seconds each validator has used so far (user and system). */
  async cpuSeconds(): Promise<number[]> {
    return Promise.all(
      this.children.map(async (child) => {
        const stat = await readFile(`/proc/${child.pid}/stat`, 'utf8');
        // Fields after the command name, which is in parentheses and may hold spaces.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
      }),
    );
  }

  private async sampleMemory(): Promise<void> {
    for (const [index, child] of this.children.entries()) {
      try {
        const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
        const rss = /^VmRSS:\s+(\d+) kB$/m.exec(status);
        if (rss !== null) {
          this.rssMaxKb[index] = Math.max(this.rssMaxKb[index]!, Number(rss[1]));
          this.rssLatestKb[index] = Number(rss[1]);
        }
      } catch {
        // The process is gone; its last sample stands.
      }
    }
  }

  /** Peak resident memory of each validator since the last reset, in MB. */
  rssMbMax(): number[] {
    return this.rssMaxKb.map((kb) => Math.round((kb / 1024) * 10) / 10);
  }

  /** Resident memory of each validator at the last sample (every 500 ms), in MB: to tell whether it stays flat over a window. */
  rssMbLatest(): number[] {
    return this.rssLatestKb.map((kb) => Math.round((kb / 1024) * 10) / 10);
  }

  resetMemoryPeaks(): void {
    this.rssMaxKb.fill(0);
  }

  /** Starts (or, called again, stops and writes) a CPU profile in every validator. */
  toggleProfiles(): void {
    for (const child of this.children) child.kill('SIGUSR2');
  }

  /** The profiles written so far, newest last, one list per validator. */
  async profiles(): Promise<string[][]> {
    const files = await readdir(this.profileDirectory);
    return this.children.map((_, index) =>
      files
        .filter((file) => file.startsWith(`validator-${index}-`) && file.endsWith('.cpuprofile'))
        .sort()
        .map((file) => join(this.profileDirectory, file)),
    );
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.sampler !== undefined) clearInterval(this.sampler);
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const forced = setTimeout(() => child.kill('SIGKILL'), 20_000);
            child.once('exit', () => {
              clearTimeout(forced);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
    if (process.env['CUSTODIA_KEEP_BENCH'] === undefined) await rm(this.directory, { recursive: true, force: true });
  }
}
