import { describe, expect, it } from 'vitest';
import { overlapsWork, parseLevelDbLog, parseLogLine } from '../../tools/bench/leveldb-log.js';

// Lines as LevelDB 1.23 wrote them into a database's LOG (a flush, a compaction, a flush cut off).
const LOG = [
  '2026/12/07-19:56:32.712485 7f5c3e7bf6c0 Delete type=3 #1',
  '2026/12/07-19:56:33.173652 7f5477fff6c0 Level-0 table #5: started',
  '2026/12/07-19:56:33.193675 7f5477fff6c0 Level-0 table #5: 51362 bytes OK',
  '2026/12/07-19:56:33.194254 7f5477fff6c0 Delete type=0 #3',
  '2026/12/07-19:56:34.379016 7f5477fff6c0 Compacting 4@0 + 1@1 files',
  '2026/12/07-19:56:34.404254 7f5477fff6c0 Generated table #16@0: 3830 keys, 250591 bytes',
  '2026/12/07-19:56:34.404271 7f5477fff6c0 Compacted 4@0 + 1@1 files => 250591 bytes',
  '2026/12/07-19:56:34.405303 7f5477fff6c0 compacted to: files[ 0 1 1 0 0 0 0 ]',
  'a line LevelDB did not stamp',
  '2026/12/07-19:56:34.777539 7f5477fff6c0 Level-0 table #18: started',
  '',
].join('\n');

/** A local time of that day (`hh:mm:ss.ffffff`) as the wall clock's ms, microseconds kept. */
function at(time: string): number {
  const [clock, fraction] = time.split('.') as [string, string];
  return new Date(`2026-12-07T${clock}`).getTime() + Number(`0.${fraction}`) * 1000;
}

describe('LevelDB log', () => {
  it('reads a line as its local time to the microsecond and its message', () => {
    const line = parseLogLine('2026/12/07-19:56:33.173652 7f5477fff6c0 Level-0 table #5: started');
    expect(line?.message).toBe('Level-0 table #5: started');
    expect(line?.atMs).toBeCloseTo(at('19:56:33.173652'), 6);
    expect(parseLogLine('Level-0 table #5: started')).toBeUndefined();
  });

  it('turns flushes and compactions into intervals, an unfinished one left open', () => {
    const work = parseLevelDbLog(LOG);
    expect(work.map((item) => item.kind)).toEqual(['flush', 'compaction', 'flush']);
    expect(work[0]!.startMs).toBeCloseTo(at('19:56:33.173652'), 3);
    expect(work[0]!.endMs).toBeCloseTo(at('19:56:33.193675'), 3);
    expect(work[1]!.startMs).toBeCloseTo(at('19:56:34.379016'), 3);
    expect(work[1]!.endMs).toBeCloseTo(at('19:56:34.405303'), 3);
    expect(work[2]!.endMs).toBeUndefined();
  });

  it('tells whether an interval meets any of the work', () => {
    const work = parseLevelDbLog(LOG);
    expect(overlapsWork(at('19:56:33.000'), at('19:56:33.180'), work)).toBe(true);
    expect(overlapsWork(at('19:56:33.300'), at('19:56:34.000'), work)).toBe(false);
    // The last flush never ended in the log: anything after its start meets it.
    expect(overlapsWork(at('19:59:00.000'), at('19:59:01.000'), work)).toBe(true);
    expect(overlapsWork(at('19:56:00.000'), at('19:56:01.000'), [])).toBe(false);
  });
});
