/**
 * Where a validator's CPU went (issue 12): a V8 CPU profile (the `.cpuprofile` format Chrome
 * DevTools reads: a tree of call frames and a list of samples) reduced to the share of busy time
 * spent in each kind of work, attributing each sample to the innermost frame that names one.
 * Idle time is left out; garbage collection is its own category.
 */
import { readFile } from 'node:fs/promises';

/** The files `custodia start --profile-dir` writes on SIGUSR2 (tools/commands/cpu-profile.ts): a CPU profile, and an allocation profile with --profile-allocations. */
export const CPU_PROFILE_EXTENSION = '.cpuprofile';
export const ALLOCATION_PROFILE_EXTENSION = '.heapprofile';

/**
 * A frame's script as a path in the project or under node_modules: validators run the project's
 * code compiled into `node_modules/.cache/custodia-compiled/<digest>/`, and benchmarks may run
 * from a worktree.
 */
export function sourcePath(url: string): string {
  return url.replace(/^.*\/(node_modules\/\.cache\/custodia-compiled\/[0-9a-f]+|node_modules|wt-[a-z]+|wt-base)\//, '');
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber?: number; columnNumber?: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  /** Microseconds, as V8 writes them; DevTools wants both to open the file. */
  startTime?: number;
  endTime?: number;
}

/**
 * Several profiles of the same code (one per call of a stage) as one: call paths that are the
 * same frame by frame become one node, and the samples follow one another. The time between the
 * profiles is left out, so the merged profile is as long as the profiled calls together.
 */
export function mergeProfiles(profiles: readonly CpuProfile[]): CpuProfile {
  const nodes: Array<ProfileNode & { children: number[] }> = [];
  const merged = new Map<string, number>();
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  for (const profile of profiles) {
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const childIds = new Set(profile.nodes.flatMap((node) => node.children ?? []));
    const mergedId = new Map<number, number>();
    const pending: Array<{ node: ProfileNode; parent: number }> = profile.nodes.filter((node) => !childIds.has(node.id)).map((node) => ({ node, parent: 0 }));
    while (pending.length > 0) {
      const { node, parent } = pending.pop()!;
      const frame = node.callFrame;
      const key = `${parent}\u0000${frame.functionName}\u0000${frame.url}\u0000${frame.lineNumber ?? -1}\u0000${frame.columnNumber ?? -1}`;
      let id = merged.get(key);
      if (id === undefined) {
        id = nodes.length + 1;
        merged.set(key, id);
        nodes.push({ id, callFrame: frame, children: [] });
        if (parent !== 0) nodes[parent - 1]!.children.push(id);
      }
      mergedId.set(node.id, id);
      for (const child of node.children ?? []) pending.push({ node: byId.get(child)!, parent: id });
    }
    for (const [index, sample] of profile.samples.entries()) {
      samples.push(mergedId.get(sample)!);
      timeDeltas.push(profile.timeDeltas[index] ?? 0);
    }
  }
  const startTime = profiles[0]?.startTime ?? 0;
  return { nodes, samples, timeDeltas, startTime, endTime: startTime + timeDeltas.reduce((sum, delta) => sum + delta, 0) };
}

export const CPU_CATEGORIES = [
  'signature checks',
  'hashing and encoding',
  'JSON parsing',
  'schema validation',
  'execution',
  'consensus',
  'storage',
  'networking',
  'HTTP',
  'garbage collection',
  'other',
] as const;
export type CpuCategory = (typeof CPU_CATEGORIES)[number];

/** The first rule a frame matches names its category; a frame that matches none defers to its caller. */
const RULES: Array<{ category: CpuCategory; url?: RegExp; name?: RegExp }> = [
  { category: 'garbage collection', name: /^\(garbage collector\)$/ },
  { category: 'signature checks', url: /ledger\/crypto\/(ed25519|signatures|ed25519-rules)|@noble\/(ed25519|curves)|node:internal\/crypto\/(sig|keys)/ },
  { category: 'hashing and encoding', url: /ledger\/crypto\/sha256|ledger\/encoding\/(canonical-json|hex)|@noble\/hashes|node:internal\/crypto\/hash|node:buffer|node:internal\/encoding/ },
  { category: 'JSON parsing', url: /ledger\/encoding\/strict-json/ },
  { category: 'JSON parsing', name: /^(parse|stringify)$/, url: /^$/ },
  { category: 'schema validation', url: /node_modules\/zod|contracts\/epcis\// },
  { category: 'execution', url: /contracts\// },
  { category: 'consensus', url: /consensus\// },
  { category: 'storage', url: /classic-level|abstract-level|ledger\/store\// },
  { category: 'networking', url: /node_modules\/ws\/|node\/transport\/|node:net$|node:internal\/(net|stream_base_commons|streams)/ },
  { category: 'HTTP', url: /node_modules\/(express|router|body-parser|raw-body|finalhandler|send|qs)|node:_http|node:internal\/http|node\/http\/|api\/http\// },
];

function categoryOf(frame: ProfileNode['callFrame']): CpuCategory | undefined {
  for (const rule of RULES) {
    if ((rule.url === undefined || rule.url.test(frame.url)) && (rule.name === undefined || rule.name.test(frame.functionName))) return rule.category;
  }
  return undefined;
}

export interface CpuBreakdown {
  /** Busy time of the profile, seconds (idle excluded). */
  busySeconds: number;
  /** Share of busy time per category, in percent, rounded to a tenth. */
  percent: Record<CpuCategory, number>;
}

export function breakdown(profile: CpuProfile): CpuBreakdown {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const memo = new Map<number, CpuCategory | 'idle'>();
  const resolve = (id: number): CpuCategory | 'idle' => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id)!;
    const name = node.callFrame.functionName;
    let category: CpuCategory | 'idle';
    if (name === '(idle)') category = 'idle';
    else {
      const own = categoryOf(node.callFrame);
      const up = parent.get(id);
      category = own ?? (up === undefined ? 'other' : resolve(up));
      if (category === 'idle') category = 'other';
    }
    memo.set(id, category);
    return category;
  };
  const microseconds = Object.fromEntries(CPU_CATEGORIES.map((category) => [category, 0])) as Record<CpuCategory, number>;
  let busy = 0;
  for (const [index, sample] of profile.samples.entries()) {
    const category = resolve(sample);
    const delta = profile.timeDeltas[index] ?? 0;
    if (category === 'idle') continue;
    microseconds[category] += delta;
    busy += delta;
  }
  const percent = Object.fromEntries(CPU_CATEGORIES.map((category) => [category, busy === 0 ? 0 : Math.round((microseconds[category] / busy) * 1000) / 10])) as Record<CpuCategory, number>;
  return { busySeconds: Math.round(busy / 10_000) / 100, percent };
}

export async function breakdownOfFile(file: string): Promise<CpuBreakdown> {
  return breakdown(JSON.parse(await readFile(file, 'utf8')) as CpuProfile);
}

/** The busy-time-weighted mean of several validators' breakdowns. */
export function combine(breakdowns: readonly CpuBreakdown[]): CpuBreakdown {
  const busy = breakdowns.reduce((sum, entry) => sum + entry.busySeconds, 0);
  const percent = Object.fromEntries(
    CPU_CATEGORIES.map((category) => [category, busy === 0 ? 0 : Math.round((breakdowns.reduce((sum, entry) => sum + entry.percent[category] * entry.busySeconds, 0) / busy) * 10) / 10]),
  ) as Record<CpuCategory, number>;
  return { busySeconds: Math.round(busy * 100) / 100, percent };
}
