import { request, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { DEFAULT_JSON_DEPTH_LIMIT, exceedsJsonDepth } from '../../json';
import { DriverAddressError, parseDriverAddress, type DriverEndpoint } from './address';
import { decodeSafeError, VolumeDriverError } from './errors';
import {
  PLUGIN_ACTIVATE_PATH,
  VOLUME_DRIVER_PATHS,
  type DriverCapabilities,
  type VolumeInfo,
  type WireCreateRequest,
  type WireMountRequest,
  type WireNameRequest,
} from './types';
import {
  decodeCapabilities,
  decodeGetVolume,
  decodeImplements,
  decodeListVolumes,
  decodeMountpoint,
  decodeReplyEnvelope,
  WireShapeError,
  type JsonObject,
} from './wire';

export { VolumeDriverError } from './errors';

export interface VolumeDriverClientOptions {
  /** `unix:///path.sock`, `/path.sock`, `http://host:port` or `tcp://host:port`. */
  address: string;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
// A List reply from a busy cell is the largest message; this is far above it.
const MAX_REPLY_BYTES = 4 * 1024 * 1024;

interface RawReply {
  status: number;
  text: string;
}

/** Talks to one volume driver over the plugin protocol. */
export class VolumeDriverClient {
  readonly address: string;
  private readonly endpoint: DriverEndpoint;
  private readonly timeoutMs: number;

  constructor(options: VolumeDriverClientOptions) {
    this.address = options.address;
    try {
      this.endpoint = parseDriverAddress(options.address);
    } catch (error) {
      const reason = error instanceof DriverAddressError ? error.message : 'invalid driver address';
      throw new VolumeDriverError(reason, { address: options.address, cause: error });
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new VolumeDriverError(`timeoutMs must be a positive number, got ${timeoutMs}`);
    }
    this.timeoutMs = timeoutMs;
  }

  async activate(): Promise<string[]> {
    const reply = await this.call(PLUGIN_ACTIVATE_PATH);
    return this.decode(PLUGIN_ACTIVATE_PATH, () => decodeImplements(reply));
  }

  async create(name: string, opts: Record<string, unknown>): Promise<void> {
    const body: WireCreateRequest = { Name: name, Opts: opts };
    await this.call(VOLUME_DRIVER_PATHS.create, body);
  }

  async remove(name: string): Promise<void> {
    const body: WireNameRequest = { Name: name };
    await this.call(VOLUME_DRIVER_PATHS.remove, body);
  }

  /** Resolves to the host path the container runtime should bind-mount. */
  async mount(name: string, id?: string): Promise<string> {
    const reply = await this.call(VOLUME_DRIVER_PATHS.mount, mountBody(name, id));
    return this.decode(VOLUME_DRIVER_PATHS.mount, () => decodeMountpoint(reply, false));
  }

  async unmount(name: string, id?: string): Promise<void> {
    await this.call(VOLUME_DRIVER_PATHS.unmount, mountBody(name, id));
  }

  async path(name: string): Promise<string> {
    const body: WireNameRequest = { Name: name };
    const reply = await this.call(VOLUME_DRIVER_PATHS.path, body);
    return this.decode(VOLUME_DRIVER_PATHS.path, () => decodeMountpoint(reply, true));
  }

  async get(name: string): Promise<VolumeInfo> {
    const body: WireNameRequest = { Name: name };
    const reply = await this.call(VOLUME_DRIVER_PATHS.get, body);
    return this.decode(VOLUME_DRIVER_PATHS.get, () => decodeGetVolume(reply));
  }

  async list(): Promise<VolumeInfo[]> {
    const reply = await this.call(VOLUME_DRIVER_PATHS.list);
    return this.decode(VOLUME_DRIVER_PATHS.list, () => decodeListVolumes(reply));
  }

  async capabilities(): Promise<DriverCapabilities> {
    const reply = await this.call(VOLUME_DRIVER_PATHS.capabilities);
    return this.decode(VOLUME_DRIVER_PATHS.capabilities, () => decodeCapabilities(reply));
  }

  /** Sends one call and returns the reply once `Err` is known to be empty. */
  private async call(path: string, body?: object): Promise<JsonObject> {
    const raw = await this.exchange(path, body === undefined ? '' : JSON.stringify(body));
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.text);
    } catch {
      throw this.failure(`answered ${path} with ${raw.status === 200 ? 'a body that is not JSON' : `HTTP ${raw.status}`}`);
    }
    if (exceedsJsonDepth(parsed, DEFAULT_JSON_DEPTH_LIMIT)) {
      throw this.failure(`answered ${path} with JSON nested more than ${DEFAULT_JSON_DEPTH_LIMIT} levels deep, which is the limit`);
    }
    const { reply, err } = this.decode(path, () => decodeReplyEnvelope(parsed));
    if (err !== '') {
      const safeDescription = decodeSafeError(err);
      throw new VolumeDriverError(`volume driver at ${this.address} failed ${path}: ${safeDescription ?? err}`, {
        address: this.address,
        ...(safeDescription === undefined ? {} : { safeDescription }),
      });
    }
    if (raw.status !== 200) throw this.failure(`answered ${path} with HTTP ${raw.status}`);
    return reply;
  }

  private decode<T>(path: string, decoder: () => T): T {
    try {
      return decoder();
    } catch (error) {
      if (error instanceof WireShapeError) {
        throw this.failure(`sent an invalid ${path} reply: ${error.message}`);
      }
      throw error;
    }
  }

  private failure(what: string, cause?: unknown): VolumeDriverError {
    return new VolumeDriverError(`volume driver at ${this.address} ${what}`, { address: this.address, cause });
  }

  private exchange(path: string, payload: string): Promise<RawReply> {
    const options: RequestOptions = {
      method: 'POST',
      // One connection per call: cells make few calls, and a pooled socket
      // to a restarted driver would only fail the next call.
      agent: false,
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json',
        'Content-Length': Buffer.byteLength(payload),
      },
      ...(this.endpoint.kind === 'unix'
        ? { socketPath: this.endpoint.socketPath, path }
        : { hostname: this.endpoint.hostname, port: this.endpoint.port, path: `${this.endpoint.basePath}${path}` }),
    };

    return new Promise<RawReply>((resolve, reject) => {
      let settled = false;
      let outgoing: ClientRequest | undefined;
      const settle = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outcome();
      };

      // The deadline covers connecting, the driver's work and the reply body.
      const timer = setTimeout(() => {
        settle(() => reject(this.failure(`did not answer ${path} within ${this.timeoutMs} ms`)));
        outgoing?.destroy();
      }, this.timeoutMs);

      try {
        outgoing = request(options, (incoming: IncomingMessage) => {
          readReply(incoming).then(
            (text) => settle(() => resolve({ status: incoming.statusCode ?? 0, text })),
            (error: unknown) => {
              settle(() => reject(this.failure(`sent an unreadable ${path} reply: ${describe(error)}`, error)));
              incoming.destroy();
            },
          );
        });
      } catch (error) {
        settle(() => reject(this.failure(`could not be called (${path}): ${describe(error)}`, error)));
        return;
      }
      outgoing.on('error', (error) => {
        settle(() => reject(this.failure(`is unreachable (${path}): ${describe(error)}`, error)));
      });
      outgoing.end(payload);
    });
  }
}

function mountBody(name: string, id: string | undefined): WireMountRequest {
  return id === undefined ? { Name: name } : { Name: name, ID: id };
}

function readReply(incoming: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    incoming.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REPLY_BYTES) {
        incoming.destroy();
        reject(new Error(`reply larger than ${MAX_REPLY_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    incoming.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    incoming.on('error', reject);
    incoming.on('close', () => {
      if (!incoming.complete) reject(new Error('connection closed mid-reply'));
    });
  });
}

// Duck-typed: errors raised by node internals may come from another realm.
function describe(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const { message, code } = error as { message?: unknown; code?: unknown };
    if (typeof message === 'string' && message !== '') {
      return typeof code === 'string' && !message.includes(code) ? `${code} ${message}` : message;
    }
  }
  return String(error);
}
