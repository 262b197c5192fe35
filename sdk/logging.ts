import pino, { type DestinationStream, type Logger } from 'pino';
import { createLogDestination } from './log-destination';
import { registerOwnLogger } from './request-line';

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
  const name = options.name ?? 'osbkit';
  const destination = options.destination ?? createLogDestination();
  const logger = pino(
    {
      name,
      level: options.level ?? process.env.OSBKIT_LOG_LEVEL ?? 'info',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    destination,
  );
  // A multistream routes by metadata pino sets on it before each line: only pino may write to it.
  if (!Reflect.get(destination, pino.symbols.needsMetadataGsym)) registerOwnLogger(logger, destination, name);
  return logger;
}

export type { Logger };
