import { createConnection } from 'node:net';
import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import { silentVolumeLogger, type VolumeLogger } from '../logger';
import { formatDriverEndpoint, parseDriverAddress, type DriverEndpoint } from './address';
import { encodeSafeError, safeDescriptionOf } from './errors';
import { DEFAULT_JSON_DEPTH_LIMIT, exceedsJsonDepth } from '../../json';
import { readBodyWithLimit } from './read-body';
import {
  PLUGIN_ACTIVATE_PATH,
  VOLUME_DRIVER_INTERFACE,
  VOLUME_DRIVER_PATHS,
  type DriverCapabilities,
  type VolumeInfo,
  type WireActivateReply,
  type WireCapabilitiesReply,
  type WireErrorReply,
  type WireGetReply,
  type WireListReply,
  type WireMountpointReply,
  type WireVolume,
} from './types';
import { decodeCreateRequest, decodeMountRequest, decodeNameRequest, WireShapeError } from './wire';

/**
 * What a driver implements; the handler turns it into the wire protocol.
 * Throw an error with a `safeDescription` (see safeVolumeError) when the
 * reason may be shown to the app developer.
 */
export interface VolumeDriver {
  create(name: string, opts: Record<string, unknown>): Promise<void>;
  remove(name: string): Promise<void>;
  /** Resolves to the host path to bind-mount into the container. */
  mount(name: string, id?: string): Promise<string>;
  unmount(name: string, id?: string): Promise<void>;
  path(name: string): Promise<string>;
  get(name: string): Promise<VolumeInfo>;
  list(): Promise<VolumeInfo[]>;
  capabilities(): Promise<DriverCapabilities>;
}

export interface VolumeDriverHandlerOptions {
  maxBodyBytes?: number;
}

export type VolumeDriverHandler = (request: IncomingMessage, response: ServerResponse) => void;

// Create carries mount_config, which Cloud Controller caps at 64 KiB of JSON.
const DEFAULT_MAX_BODY_BYTES = 256 * 1024;

type Route = (body: unknown) => Promise<WireErrorReply>;

const OK: WireErrorReply = { Err: '' };

function toWireVolume(volume: VolumeInfo): WireVolume {
  const wire: WireVolume = { Name: volume.name, Mountpoint: volume.mountpoint };
  if (volume.mountCount !== undefined) wire.MountCount = volume.mountCount;
  return wire;
}

function buildRoutes(driver: VolumeDriver): Map<string, Route> {
  return new Map<string, Route>([
    [PLUGIN_ACTIVATE_PATH, async (): Promise<WireActivateReply> => ({ Implements: [VOLUME_DRIVER_INTERFACE], Err: '' })],
    [
      VOLUME_DRIVER_PATHS.create,
      async (body) => {
        const request = decodeCreateRequest(body);
        await driver.create(request.name, request.opts);
        return OK;
      },
    ],
    [
      VOLUME_DRIVER_PATHS.remove,
      async (body) => {
        await driver.remove(decodeNameRequest(body).name);
        return OK;
      },
    ],
    [
      VOLUME_DRIVER_PATHS.mount,
      async (body): Promise<WireMountpointReply> => {
        const request = decodeMountRequest(body);
        return { Mountpoint: await driver.mount(request.name, request.id), Err: '' };
      },
    ],
    [
      VOLUME_DRIVER_PATHS.unmount,
      async (body) => {
        const request = decodeMountRequest(body);
        await driver.unmount(request.name, request.id);
        return OK;
      },
    ],
    [
      VOLUME_DRIVER_PATHS.path,
      async (body): Promise<WireMountpointReply> => ({
        Mountpoint: await driver.path(decodeNameRequest(body).name),
        Err: '',
      }),
    ],
    [
      VOLUME_DRIVER_PATHS.get,
      async (body): Promise<WireGetReply> => ({
        Volume: toWireVolume(await driver.get(decodeNameRequest(body).name)),
        Err: '',
      }),
    ],
    [
      VOLUME_DRIVER_PATHS.list,
      async (): Promise<WireListReply> => ({ Volumes: (await driver.list()).map(toWireVolume), Err: '' }),
    ],
    [
      VOLUME_DRIVER_PATHS.capabilities,
      async (): Promise<WireCapabilitiesReply> => ({ Capabilities: { Scope: (await driver.capabilities()).scope }, Err: '' }),
    ],
  ]);
}

function send(response: ServerResponse, status: number, reply: WireErrorReply, closeConnection = false): void {
  if (response.headersSent) return;
  const text = JSON.stringify(reply);
  response.statusCode = status;
  response.setHeader('Content-Type', 'application/json');
  response.setHeader('Content-Length', Buffer.byteLength(text));
  if (closeConnection) response.setHeader('Connection', 'close');
  response.end(text);
}

/** The `Err` text for something a driver threw; never a stack trace. */
function errText(thrown: unknown): string {
  const safeDescription = safeDescriptionOf(thrown);
  if (safeDescription !== undefined) return encodeSafeError(safeDescription);
  // Only the message crosses the wire; stacks and other fields stay in the log.
  if (typeof thrown === 'object' && thrown !== null) {
    const message: unknown = (thrown as { message?: unknown }).message;
    if (typeof message === 'string' && message !== '') return message;
  }
  return 'internal volume driver error';
}

function parseBody(text: string): { ok: true; body: unknown } | { ok: false; reason: string } {
  // Activate, List and Capabilities are sent without a body.
  if (text.trim() === '') return { ok: true, body: {} };
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    return { ok: false, reason: 'malformed JSON request body' };
  }
  // Opts reach the driver's state file through the recursive JSON.stringify; a deep one must stop here.
  if (exceedsJsonDepth(body, DEFAULT_JSON_DEPTH_LIMIT)) {
    return { ok: false, reason: `request body nests objects and arrays more than ${DEFAULT_JSON_DEPTH_LIMIT} levels deep, which is the limit` };
  }
  return { ok: true, body };
}

/** A node:http request handler that serves `driver` over the plugin protocol. */
export function createVolumeDriverHandler(
  driver: VolumeDriver,
  logger: VolumeLogger = silentVolumeLogger,
  options: VolumeDriverHandlerOptions = {},
): VolumeDriverHandler {
  const routes = buildRoutes(driver);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?', 1)[0] ?? '/';
    if (request.method !== 'POST') {
      request.resume();
      response.setHeader('Allow', 'POST');
      send(response, 405, { Err: `method ${request.method ?? ''} not allowed; the plugin protocol uses POST` });
      return;
    }
    const route = routes.get(path);
    if (route === undefined) {
      request.resume();
      send(response, 404, { Err: `unknown plugin endpoint ${path}` });
      return;
    }

    const read = await readBodyWithLimit(request, maxBodyBytes);
    if (!read.ok) {
      if (read.reason === 'too-large') {
        logger.warn({ path, maxBodyBytes }, 'volume driver request body too large');
        send(response, 200, { Err: `request body exceeds ${maxBodyBytes} bytes` }, true);
      }
      return;
    }
    const parsed = parseBody(read.text);
    if (!parsed.ok) {
      send(response, 200, { Err: parsed.reason });
      return;
    }

    try {
      send(response, 200, await route(parsed.body));
    } catch (thrown) {
      if (thrown instanceof WireShapeError) {
        send(response, 200, { Err: thrown.message });
        return;
      }
      logger.warn({ path, err: thrown }, 'volume driver call failed');
      send(response, 200, { Err: errText(thrown) });
    }
  }

  return (request, response) => {
    handle(request, response).catch((thrown: unknown) => {
      logger.error({ err: thrown }, 'volume driver handler failed');
      send(response, 200, { Err: 'internal volume driver error' });
    });
  };
}

// ---- listening --------------------------------------------------------------

export interface ListeningVolumeDriver {
  server: Server;
  /** The address clients should use, with the real port when 0 was asked for. */
  address: string;
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = new Map([
  ['127.0.0.1', '127.0.0.1'],
  ['localhost', '127.0.0.1'],
  ['::1', '::1'],
]);

/**
 * Serves `handler` on a unix socket or on loopback TCP. Drivers hand out host
 * paths to anyone who can reach them, so other interfaces are refused.
 */
export async function listenVolumeDriver(handler: VolumeDriverHandler, address: string): Promise<ListeningVolumeDriver> {
  const endpoint = parseDriverAddress(address);
  const server = createServer(handler);
  let bound: DriverEndpoint;

  if (endpoint.kind === 'unix') {
    await prepareSocketPath(endpoint.socketPath);
    await listen(server, { path: endpoint.socketPath });
    try {
      // Only the owner (the cell, running as the same user) may call the driver.
      await chmod(endpoint.socketPath, 0o600);
    } catch (error) {
      await closeServer(server);
      throw error;
    }
    bound = endpoint;
  } else {
    const host = LOOPBACK_HOSTS.get(endpoint.hostname);
    if (host === undefined) {
      throw new Error(`volume driver must listen on loopback or a unix socket, not "${endpoint.hostname}"`);
    }
    if (endpoint.basePath !== '') throw new Error(`volume driver listen address "${address}" must not have a path`);
    await listen(server, { host, port: endpoint.port });
    const actual = server.address();
    const port = typeof actual === 'object' && actual !== null ? actual.port : endpoint.port;
    bound = { kind: 'http', hostname: host, port, basePath: '' };
  }

  return {
    server,
    address: formatDriverEndpoint(bound),
    close: () => closeServer(server),
  };
}

function listen(server: Server, options: { path: string } | { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(options, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close((error) => (error === undefined ? resolve() : reject(error)));
    server.closeIdleConnections();
  });
}

/**
 * A socket file left by a crashed driver makes listen fail with EADDRINUSE,
 * so it is removed; a live socket, or any other kind of file, is left alone.
 */
async function prepareSocketPath(socketPath: string): Promise<void> {
  await mkdir(dirname(socketPath), { recursive: true });
  let isSocket: boolean;
  try {
    isSocket = (await lstat(socketPath)).isSocket();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!isSocket) throw new Error(`refusing to replace ${socketPath}: it exists and is not a socket`);
  if (await socketAnswers(socketPath)) throw new Error(`another process is already listening on ${socketPath}`);
  await unlink(socketPath);
}

function socketAnswers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection({ path: socketPath });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}
