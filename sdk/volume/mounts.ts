import type { JsonObject } from '../json';
import type { VolumeMount as OsbVolumeMount, VolumeMountDevice, VolumeMountMode } from '../openapi/wire';
import { containerDirProblem } from './container-dir';

export { InvalidContainerDirError, normaliseContainerDir } from './container-dir';
export type { VolumeMountMode };

/**
 * One entry of a bind answer's `volume_mounts` as a platform accepts it: the OSB type
 * (sdk/openapi/wire.ts), except that Cloud Controller also takes a null mount_config. A
 * broker builds the OSB type (`satisfies VolumeMount` keeps it so); every such mount is one of these.
 */
export type VolumeMount = Omit<OsbVolumeMount, 'device'> & { device: SharedVolumeDevice };

export type SharedVolumeDevice = Omit<VolumeMountDevice, 'mount_config'> & { mount_config?: JsonObject | null };

/** What VCAP_SERVICES shows of a mount: driver and device (with any secrets) are left out. */
export interface AppVisibleVolumeMount {
  container_dir: string;
  mode: VolumeMountMode;
  device_type: 'shared';
}

export type VolumeMountsValidation = { ok: true; mounts: VolumeMount[] } | { ok: false; errors: string[] };

export interface VolumeMountsValidationOptions {
  /** Whether the service's catalog entry lists `volume_mount` in `requires`. */
  serviceRequiresVolumeMount?: boolean;
}

const REQUIRED_FIELDS = ['device_type', 'device', 'mode', 'container_dir', 'driver'] as const;
const REQUIRED_STRING_FIELDS = ['device_type', 'mode', 'container_dir', 'driver'] as const;

/** A parsed JSON value that is an object: the broker's answer came from JSON.parse. */
function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function validateDevice(device: unknown, at: string, errors: string[]): void {
  if (!isJsonObject(device)) {
    errors.push(`${at}.device must be an object`);
    return;
  }
  if (!isNonEmptyString(device.volume_id)) errors.push(`${at}.device.volume_id must be a non-empty string`);
  const config = device.mount_config;
  if (config !== undefined && config !== null && !isJsonObject(config)) {
    errors.push(`${at}.device.mount_config must be an object or null when present`);
  }
}

function validateEntry(entry: JsonObject, at: string, errors: string[]): void {
  for (const field of REQUIRED_FIELDS) {
    if (!Object.hasOwn(entry, field)) errors.push(`${at}: missing required field '${field}'`);
  }
  for (const field of REQUIRED_STRING_FIELDS) {
    if (Object.hasOwn(entry, field) && !isNonEmptyString(entry[field])) errors.push(`${at}.${field} must be a non-empty string`);
  }
  if (isNonEmptyString(entry.mode) && entry.mode !== 'r' && entry.mode !== 'rw') {
    errors.push(`${at}.mode must be "r" or "rw"`);
  }
  // Cloud Controller accepts any device_type, but Diego only implements shared devices.
  if (isNonEmptyString(entry.device_type) && entry.device_type !== 'shared') {
    errors.push(`${at}.device_type must be "shared"`);
  }
  if (isNonEmptyString(entry.container_dir)) {
    const problem = containerDirProblem(entry.container_dir);
    if (problem !== undefined) errors.push(`${at}.container_dir ${problem}`);
  }
  if (Object.hasOwn(entry, 'device')) validateDevice(entry.device, at, errors);
}

// Called only once the entry has passed validateEntry.
function toVolumeMount(entry: JsonObject): VolumeMount {
  const device = entry.device as JsonObject;
  const mount: VolumeMount = {
    driver: entry.driver as string,
    container_dir: entry.container_dir as string,
    mode: entry.mode as VolumeMountMode,
    device_type: 'shared',
    device: { volume_id: device.volume_id as string },
  };
  if (Object.hasOwn(device, 'mount_config')) mount.device.mount_config = device.mount_config as JsonObject | null;
  return mount;
}

/**
 * Checks a bind response's `volume_mounts` as Cloud Controller does (absent
 * or null is fine; otherwise an array of objects, each with non-empty string
 * driver/container_dir/mode/device_type, mode r or rw, an object device with
 * a non-empty volume_id and an object-or-null mount_config), plus our own
 * rules on container_dir and device_type. Reports every problem, not just
 * the first.
 */
export function validateVolumeMounts(
  value: unknown,
  options: VolumeMountsValidationOptions = {},
): VolumeMountsValidation {
  if (value === undefined || value === null) return { ok: true, mounts: [] };
  if (options.serviceRequiresVolumeMount === false) {
    return {
      ok: false,
      errors: [
        'volume_mounts supplied by a service that is not registered as a volume mount service (its catalog does not require volume_mount)',
      ],
    };
  }
  if (!Array.isArray(value)) return { ok: false, errors: ['volume_mounts must be an array of objects'] };

  const errors: string[] = [];
  value.forEach((entry: unknown, index) => {
    const at = `volume_mounts[${index}]`;
    if (!isJsonObject(entry)) errors.push(`${at} must be an object`);
    else validateEntry(entry, at, errors);
  });
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, mounts: (value as JsonObject[]).map(toVolumeMount) };
}

export function redactVolumeMountForApp(mount: VolumeMount): AppVisibleVolumeMount {
  return { container_dir: mount.container_dir, mode: mount.mode, device_type: mount.device_type };
}
