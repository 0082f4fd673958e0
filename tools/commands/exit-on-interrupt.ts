/**
 * Ends a command's process on SIGINT or SIGTERM through `process.exit` (exit 130 or 143, the
 * shell's 128 + signal), so that its `exit` listeners run. Node's default for these signals ends
 * the process without them, and the scratch folders verify and repair make in the temporary
 * folder (a read copy of the store, verify's scratch state tree) are removed only by those
 * listeners when the command does not finish: a verify stopped with Ctrl-C left gigabytes behind.
 */
const EXIT_CODE_BY_SIGNAL = { SIGINT: 130, SIGTERM: 143 } as const;

/** Runs `task` with the signals handled as above; the handlers are removed when it settles. */
export async function exitOnInterrupt<Result>(task: () => Promise<Result>): Promise<Result> {
  const handlers = (Object.keys(EXIT_CODE_BY_SIGNAL) as Array<keyof typeof EXIT_CODE_BY_SIGNAL>).map((signal) => {
    const handler = () => process.exit(EXIT_CODE_BY_SIGNAL[signal]);
    process.on(signal, handler);
    return () => process.off(signal, handler);
  });
  try {
    return await task();
  } finally {
    for (const remove of handlers) remove();
  }
}
