/**
 * The Docker volume plugin protocol (v1.12 API) in the dialect Cloud Foundry
 * cells speak: every call is an HTTP POST with a JSON body, keys are
 * capitalised, and the reply is always HTTP 200 with failures carried in
 * `Err` (Docker ignores status codes, so drivers never rely on them).
 */

export const PLUGIN_ACTIVATE_PATH = '/Plugin.Activate';

export const VOLUME_DRIVER_PATHS = {
  create: '/VolumeDriver.Create',
  remove: '/VolumeDriver.Remove',
  mount: '/VolumeDriver.Mount',
  unmount: '/VolumeDriver.Unmount',
  path: '/VolumeDriver.Path',
  get: '/VolumeDriver.Get',
  list: '/VolumeDriver.List',
  capabilities: '/VolumeDriver.Capabilities',
} as const;

export type VolumeDriverOperation = keyof typeof VOLUME_DRIVER_PATHS;

/** What a plugin must list in `Implements` to be used as a volume driver. */
export const VOLUME_DRIVER_INTERFACE = 'VolumeDriver';

// ---- requests ---------------------------------------------------------------

export interface WireNameRequest {
  Name: string;
}

export interface WireCreateRequest {
  Name: string;
  Opts?: Record<string, unknown> | null;
}

/** `ID` is the container id; Docker sends it from 1.13 on, volman may not. */
export interface WireMountRequest {
  Name: string;
  ID?: string;
}

export type WireUnmountRequest = WireMountRequest;

// ---- replies ----------------------------------------------------------------

/** Every reply carries `Err`; an empty string means success. */
export interface WireErrorReply {
  Err: string;
}

export interface WireActivateReply extends WireErrorReply {
  Implements: string[];
}

export interface WireMountpointReply extends WireErrorReply {
  Mountpoint: string;
}

export interface WireVolume {
  Name: string;
  Mountpoint: string;
  MountCount?: number;
}

export interface WireGetReply extends WireErrorReply {
  Volume: WireVolume;
}

export interface WireListReply extends WireErrorReply {
  Volumes: WireVolume[];
}

export interface WireCapabilitiesReply extends WireErrorReply {
  Capabilities: { Scope: string };
}

/**
 * A driver may put this object, JSON-encoded, inside `Err`. Its description
 * is meant for the app developer (the executor shows it when a container
 * fails to mount), so it must never carry host paths or internal details.
 */
export interface WireSafeError {
  SafeDescription: string;
}

// ---- the same data in the shape TypeScript callers use -----------------------

export interface VolumeInfo {
  name: string;
  mountpoint: string;
  mountCount?: number;
}

export interface DriverCapabilities {
  scope: string;
}
