import { posix } from 'node:path';
import { containerDirProblem } from '../../sdk/volume/container-dir';
import type { DesiredLrp, EgressRule, VolumeMountSpec } from './types';

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
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

const LRP_FIELDS = new Set(['name', 'command', 'env', 'instances', 'appDir', 'volumeMounts', 'egress']);
const EGRESS_FIELDS = new Set(['destination', 'port', 'protocol']);
export const MAX_EGRESS_RULES = 64;
// An IPv4 address or a DNS name: these end up in firewall rules, so nothing else is let through.
const DESTINATION = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
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
  if (typeof value !== 'string') throw new InvalidFieldError(field, 'must be a non-empty string');
  const problem = containerDirProblem(value);
  if (problem !== undefined) throw new InvalidFieldError(field, problem);
  return value;
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

function parseEgressRule(value: unknown, position: number): EgressRule {
  const prefix = `egress[${position}]`;
  if (!isPlainObject(value)) throw new InvalidFieldError(prefix, 'must be an object');
  rejectUnknownFields(value, EGRESS_FIELDS, `${prefix}.`);
  const destination = requireText(value.destination, `${prefix}.destination`, 253);
  if (!DESTINATION.test(destination)) throw new InvalidFieldError(`${prefix}.destination`, 'must be an IPv4 address or a host name');
  const { port, protocol } = value;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidFieldError(`${prefix}.port`, 'must be an integer from 1 to 65535');
  if (protocol !== 'tcp' && protocol !== 'udp') throw new InvalidFieldError(`${prefix}.protocol`, 'must be "tcp" or "udp"');
  return { destination, port, protocol };
}

function parseEgress(value: unknown): EgressRule[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new InvalidFieldError('egress', 'must be an array');
  if (value.length > MAX_EGRESS_RULES) throw new InvalidFieldError('egress', `must hold at most ${MAX_EGRESS_RULES} rules`);
  return value.map((entry, position) => parseEgressRule(entry, position));
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
    egress: parseEgress(input.egress),
  };
  const appDir = parseAppDir(input.appDir);
  if (appDir !== undefined) lrp.appDir = appDir;
  return lrp;
}
