/**
 * Where a validator's garbage comes from (issue 12): a V8 sampling heap profile (the
 * `.heapprofile` format DevTools reads: a tree of call frames, each with the bytes of the
 * sampled allocations made there) reduced to the functions that allocate most, by their own
 * allocations and by everything allocated under them. `custodia start --profile-allocations`
 * keeps the objects collected during the window in the profile, so these are bytes allocated,
 * not bytes still alive: what the collector has to sweep.
 */
import { sourcePath } from './profile.js';

interface AllocationNode {
  callFrame: { functionName: string; url: string; lineNumber?: number };
  /** Bytes of the sampled allocations made in this frame itself (V8 scales them to estimate all). */
  selfSize: number;
  children: AllocationNode[];
}

export interface AllocationProfile {
  head: AllocationNode;
}

export interface AllocationTop {
  /** Every byte the profile saw allocated. */
  bytes: number;
  /** The frames that allocated most themselves. */
  self: Array<{ frame: string; bytes: number }>;
  /** The frames with most allocated under them (a frame counted once per stack, however deep it recurses). */
  inclusive: Array<{ frame: string; bytes: number }>;
}

function frameName(node: AllocationNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || '(anonymous)'}${url === '' ? '' : ` ${sourcePath(url)}:${lineNumber ?? -1}`}`;
}

export function allocationTop(profile: AllocationProfile, count: number): AllocationTop {
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let bytes = 0;
  // Depth first without recursion (call stacks can be deep); each entry carries the frames above it.
  const pending: Array<{ node: AllocationNode; above: readonly string[] }> = [{ node: profile.head, above: [] }];
  while (pending.length > 0) {
    const { node, above } = pending.pop()!;
    const name = frameName(node);
    const stack = node === profile.head ? above : [...above, name];
    if (node.selfSize > 0) {
      bytes += node.selfSize;
      if (node !== profile.head) self.set(name, (self.get(name) ?? 0) + node.selfSize);
      for (const frame of new Set(stack)) inclusive.set(frame, (inclusive.get(frame) ?? 0) + node.selfSize);
    }
    for (const child of node.children) pending.push({ node: child, above: stack });
  }
  const top = (totals: Map<string, number>) =>
    [...totals]
      .sort((left, right) => right[1] - left[1] || (left[0] < right[0] ? -1 : 1))
      .slice(0, count)
      .map(([frame, frameBytes]) => ({ frame, bytes: frameBytes }));
  return { bytes, self: top(self), inclusive: top(inclusive) };
}

/** The top as text, in KB per `unit` (a committed block, say): the figure a lever should move. */
export function formatAllocationTop(top: AllocationTop, units: number, unitName: string): string {
  const perUnit = (bytes: number) => (bytes / 1024 / Math.max(units, 1)).toFixed(1).padStart(7);
  const lines = (entries: AllocationTop['self']) => entries.map((entry) => `${perUnit(entry.bytes)} KB  ${entry.frame}`).join('\n');
  return `allocated ${perUnit(top.bytes).trim()} KB per ${unitName} (${units} ${unitName}s)\nby self:\n${lines(top.self)}\nby inclusive:\n${lines(top.inclusive)}\n`;
}
