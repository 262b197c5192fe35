import { posix } from 'node:path';
import type { DesiredLrp, VolumeMountSpec } from './types';

/** A request field that failed validation; `field` is a path such as `volumeMounts[1].mode`. */
export class InvalidFieldError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'InvalidFieldError';
  }
}

export const MAX_INSTANCES = 256;
export const MAX_VOLUME_MOUNTS = 16;
const MAX_COMMAND_LENGTH = 64 * 1024;
const MAX_ENV_BYTES = 256 * 1024;

const APP_GUID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DRIVER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
// Container paths end up in a root shell script and in mount targets, so the alphabet is kept boring.
const CONTAINER_PATH = /^[A-Za-z0-9._@+=,:~/-]+$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * Places a volume may not cover: the system binds, the pseudo filesystems and the app's own files
 * (a symlink shipped with the app could otherwise steer the bind mount outside the container root).
 */
const RESERVED_CONTAINER_DIRS = ['/usr', '/etc', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/proc', '/dev', '/home/vcap/app'];

const LRP_FIELDS = new Set(['name', 'command', 'env', 'instances', 'appDir', 'volumeMounts']);
const MOUNT_FIELDS = new Set(['driver', 'volumeId', 'mountConfig', 'containerDir', 'mode']);

export function isValidAppGuid(value: string): boolean {
  return APP_GUID.test(value) && value !== '.' && value !== '..';
}

export function assertAppGuid(value: unknown, field = 'appGuid'): string {
  if (typeof value !== 'string' || !isValidAppGuid(value)) {
    throw new InvalidFieldError(field, 'must be 1-128 characters of letters, digits, ".", "_" or "-", starting with a letter or digit');
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rejectUnknownFields(value: Record<string, unknown>, allowed: Set<string>, prefix: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) throw new InvalidFieldError(`${prefix}${key}`, 'is not a known field');
  }
}

function requireText(value: unknown, field: string, maxLength: number, allowNewlines = false): string {
  if (typeof value !== 'string' || value.length === 0) throw new InvalidFieldError(field, 'must be a non-empty string');
  if (value.length > maxLength) throw new InvalidFieldError(field, `must be at most ${maxLength} characters`);
  if (value.includes('\u0000')) throw new InvalidFieldError(field, 'must not contain NUL characters');
  if (!allowNewlines && CONTROL_CHARACTERS.test(value)) throw new InvalidFieldError(field, 'must not contain control characters');
  return value;
}

function parseEnv(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (!isPlainObject(value)) throw new InvalidFieldError('env', 'must be an object of string values');
  const env: Record<string, string> = {};
  let bytes = 0;
  for (const [name, content] of Object.entries(value)) {
    if (!ENV_NAME.test(name)) throw new InvalidFieldError(`env.${name}`, 'is not a valid environment variable name');
    if (typeof content !== 'string') throw new InvalidFieldError(`env.${name}`, 'must be a string');
    if (content.includes('\u0000')) throw new InvalidFieldError(`env.${name}`, 'must not contain NUL characters');
    bytes += Buffer.byteLength(name) + Buffer.byteLength(content);
    env[name] = content;
  }
  if (bytes > MAX_ENV_BYTES) throw new InvalidFieldError('env', `must be at most ${MAX_ENV_BYTES} bytes in total`);
  return env;
}

function parseInstances(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_INSTANCES) {
    throw new InvalidFieldError('instances', `must be an integer from 0 to ${MAX_INSTANCES}`);
  }
  return value;
}

function parseAppDir(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const path = requireText(value, 'appDir', 4096);
  if (!posix.isAbsolute(path) || posix.normalize(path) !== path) {
    throw new InvalidFieldError('appDir', 'must be an absolute, normalised path');
  }
  return path;
}

function parseContainerDir(value: unknown, field: string): string {
  const path = requireText(value, field, 1024);
  if (!CONTAINER_PATH.test(path)) throw new InvalidFieldError(field, 'may only contain letters, digits, "/" and ._@+=,:~-');
  const normalised = posix.normalize(path);
  if (!posix.isAbsolute(path) || normalised !== path || path.endsWith('/') || path.split('/').includes('..')) {
    throw new InvalidFieldError(field, 'must be an absolute, normalised path without a trailing "/"');
  }
  for (const reserved of RESERVED_CONTAINER_DIRS) {
    if (path === reserved || path.startsWith(`${reserved}/`)) throw new InvalidFieldError(field, `must not be inside ${reserved}`);
  }
  if (path === '/home/vcap' || path === '/home' || path === '/tmp') throw new InvalidFieldError(field, `must not replace ${path}`);
  return path;
}

/** A JSON copy: drivers receive JSON anyway, and later changes by the caller cannot alter what the cell runs. */
function copyAsJson(value: Record<string, unknown>, field: string): Record<string, unknown> {
  try {
    return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
  } catch {
    throw new InvalidFieldError(field, 'must be plain JSON');
  }
}

function parseVolumeMount(value: unknown, position: number): VolumeMountSpec {
  const prefix = `volumeMounts[${position}]`;
  if (!isPlainObject(value)) throw new InvalidFieldError(prefix, 'must be an object');
  rejectUnknownFields(value, MOUNT_FIELDS, `${prefix}.`);
  const driver = requireText(value.driver, `${prefix}.driver`, 128);
  if (!DRIVER_NAME.test(driver)) throw new InvalidFieldError(`${prefix}.driver`, 'may only contain letters, digits, ".", "_" and "-"');
  const volumeId = requireText(value.volumeId, `${prefix}.volumeId`, 255);
  const mountConfig = value.mountConfig ?? {};
  if (!isPlainObject(mountConfig)) throw new InvalidFieldError(`${prefix}.mountConfig`, 'must be an object');
  const containerDir = parseContainerDir(value.containerDir, `${prefix}.containerDir`);
  if (value.mode !== 'r' && value.mode !== 'rw') throw new InvalidFieldError(`${prefix}.mode`, 'must be "r" or "rw"');
  return { driver, volumeId, mountConfig: copyAsJson(mountConfig, `${prefix}.mountConfig`), containerDir, mode: value.mode };
}

function parseVolumeMounts(value: unknown): VolumeMountSpec[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new InvalidFieldError('volumeMounts', 'must be an array');
  if (value.length > MAX_VOLUME_MOUNTS) throw new InvalidFieldError('volumeMounts', `must hold at most ${MAX_VOLUME_MOUNTS} mounts`);
  const mounts = value.map((entry, position) => parseVolumeMount(entry, position));
  const seenDirs = new Set<string>();
  const seenVolumes = new Set<string>();
  mounts.forEach((mount, position) => {
    if (seenDirs.has(mount.containerDir)) {
      throw new InvalidFieldError(`volumeMounts[${position}].containerDir`, 'is used by another mount');
    }
    // One driver mount per volume and container: the driver could not tell two of them apart on unmount.
    const volumeKey = JSON.stringify([mount.driver, mount.volumeId]);
    if (seenVolumes.has(volumeKey)) throw new InvalidFieldError(`volumeMounts[${position}].volumeId`, 'is already mounted by another entry');
    seenDirs.add(mount.containerDir);
    seenVolumes.add(volumeKey);
  });
  return mounts;
}

/** Turns untrusted input into a DesiredLrp, or throws InvalidFieldError naming the first bad field. */
export function parseDesiredLrp(input: unknown): DesiredLrp {
  if (!isPlainObject(input)) throw new InvalidFieldError('body', 'must be a JSON object');
  rejectUnknownFields(input, LRP_FIELDS, '');
  const lrp: DesiredLrp = {
    name: requireText(input.name, 'name', 255),
    command: requireText(input.command, 'command', MAX_COMMAND_LENGTH, true),
    env: parseEnv(input.env),
    instances: parseInstances(input.instances),
    volumeMounts: parseVolumeMounts(input.volumeMounts),
  };
  const appDir = parseAppDir(input.appDir);
  if (appDir !== undefined) lrp.appDir = appDir;
  return lrp;
}
