/**
 * The exit codes of every `custodia` subcommand: 0 for success, 1 when the thing checked or
 * asked for is bad (a verification failed, a transaction was rejected, the node refused), and 2
 * for a usage or input error.
 */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Prints `error: <message>` to stderr and returns the exit code to end with. */
export function fail(message: string, code: number = EXIT_USAGE): number {
  process.stderr.write(`error: ${message}\n`);
  return code;
}
