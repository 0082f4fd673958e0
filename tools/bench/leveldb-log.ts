/**
 * LevelDB's own log (the `LOG` file in a database's folder) read as intervals of background work:
 * memtable flushes and compactions, with their start and end times. The lines are LevelDB 1.23's
 * (db/db_impl.cc): `Level-0 table #N: started` and `Level-0 table #N: B bytes OK` around a flush
 * (WriteLevel0Table), `Compacting A@L + B@L+1 files` and `compacted to: …` around a compaction
 * (DoCompactionWork); a trivial move writes nothing and is not work. Each line starts with the
 * local time to the microsecond (`2026/12/07-19:40:01.123456`) and the writing thread's id.
 */

export type BackgroundWorkKind = 'flush' | 'compaction';

export interface BackgroundWork {
  kind: BackgroundWorkKind;
  /** `Date.now()` clock, ms. */
  startMs: number;
  /** Undefined when the log ends before the work does. */
  endMs: number | undefined;
}

const LINE = /^(\d{4})\/(\d{2})\/(\d{2})-(\d{2}):(\d{2}):(\d{2})\.(\d{6}) \S+ (.*)$/;

/** The line's local time as the wall clock's ms, and its message; undefined for a line LevelDB did not stamp. */
export function parseLogLine(line: string): { atMs: number; message: string } | undefined {
  const match = LINE.exec(line);
  if (match === null) return undefined;
  const [year, month, day, hour, minute, second, micros] = match.slice(1, 8).map(Number) as [number, number, number, number, number, number, number];
  const atMs = new Date(year, month - 1, day, hour, minute, second).getTime() + micros / 1000;
  return { atMs, message: match[8]! };
}

/** Every flush and compaction the log records, in the order they started. */
export function parseLevelDbLog(text: string): BackgroundWork[] {
  const work: BackgroundWork[] = [];
  const open = new Map<BackgroundWorkKind, BackgroundWork>();
  const begin = (kind: BackgroundWorkKind, atMs: number) => {
    const started: BackgroundWork = { kind, startMs: atMs, endMs: undefined };
    work.push(started);
    open.set(kind, started);
  };
  const end = (kind: BackgroundWorkKind, atMs: number) => {
    const started = open.get(kind);
    if (started === undefined) return;
    started.endMs = atMs;
    open.delete(kind);
  };
  for (const line of text.split('\n')) {
    const parsed = parseLogLine(line);
    if (parsed === undefined) continue;
    const { atMs, message } = parsed;
    if (/^Level-0 table #\d+: started$/.test(message)) begin('flush', atMs);
    else if (/^Level-0 table #\d+: \d+ bytes/.test(message)) end('flush', atMs);
    else if (message.startsWith('Compacting ')) begin('compaction', atMs);
    else if (message.startsWith('compacted to: ')) end('compaction', atMs);
  }
  return work;
}

/** Whether [startMs, endMs] meets any of the work, unfinished work counting as running to the end of time. */
export function overlapsWork(startMs: number, endMs: number, work: readonly BackgroundWork[]): boolean {
  return work.some((item) => item.startMs <= endMs && (item.endMs ?? Infinity) >= startMs);
}
