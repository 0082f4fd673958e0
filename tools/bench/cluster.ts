/**
 * The validators a benchmark or a chaos run drives: real `custodia start` processes on 127.0.0.1
 * from a testnet in a temporary folder, with CPU and memory read from /proc while they run
 * (Linux), CPU profiles taken over the measured window on signal (tools/commands/cpu-profile.ts),
 * each validator killed, paused, stopped and started again on demand, and every process stopped
 * when the run ends, fails or is interrupted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freeBasePort } from '../../node/ports.js';
import { portsOf, writeTestnet, type TestnetLayout, type TestnetOptions } from '../../node/testnet.js';
import { CUSTODIA_BINARY, validatorEnvironment } from '../validator-process.js';
import { ALLOCATION_PROFILE_EXTENSION, CPU_PROFILE_EXTENSION } from './profile.js';

const READY_TIMEOUT_MS = 90_000;
/** Linux reports CPU time in clock ticks: USER_HZ is 100 on every architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

export type ClusterOptions = Omit<TestnetOptions, 'directory' | 'basePort' | 'chainId'>;

export interface ProcessUsage {
  cpuSeconds: number;
  rssMbMax: number;
}

/**
 * Clusters started and not yet stopped. While there is one, SIGINT and SIGTERM stop every one of
 * them (their validators gracefully, forced after 20 s) before the process exits, whenever the
 * signal comes: while a cluster is still starting, during a run, or between two runs; and if the
 * process exits any other way (a crash), their validators are killed on the way out, so a
 * benchmark or chaos run never leaves validator processes behind.
 */
const liveClusters = new Set<BenchCluster>();
let interruptedBy: NodeJS.Signals | undefined;

function onInterrupt(signal: NodeJS.Signals): void {
  // A second signal while stopping changes nothing: every process is already being stopped.
  if (interruptedBy !== undefined) return;
  interruptedBy = signal;
  void Promise.allSettled([...liveClusters].map((cluster) => cluster.stop(cluster.keepDataOnInterrupt))).then(() => process.exit(signal === 'SIGINT' ? 130 : 143));
}

function killLiveClustersOnExit(): void {
  for (const cluster of liveClusters) cluster.killAllNow();
}

function track(cluster: BenchCluster): void {
  if (liveClusters.size === 0) {
    process.on('SIGINT', onInterrupt);
    process.on('SIGTERM', onInterrupt);
    process.on('exit', killLiveClustersOnExit);
  }
  liveClusters.add(cluster);
}

function untrack(cluster: BenchCluster): void {
  if (!liveClusters.delete(cluster) || liveClusters.size > 0) return;
  process.off('SIGINT', onInterrupt);
  process.off('SIGTERM', onInterrupt);
  process.off('exit', killLiveClustersOnExit);
}

export class BenchCluster {
  /** Whether an interrupt keeps this cluster's folder (validator data and logs) for inspection. */
  keepDataOnInterrupt = false;
  private readonly children: ChildProcess[] = [];
  private readonly rssMaxKb: number[] = [];
  private readonly rssLatestKb: number[] = [];
  private sampler: NodeJS.Timeout | undefined;
  /** Whether each profile also samples the validator's allocations (`custodia start --profile-allocations`). */
  private profileAllocations = false;
  private stopped = false;
  private removed = false;

  private constructor(
    readonly directory: string,
    readonly layout: TestnetLayout,
    readonly basePort: number,
    readonly chainId: string,
    /** Whether stopping removes `directory`: a cluster started on a testnet written by someone else leaves it. */
    private readonly ownsDirectory = true,
    /** The monitoring path each validator answers once it has started: /readyz, or /healthz for fewer than a quorum. */
    private readonly readyPath = '/readyz',
  ) {}

  static async start(options: ClusterOptions, profiling: { allocations?: boolean } = {}): Promise<BenchCluster> {
    const directory = await mkdtemp(join(tmpdir(), 'custodia-bench-'));
    const basePort = await freeBasePort(options.validators);
    const chainId = 'custodia-bench';
    const layout = await writeTestnet({ ...options, directory: join(directory, 'net'), basePort, chainId });
    const cluster = new BenchCluster(directory, layout, basePort, chainId);
    cluster.profileAllocations = profiling.allocations === true;
    await cluster.launch(layout.configFiles.length);
    return cluster;
  }

  /**
   * The first `count` validators of a testnet written before (the storage benchmark's, on the
   * ledger it loaded), started on their data as they are; each is ready once it answers /healthz,
   * since fewer than a quorum never become ready to order. Stopping leaves the folder in place.
   */
  static async startWritten(options: { directory: string; layout: TestnetLayout; basePort: number; chainId: string; count: number }): Promise<BenchCluster> {
    const cluster = new BenchCluster(options.directory, options.layout, options.basePort, options.chainId, false, '/healthz');
    await cluster.launch(options.count);
    return cluster;
  }

  /** Spawns the first `count` validators and waits until each is ready; on failure stops what it started. */
  private async launch(count: number): Promise<void> {
    track(this);
    try {
      await mkdir(this.profileDirectory, { recursive: true });
      for (let index = 0; index < count; index++) {
        this.children.push(this.spawnValidator(index));
        this.rssMaxKb.push(0);
        this.rssLatestKb.push(0);
      }
      await this.waitUntilReady();
    } catch (error) {
      await this.stop();
      throw error;
    }
    this.sampler = setInterval(() => void this.sampleMemory(), 500);
  }

  private spawnValidator(index: number): ChildProcess {
    const log = openSync(this.logFile(index), 'a');
    const nodeFlags = (process.env['CUSTODIA_BENCH_NODE_FLAGS'] ?? '').split(' ').filter((flag) => flag !== '');
    const profiling = ['--profile-dir', this.profileDirectory, ...(this.profileAllocations ? ['--profile-allocations'] : [])];
    return spawn(process.execPath, [...nodeFlags, CUSTODIA_BINARY, 'start', '--config', this.layout.configFiles[index]!, ...profiling], { stdio: ['ignore', log, log], env: validatorEnvironment() });
  }

  /** Each validator's output (its JSON log lines), appended to across restarts. */
  logFile(index: number): string {
    return join(this.directory, `validator-${index}.log`);
  }

  configFile(index: number): string {
    return this.layout.configFiles[index]!;
  }

  /** The validator's data folder (ledger/ and consensus/), as node/testnet.ts writes its config. */
  dataDirectory(index: number): string {
    return join(dirname(this.layout.configFiles[index]!), 'data');
  }

  isRunning(index: number): boolean {
    const child = this.children[index]!;
    return child.exitCode === null && child.signalCode === null;
  }

  /** kill -9: nothing flushed or closed. */
  async kill(index: number): Promise<void> {
    await this.ended(index, 'SIGKILL');
  }

  /** A graceful stop (SIGTERM), forced after 20 s; the validator's exit code, or null when killed. */
  async terminate(index: number): Promise<number | null> {
    return this.ended(index, 'SIGTERM');
  }

  private ended(index: number, signal: NodeJS.Signals): Promise<number | null> {
    const child = this.children[index]!;
    if (!this.isRunning(index)) return Promise.resolve(child.exitCode);
    return new Promise((resolve) => {
      const forced = signal === 'SIGKILL' ? undefined : setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.once('exit', (code) => {
        if (forced !== undefined) clearTimeout(forced);
        resolve(code);
      });
      // A paused process handles no SIGTERM until it runs again.
      child.kill('SIGCONT');
      child.kill(signal);
    });
  }

  /** Starts a stopped validator again on the same data. */
  restart(index: number): void {
    if (this.stopped || this.isRunning(index)) return;
    this.children[index] = this.spawnValidator(index);
  }

  /** SIGSTOP and SIGCONT: the process is frozen with its sockets open, as a long GC pause or a stalled VM would be. */
  pause(index: number): void {
    if (this.isRunning(index)) this.children[index]!.kill('SIGSTOP');
  }

  resume(index: number): void {
    if (this.isRunning(index)) this.children[index]!.kill('SIGCONT');
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
      const ready = await Promise.all(this.children.map((_, index) => fetch(`${this.metricsUrl(index)}${this.readyPath}`).then((response) => response.ok, () => false)));
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

  /** Reads each validator's resident memory now (also done every 500 ms). */
  async sampleMemory(): Promise<void> {
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

  /**
   * Each running validator's resident memory from the kernel, MB: its high-water mark since it
   * started (VmHWM), and what is resident now, split into private memory (RssAnon: the heap,
   * LevelDB's caches) and pages of mapped files (RssFile: the node binary, and the LevelDB tables
   * it maps to read them, which the kernel can drop at any time).
   */
  async memoryStatus(): Promise<Array<{ rssMbHighWater: number; rssAnonMb: number; rssFileMb: number }>> {
    return Promise.all(
      this.children.map(async (child) => {
        const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
        const field = (name: string) => {
          const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status);
          return match === null ? 0 : Math.round((Number(match[1]) / 1024) * 10) / 10;
        };
        return { rssMbHighWater: field('VmHWM'), rssAnonMb: field('RssAnon'), rssFileMb: field('RssFile') };
      }),
    );
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

  /** Starts (or, called again, stops and writes) a CPU profile (and an allocation profile, if asked for) in every validator. */
  toggleProfiles(): void {
    for (const child of this.children) child.kill('SIGUSR2');
  }

  /** The profiles written so far (CPU profiles, or with `kind` allocation profiles), newest last, one list per validator. */
  async profiles(kind: 'cpu' | 'allocations' = 'cpu'): Promise<string[][]> {
    const files = await readdir(this.profileDirectory);
    const extension = kind === 'cpu' ? CPU_PROFILE_EXTENSION : ALLOCATION_PROFILE_EXTENSION;
    return this.children.map((_, index) =>
      files
        .filter((file) => file.startsWith(`validator-${index}-`) && file.endsWith(extension))
        .sort()
        .map((file) => join(this.profileDirectory, file)),
    );
  }

  /** Stops every validator gracefully and keeps their data (to verify it); `stop()` then removes it. */
  async stopValidators(): Promise<void> {
    this.stopped = true;
    if (this.sampler !== undefined) clearInterval(this.sampler);
    await Promise.all(this.children.map((_, index) => this.terminate(index)));
  }

  async stop(keep = process.env['CUSTODIA_KEEP_BENCH'] !== undefined): Promise<void> {
    if (this.removed) return;
    this.removed = true;
    try {
      await this.stopValidators();
      if (!keep && this.ownsDirectory) await rm(this.directory, { recursive: true, force: true });
    } finally {
      untrack(this);
    }
  }

  /** The process ids of the validators running now. */
  get runningPids(): number[] {
    return this.children.flatMap((child, index) => (this.isRunning(index) && child.pid !== undefined ? [child.pid] : []));
  }

  /** SIGKILL to every running validator, synchronously: the last resort when this process exits without stopping them. */
  killAllNow(): void {
    for (const [index, child] of this.children.entries()) {
      if (!this.isRunning(index)) continue;
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
  }
}
