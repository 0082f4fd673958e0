/**
 * The logging surface the transport needs: pino's method shape, `(fields, message)`, so a pino
 * logger (or a child of one) can be passed as it is. Nothing is logged unless a logger is given.
 */

export interface TransportLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

function ignore(): void {}

export const SILENT_LOGGER: TransportLogger = Object.freeze({ debug: ignore, info: ignore, warn: ignore, error: ignore });
