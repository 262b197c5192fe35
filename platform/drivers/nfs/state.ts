import { readJsonStateFile, writeFileAtomic } from '../../../sdk/volume/atomic-file';
import { invalidVolumeNameReason } from '../../../sdk/volume/volume-name';
import type { MountRecord } from './mounter';

/**
 * The NFS driver's state file: every volume the cell created, and every mount with what is
 * needed to release it after a crash (its mount point, its device number, its process). A
 * mount is written down as `mounting` before the mounter is asked, so one that a crash
 * interrupted is still found and cleaned up at the next start.
 */

export interface VolumeMountState {
  /** The container's id, or null for mounts made without one (volman sends none); those share one mount. */
  container: string | null;
  /** Mounts without a container id each need their own unmount. */
  refs: number;
  mountpoint: string;
  status: 'mounting' | 'mounted';
  record?: MountRecord;
}

export interface VolumeState {
  opts: Record<string, unknown>;
  mounts: VolumeMountState[];
}

export type VolumeTable = Map<string, VolumeState>;

interface StateFileV1 {
  version: 1;
  volumes: Array<{ name: string } & VolumeState>;
}

export class NfsDriverStateError extends Error {
  constructor(stateFile: string, reason: string) {
    super(`NFS driver state file ${stateFile} is unusable: ${reason}`);
    this.name = 'NfsDriverStateError';
  }
}

export async function saveNfsDriverState(stateFile: string, table: VolumeTable): Promise<void> {
  const state: StateFileV1 = { version: 1, volumes: [...table].map(([name, volume]) => ({ name, ...volume })) };
  await writeFileAtomic(stateFile, `${JSON.stringify(state, null, 2)}\n`, 0o600);
}

/** A missing file is an empty table; a damaged one stops the driver, which would otherwise forget live mounts. */
export async function loadNfsDriverState(stateFile: string): Promise<VolumeTable> {
  const parsed = await readJsonStateFile(stateFile, (reason) => new NfsDriverStateError(stateFile, reason));
  if (parsed === undefined) return new Map();
  const fail = (reason: string): never => {
    throw new NfsDriverStateError(stateFile, reason);
  };
  if (!isObject(parsed) || parsed.version !== 1 || !Array.isArray(parsed.volumes)) return fail('expected an object with version 1 and a volumes array');
  const table: VolumeTable = new Map();
  parsed.volumes.forEach((entry: unknown, index) => {
    const at = `volumes[${index}]`;
    if (!isObject(entry)) return fail(`${at} must be an object`);
    const { name, opts, mounts } = entry;
    if (typeof name !== 'string' || invalidVolumeNameReason(name) !== undefined) return fail(`${at}.name is not a valid volume name`);
    if (table.has(name)) return fail(`${at}.name repeats volume ${JSON.stringify(name)}`);
    if (!isObject(opts)) return fail(`${at}.opts must be an object`);
    if (!Array.isArray(mounts)) return fail(`${at}.mounts must be an array`);
    table.set(name, { opts, mounts: mounts.map((mount: unknown, i) => decodeMount(mount, `${at}.mounts[${i}]`, fail)) });
  });
  return table;
}

function decodeMount(value: unknown, at: string, fail: (reason: string) => never): VolumeMountState {
  if (!isObject(value)) return fail(`${at} must be an object`);
  const { container, refs, mountpoint, status, record } = value;
  if (container !== null && (typeof container !== 'string' || container === '')) return fail(`${at}.container must be a non-empty string or null`);
  if (typeof refs !== 'number' || !Number.isSafeInteger(refs) || refs < 1) return fail(`${at}.refs must be a positive integer`);
  if (typeof mountpoint !== 'string' || !mountpoint.startsWith('/')) return fail(`${at}.mountpoint must be an absolute path`);
  if (status !== 'mounting' && status !== 'mounted') return fail(`${at}.status must be mounting or mounted`);
  const mount: VolumeMountState = { container, refs, mountpoint, status };
  if (record !== undefined) {
    if (!isObject(record) || (record.mounter !== 'fuse' && record.mounter !== 'kernel') || typeof record.device !== 'string') return fail(`${at}.record is malformed`);
    if (record.pid !== undefined && (typeof record.pid !== 'number' || typeof record.pidStartTicks !== 'string')) return fail(`${at}.record.pid is malformed`);
    mount.record = {
      mounter: record.mounter,
      device: record.device,
      ...(typeof record.pid === 'number' && { pid: record.pid }),
      ...(typeof record.pidStartTicks === 'string' && { pidStartTicks: record.pidStartTicks }),
    };
  }
  return mount;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
