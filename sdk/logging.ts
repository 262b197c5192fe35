import pino, { type DestinationStream, type Logger } from 'pino';
import { createLogDestination } from './log-destination';

/**
 * Paths that may hold secrets. The SDK never logs request or response bodies, but broker
 * authors log their own objects; these paths are censored wherever they appear.
 */
export const REDACTED_PATHS = [
  'parameters',
  '*.parameters',
  'credentials',
  '*.credentials',
  'password',
  '*.password',
  '*.*.password',
  'secret',
  '*.secret',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'uri',
  '*.uri',
  'jdbcUrl',
  '*.jdbcUrl',
];

export interface CreateLoggerOptions {
  level?: string;
  name?: string;
  /** Where lines go: by default stdout, written in batches (see createLogDestination). */
  destination?: DestinationStream;
}

export function createLogger(options: CreateLoggerOptions = {}): Logger {
  return pino(
    {
      name: options.name ?? 'osbkit',
      level: options.level ?? process.env.OSBKIT_LOG_LEVEL ?? 'info',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    options.destination ?? createLogDestination(),
  );
}

export type { Logger };
