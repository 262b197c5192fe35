import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkSignature, type EmulatorCredentials } from './auth';
import { fileSystemDir } from './backing-dir';
import { DEFAULTS, EfsEmulator, type EfsEmulatorSettings, type EmulatorLogger } from './emulator';
import { EfsError, internalServerError, requestEntityTooLarge, serializationException, unknownOperation } from './errors';
import { drawFault, type FaultSettings } from './faults';
import type { Operation } from './operation';
import { OPERATIONS } from './operations';
import type { Subnet } from './subnets';

/** Options of `startEfsEmulator`; everything is optional. */
export interface EfsEmulatorOptions extends Partial<Omit<EfsEmulatorSettings, 'faults'>>, Partial<FaultSettings> {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** With these, signatures are verified and other access keys refused; without, any well-formed signature passes. */
  credentials?: readonly EmulatorCredentials[];
  /** Where request lines and warnings go; silent by default. */
  logger?: EmulatorLogger;
}

export interface EfsEmulatorStats {
  /** Requests answered, whatever the answer. */
  requests: number;
  /** Requests answered with an injected ThrottlingException. */
  throttled: number;
  /** Requests answered with an injected InternalServerError. */
  failed: number;
}

export interface RunningEfsEmulator {
  /** The endpoint to give the AWS SDK, e.g. http://127.0.0.1:40123. */
  url: string;
  port: number;
  region: string;
  subnets: readonly Subnet[];
  /** The directory behind a file system (BACKING_DIR/fs-…), or undefined without --backing-dir. */
  backingPath(fileSystemId: string): string | undefined;
  /** Changes fault injection while running (e.g. throttle everything from now on). */
  setFaults(changes: Partial<FaultSettings>): void;
  stats(): EfsEmulatorStats;
  close(): Promise<void>;
}

/** AWS refuses larger request bodies long before this; ours are a few kilobytes at most. */
const MAX_BODY_BYTES = 1024 * 1024;
const DRAIN_LIMIT_BYTES = 16 * MAX_BODY_BYTES;

export const silentLogger: EmulatorLogger = { info: () => undefined, warn: () => undefined };

interface Route {
  operation: Operation;
  method: string;
  /** Literal segments, or the name of a parameter for "{Name}". */
  segments: { literal?: string; param?: string }[];
}

const ROUTES: Route[] = OPERATIONS.map((operation) => ({
  operation,
  method: operation.method,
  segments: operation.path
    .split('/')
    .slice(1)
    .map((segment) => (segment.startsWith('{') ? { param: segment.slice(1, -1) } : { literal: segment })),
}));

function route(method: string, path: string): { operation: Operation; params: Record<string, string> } | undefined {
  const parts = path.split('/').slice(1);
  for (const candidate of ROUTES) {
    if (candidate.method !== method || candidate.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const matches = candidate.segments.every((segment, i) => {
      const part = parts[i] ?? '';
      if (segment.literal !== undefined) return segment.literal === part;
      try {
        params[segment.param ?? ''] = decodeURIComponent(part);
      } catch {
        return false;
      }
      return part !== '';
    });
    if (matches) return { operation: candidate.operation, params };
  }
  return undefined;
}

/**
 * The request body. Past MAX_BODY_BYTES the rest is read and dropped, so the client gets its
 * 413 rather than a reset connection; past DRAIN_LIMIT_BYTES the connection is cut.
 */
function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > DRAIN_LIMIT_BYTES) request.destroy();
      else if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => (size > MAX_BODY_BYTES ? reject(requestEntityTooLarge(MAX_BODY_BYTES)) : resolve(Buffer.concat(chunks))));
    request.on('error', reject);
  });
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw serializationException('The request body is not valid JSON');
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function send(response: ServerResponse, requestId: string, status: number, body: unknown, errorType?: string): void {
  const headers: Record<string, string> = { 'x-amzn-requestid': requestId };
  if (errorType !== undefined) headers['x-amzn-errortype'] = errorType;
  if (body === undefined) {
    response.writeHead(status, headers).end();
    return;
  }
  const text = JSON.stringify(body);
  headers['content-type'] = 'application/json';
  headers['content-length'] = String(Buffer.byteLength(text));
  response.writeHead(status, headers).end(text);
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/**
 * Starts an EFS API emulator (REST-JSON, 2015-02-01) on HTTP. Point the AWS SDK at `url`
 * with region `region` and any credentials (or, with `credentials`, those).
 */
export async function startEfsEmulator(options: EfsEmulatorOptions = {}): Promise<RunningEfsEmulator> {
  const logger = options.logger ?? silentLogger;
  const settings: EfsEmulatorSettings = {
    region: options.region ?? DEFAULTS.region,
    accountId: options.accountId ?? DEFAULTS.accountId,
    subnets: options.subnets ?? DEFAULTS.subnets,
    creationDelayMs: options.creationDelayMs ?? DEFAULTS.creationDelayMs,
    deletionDelayMs: options.deletionDelayMs ?? DEFAULTS.deletionDelayMs,
    faults: {
      throttleRate: options.throttleRate ?? DEFAULTS.faults.throttleRate,
      errorRate: options.errorRate ?? DEFAULTS.faults.errorRate,
      latencyMs: options.latencyMs ?? DEFAULTS.faults.latencyMs,
    },
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.backingDir === undefined ? {} : { backingDir: options.backingDir }),
    ...(options.stateFile === undefined ? {} : { stateFile: options.stateFile }),
    fileSystemLimit: options.fileSystemLimit ?? DEFAULTS.fileSystemLimit,
    accessPointLimit: options.accessPointLimit ?? DEFAULTS.accessPointLimit,
  };
  const emulator = await EfsEmulator.open(settings, logger);
  const credentials = options.credentials;
  const stats: EfsEmulatorStats = { requests: 0, throttled: 0, failed: 0 };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    const method = request.method ?? 'GET';
    const target = request.url ?? '/';
    const url = new URL(target, 'http://emulator');
    let status = 500;
    let label = 'InternalServerError';
    try {
      const body = await readBody(request);
      checkSignature({ method, url: target, headers: request.headers, body }, settings.region, credentials);
      const found = route(method, url.pathname);
      if (!found) throw unknownOperation();
      label = found.operation.name;
      const faults = emulator.faults;
      if (faults.latencyMs > 0) await sleep(faults.latencyMs);
      const fault = drawFault(faults, emulator.faultRandom, found.operation.throttleStatus);
      if (fault) {
        if (fault.code === 'ThrottlingException') stats.throttled += 1;
        else stats.failed += 1;
        throw fault;
      }
      const parsed = parseJson(body);
      await emulator.settle();
      const result = await found.operation.run({ emulator, params: found.params, query: url.searchParams, body: parsed });
      status = result.status;
      send(response, requestId, result.status, result.body);
    } catch (caught) {
      const error = caught instanceof EfsError ? caught : internalServerError();
      if (!(caught instanceof EfsError)) logger.warn(`${label} failed: ${caught instanceof Error ? caught.message : String(caught)}`);
      status = error.status;
      label = `${label} ${error.code}`;
      send(response, requestId, error.status, error.body(), error.code);
    } finally {
      stats.requests += 1;
      logger.info(`${method} ${url.pathname} ${status} ${label}`);
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      logger.warn(`answering a request failed: ${(error as Error).message}`);
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
  let address: AddressInfo;
  try {
    address = await listen(server, options.port ?? 0, options.host ?? '127.0.0.1');
  } catch (error) {
    await emulator.close();
    throw error;
  }
  const printableHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${printableHost}:${address.port}`,
    port: address.port,
    region: settings.region,
    subnets: [...emulator.subnets.values()],
    backingPath: (fileSystemId) => (settings.backingDir === undefined ? undefined : fileSystemDir(settings.backingDir, fileSystemId)),
    setFaults: (changes) => emulator.setFaults(changes),
    stats: () => ({ ...stats }),
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await emulator.close();
    },
  };
}
