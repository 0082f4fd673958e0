/**
 * Store reads for one answer issued together rather than one after another: each LevelDB read is a
 * trip through libuv's thread pool, and an answer that awaits a dozen of them in turn waits a
 * dozen trips (on a busy machine each trip is a wait for a thread and for the event loop). At
 * most READS_IN_FLIGHT_MAX of one answer's reads are in flight at once, so a large answer does
 * not flood the pool that every other request and the validator's own work share.
 */

export const READS_IN_FLIGHT_MAX = 32;

/** `read` of every item, results in the items' order; the first failure rejects, as a loop of awaits would. */
export async function readAll<T, R>(items: readonly T[], read: (item: T, index: number) => Promise<R>, inFlightMax = READS_IN_FLIGHT_MAX): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await read(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlightMax, items.length) }, worker));
  return results;
}
