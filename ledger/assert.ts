/**
 * Invariant checks. A failed assertion is a bug in Custodia, never bad input: it throws
 * loudly so the process stops before it can write or sign anything on a broken premise.
 * Expected failures (a peer's bad message, an invalid transaction) are returned as values.
 */

export class InvariantError extends Error {
  override name = 'InvariantError';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}

export function unreachable(value: never, message = 'unreachable'): never {
  throw new InvariantError(`${message}: ${JSON.stringify(value)}`);
}
