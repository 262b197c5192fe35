import { hostname } from 'node:os';
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
  if (!(destination as unknown as Record<symbol, unknown>)[pino.symbols.needsMetadataGsym]) {
    ownLoggers.set(logger, { destination, base: `,"pid":${process.pid},"hostname":${JSON.stringify(hostname())},"name":${JSON.stringify(name)}` });
  }
  return logger;
}

/** The fields of the line the server logs for each request; undefined ones are left out. */
export interface RequestLine {
  requestId: string | undefined;
  instanceId: string | undefined;
  bindingId: string | undefined;
  status: number;
  durationMs: number;
}

export type RequestLineWriter = (line: RequestLine) => void;

/** Loggers made by createLogger, with what their lines begin with after the time. */
const ownLoggers = new WeakMap<Logger, { destination: DestinationStream; base: string }>();

const INFO = 30;

/**
 * Writes the request lines of one endpoint through `lineLogger`, a child of `logger` with the
 * method and endpoint bound. A busy broker writes one per request, and pino spends more on
 * it than the SDK spends on a catalog request: it looks up serializers and escapes each
 * field by hand. For a logger made by createLogger, whose options are known, the line is
 * formatted here instead, byte for byte as pino would (a test holds the two together).
 * Any other logger is the user's to configure, so its lines go through pino.
 */
export function requestLineWriter(logger: Logger, lineLogger: Logger, method: string, endpoint: string): RequestLineWriter {
  const own = ownLoggers.get(logger);
  if (!own) return (line) => lineLogger.info(line, 'request');
  const { destination } = own;
  const bound = `${own.base},"method":${JSON.stringify(method)},"endpoint":${JSON.stringify(endpoint)}`;
  return (line) => {
    // The level may be changed at any time, as with pino.
    if (lineLogger.levelVal > INFO) return;
    let text = `{"level":30,"time":${Date.now()}${bound}`;
    if (line.requestId !== undefined) text += `,"requestId":${JSON.stringify(line.requestId)}`;
    if (line.instanceId !== undefined) text += `,"instanceId":${JSON.stringify(line.instanceId)}`;
    if (line.bindingId !== undefined) text += `,"bindingId":${JSON.stringify(line.bindingId)}`;
    destination.write(`${text},"status":${line.status},"durationMs":${line.durationMs},"msg":"request"}\n`);
  };
}

export type { Logger };
