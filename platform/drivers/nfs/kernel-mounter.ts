import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { VolumeLogger } from '../../../sdk/volume/logger';
import { safeVolumeError } from '../../../sdk/volume/protocol/errors';
import { seconds } from './mount-failure';
import { lazyUnmount, mountAt } from './mount-table';
import type { Mounter, MountRecord, MountRequest } from './mounter';
import { shareName } from './volume-options';

/**
 * Mounts a share with the kernel's NFS client: `mount -t nfs -o vers=3,…`. Used where the
 * kernel has NFS (it is in /proc/filesystems) and the driver runs as root, for volumes whose
 * binding names no uid: the kernel sends each caller's own uid, which is then the app's, so no
 * mapping is needed. A binding with a uid and gid is mounted through FUSE, which presents the
 * server's files of that uid as the app's; the kernel's client cannot.
 *
 * The mount is `soft` with a timeout, so an operation on a server that went away fails with
 * EIO (after timeo × (retrans + 1)) rather than hanging, like the FUSE mounts' bound.
 */

export interface KernelMounterOptions {
  opTimeoutMs: number;
  mountTimeoutMs: number;
  logger: VolumeLogger;
  /** The mount(8) to run; tests give a stand-in. */
  mountCommand?: string;
}

/** Whether this kernel mounts NFS itself. */
export function kernelHasNfs(filesystems = readFilesystems()): boolean {
  return /^\s*nodev\s+nfs\s*$/m.test(filesystems);
}

function readFilesystems(): string {
  try {
    return readFileSync('/proc/filesystems', 'utf8');
  } catch {
    return '';
  }
}

/** The -o options: NFSv3 over TCP, large transfers, no attribute caching (as nfsv3driver), soft with a bound. */
export function kernelMountOptions(request: Pick<MountRequest, 'readOnly'>, opTimeoutMs: number): string {
  const retrans = 2;
  // timeo is in tenths of a second, per try; a soft mount gives up after retrans + 1 tries.
  const timeo = Math.max(1, Math.floor(opTimeoutMs / 100 / (retrans + 1)));
  return ['vers=3', 'proto=tcp', 'soft', `timeo=${timeo}`, `retrans=${retrans}`, 'rsize=1048576', 'wsize=1048576', 'actimeo=0', 'nolock', request.readOnly ? 'ro' : 'rw'].join(',');
}

/** The device argument: server:/path, with an IPv6 address in brackets. */
export function kernelMountSource(request: Pick<MountRequest, 'share'>): string {
  const { share } = request;
  return `${share.hostKind === 'ipv6' ? `[${share.host}]` : share.host}:${share.path}`;
}

export class KernelMounter implements Mounter {
  readonly kind = 'kernel';
  readonly mapsIds = false;

  constructor(private readonly options: KernelMounterOptions) {}

  async mount(request: MountRequest): Promise<MountRecord> {
    const share = shareName(request.share);
    const args = ['-t', 'nfs', '-o', kernelMountOptions(request, this.options.opTimeoutMs), kernelMountSource(request), request.mountpoint];
    const failure = await new Promise<string | undefined>((resolve) => {
      execFile(this.options.mountCommand ?? 'mount', args, { timeout: this.options.mountTimeoutMs, killSignal: 'SIGKILL' }, (error, _stdout, stderr) => {
        if (!error) resolve(undefined);
        else if (error.killed) resolve(`the server gave no answer within ${seconds(this.options.mountTimeoutMs)}`);
        else resolve(stderr.trim().split('\n').pop() || error.message);
      });
    });
    const entry = await mountAt(request.mountpoint);
    if (failure === undefined && entry !== undefined) {
      this.options.logger.info({ share, mountpoint: request.mountpoint, device: entry.device }, 'kernel NFS mount made');
      return { mounter: 'kernel', device: entry.device };
    }
    if (entry !== undefined) await lazyUnmount(request.mountpoint, 'kernel');
    this.options.logger.warn({ share, mountpoint: request.mountpoint, failure }, 'kernel NFS mount failed');
    throw safeVolumeError(`cannot mount the NFS share ${share}: ${failure ?? 'mount reported success but nothing is mounted'}`);
  }

  async unmount(record: MountRecord, mountpoint: string): Promise<void> {
    if ((await mountAt(mountpoint))?.device !== record.device) return;
    const problem = await lazyUnmount(mountpoint, 'kernel');
    if (problem !== undefined) throw new Error(`cannot unmount ${mountpoint}: ${problem}`);
  }

  async stillServes(record: MountRecord, mountpoint: string): Promise<boolean> {
    return (await mountAt(mountpoint))?.device === record.device;
  }
}
