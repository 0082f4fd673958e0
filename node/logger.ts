/** Structured JSON logs (pino) with a level setting; every line carries the validator's id. */
import { pino } from 'pino';

export type Logger = Pick<pino.Logger, 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'child'>;

export function createLogger(validatorId: string, level: string, destination: NodeJS.WritableStream = process.stderr): Logger {
  return pino({ level, base: { validator: validatorId }, timestamp: pino.stdTimeFunctions.isoTime }, destination as pino.DestinationStream);
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
