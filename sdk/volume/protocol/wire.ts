import type { DriverCapabilities, VolumeInfo } from './types';

/**
 * Runtime checks for protocol messages. Both ends receive JSON from another
 * process, so nothing is trusted until it has passed through here.
 */

export type JsonObject = Record<string, unknown>;

export class WireShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireShapeError';
  }
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireObject(value: unknown, what: string): JsonObject {
  if (!isJsonObject(value)) throw new WireShapeError(`${what} must be a JSON object`);
  return value;
}

function requireString(container: JsonObject, key: string, what: string, allowEmpty: boolean): string {
  const value = container[key];
  if (typeof value !== 'string' || (!allowEmpty && value === '')) {
    throw new WireShapeError(`${what} field ${key} must be a ${allowEmpty ? '' : 'non-empty '}string`);
  }
  return value;
}

// ---- requests, as the server receives them ------------------------------------

export interface NameRequest {
  name: string;
}

export interface CreateRequest extends NameRequest {
  opts: Record<string, unknown>;
}

export interface MountRequest extends NameRequest {
  id?: string;
}

export function decodeNameRequest(body: unknown): NameRequest {
  const request = requireObject(body, 'request body');
  return { name: requireString(request, 'Name', 'request', false) };
}

export function decodeCreateRequest(body: unknown): CreateRequest {
  const request = requireObject(body, 'request body');
  const name = requireString(request, 'Name', 'request', false);
  const opts = request.Opts;
  if (opts === undefined || opts === null) return { name, opts: {} };
  if (!isJsonObject(opts)) throw new WireShapeError('request field Opts must be a JSON object');
  return { name, opts };
}

export function decodeMountRequest(body: unknown): MountRequest {
  const request = requireObject(body, 'request body');
  const name = requireString(request, 'Name', 'request', false);
  const id = request.ID;
  // Go clients without omitempty send "" for "no container id".
  if (id === undefined || id === null || id === '') return { name };
  if (typeof id !== 'string') throw new WireShapeError('request field ID must be a string');
  return { name, id };
}

// ---- replies, as the client receives them -------------------------------------

/** The reply as an object plus its `Err` text ('' when the call succeeded). */
export function decodeReplyEnvelope(body: unknown): { reply: JsonObject; err: string } {
  const reply = requireObject(body, 'reply body');
  const err = reply.Err;
  if (err === undefined || err === null) return { reply, err: '' };
  if (typeof err !== 'string') throw new WireShapeError('reply field Err must be a string');
  return { reply, err };
}

export function decodeImplements(reply: JsonObject): string[] {
  const implementsList = reply.Implements;
  if (!Array.isArray(implementsList) || !implementsList.every((entry) => typeof entry === 'string')) {
    throw new WireShapeError('reply field Implements must be an array of strings');
  }
  return implementsList;
}

export function decodeMountpoint(reply: JsonObject, allowEmpty: boolean): string {
  return requireString(reply, 'Mountpoint', 'reply', allowEmpty);
}

function decodeVolume(value: unknown, what: string): VolumeInfo {
  const volume = requireObject(value, what);
  const info: VolumeInfo = {
    name: requireString(volume, 'Name', what, false),
    mountpoint: requireString(volume, 'Mountpoint', what, true),
  };
  const count = volume.MountCount;
  if (count !== undefined && count !== null) {
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
      throw new WireShapeError(`${what} field MountCount must be a non-negative integer`);
    }
    info.mountCount = count;
  }
  return info;
}

export function decodeGetVolume(reply: JsonObject): VolumeInfo {
  return decodeVolume(reply.Volume, 'reply Volume');
}

export function decodeListVolumes(reply: JsonObject): VolumeInfo[] {
  const volumes = reply.Volumes;
  // Go encodes an empty slice that was never allocated as null.
  if (volumes === null || volumes === undefined) return [];
  if (!Array.isArray(volumes)) throw new WireShapeError('reply field Volumes must be an array');
  return volumes.map((volume, index) => decodeVolume(volume, `reply Volumes[${index}]`));
}

export function decodeCapabilities(reply: JsonObject): DriverCapabilities {
  const capabilities = requireObject(reply.Capabilities, 'reply Capabilities');
  return { scope: requireString(capabilities, 'Scope', 'reply Capabilities', false) };
}
