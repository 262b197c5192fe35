import { fork } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { VolumeLogger } from '../../../sdk/volume/logger';
import { safeVolumeError } from '../../../sdk/volume/protocol/errors';
import { isMountReply, MOUNT_PROCESS_MARKER, type MountReplyMessage, type MountRequestMessage } from './fuse-protocol';
import { seconds } from './mount-failure';
import { isMountProcess, processStartTicks, signalMountProcess, waitForExit } from './mount-process';
import { lazyUnmount, mountAt } from './mount-table';
import type { Mounter, MountRecord, MountRequest } from './mounter';
import { shareName } from './volume-options';

/**
 * Mounts a share through FUSE, with the SDK's NFS client, in a process of its own per mount
 * (fuse-process.ts). A process per mount, rather than every mount in the driver, because:
 * - a server that hangs holds only that mount's process; the driver keeps answering the cell,
 *   and can always kill the process and detach the mount;
 * - the driver never touches a mount point itself (it reads /proc/self/mountinfo), so it can
 *   never block on one of its own file systems;
 * - a crash in the native binding ends one mount, not every app's volumes;
 * - a driver that dies or restarts leaves the apps' mounts serving; the next run adopts them.
 * The cost is a node process per mount (about 45 MB of memory each).
 */

export interface FuseMounterOptions {
  /** Each file system operation answers EIO when the server has not answered within this. */
  opTimeoutMs: number;
  /** Connecting and mounting, all in. */
  mountTimeoutMs: number;
  /** How long a mount process may take to write back and unmount before it is killed. */
  unmountTimeoutMs: number;
  /** Where the servers' portmappers listen (111). */
  portmapPort?: number;
  /** Mount with allow_other, so users other than the driver's (the app's) may enter. */
  allowOther: boolean;
  /** The mount processes' stdout and stderr (pino JSON lines). */
  logFile: string;
  logger: VolumeLogger;
  /** The compiled fuse-process.js; the default is the one beside this file. */
  processEntry?: string;
}

export class FuseMounter implements Mounter {
  readonly kind = 'fuse';
  readonly mapsIds = true;

  constructor(private readonly options: FuseMounterOptions) {}

  async mount(request: MountRequest): Promise<MountRecord> {
    const { mountpoint } = request;
    const share = shareName(request.share);
    mkdirSync(dirname(this.options.logFile), { recursive: true });
    const log = openSync(this.options.logFile, 'a', 0o600);
    let child;
    try {
      child = fork(this.options.processEntry ?? join(__dirname, 'fuse-process.js'), [MOUNT_PROCESS_MARKER, mountpoint], {
        stdio: ['ignore', log, log, 'ipc'],
        // Its own process group: a signal to the driver's group (Ctrl-C) does not reach the apps' mounts.
        detached: true,
        execArgv: [],
      });
    } finally {
      closeSync(log);
    }
    const message: MountRequestMessage = {
      type: 'mount',
      host: request.share.host,
      path: request.share.path,
      serverUid: request.serverUid,
      serverGid: request.serverGid,
      appUid: request.appUid,
      appGid: request.appGid,
      readOnly: request.readOnly,
      mountpoint,
      opTimeoutMs: this.options.opTimeoutMs,
      allowOther: this.options.allowOther,
      ...(this.options.portmapPort !== undefined && { portmapPort: this.options.portmapPort }),
    };
    const outcome = await new Promise<MountReplyMessage | { type: 'timeout' } | { type: 'exited'; code: number | null; signal: string | null }>((resolve) => {
      const timer = setTimeout(() => resolve({ type: 'timeout' }), this.options.mountTimeoutMs);
      child.once('message', (reply: unknown) => {
        clearTimeout(timer);
        resolve(isMountReply(reply) ? reply : { type: 'failed', reason: 'the mount process answered something unexpected' });
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        resolve({ type: 'exited', code, signal });
      });
      child.once('error', () => undefined);
      child.send(message);
    });
    const pid = child.pid;
    if (outcome.type === 'mounted' && pid !== undefined) {
      const [entry, startTicks] = await Promise.all([mountAt(mountpoint), processStartTicks(pid)]);
      if (entry !== undefined && startTicks !== undefined) {
        child.disconnect();
        child.unref();
        this.options.logger.info({ share, mountpoint, pid, device: entry.device }, 'FUSE mount made');
        return { mounter: 'fuse', device: entry.device, pid, pidStartTicks: startTicks };
      }
    }
    // Whatever happened, nothing of this attempt may stay: the process, the mount, the directory.
    child.kill('SIGKILL');
    const mounted = await mountAt(mountpoint);
    if (mounted?.fsType === 'fuse.osbkit-nfs') await lazyUnmount(mountpoint, 'fuse');
    this.options.logger.warn({ share, mountpoint, outcome }, 'FUSE mount failed');
    if (outcome.type === 'failed') throw safeVolumeError(`cannot mount the NFS share ${share}: ${outcome.reason}`);
    if (outcome.type === 'timeout') {
      throw safeVolumeError(`cannot mount the NFS share ${share}: the server gave no answer within ${seconds(this.options.mountTimeoutMs)}`);
    }
    throw safeVolumeError(`cannot mount the NFS share ${share}: the mount process ended before mounting`);
  }

  async unmount(record: MountRecord, mountpoint: string): Promise<void> {
    const identity = record.pid !== undefined && record.pidStartTicks !== undefined ? { pid: record.pid, startTicks: record.pidStartTicks } : undefined;
    if (identity !== undefined && (await signalMountProcess(identity, mountpoint, 'SIGTERM'))) {
      if (!(await waitForExit(identity, mountpoint, this.options.unmountTimeoutMs))) {
        this.options.logger.warn({ mountpoint, pid: identity.pid }, `the mount process did not stop within ${this.options.unmountTimeoutMs} ms; killing it`);
        await signalMountProcess(identity, mountpoint, 'SIGKILL');
        await waitForExit(identity, mountpoint, 5000);
      }
    }
    // The process detaches its mount itself; this is for a process that was killed or had died.
    if ((await mountAt(mountpoint))?.device === record.device) {
      const problem = await lazyUnmount(mountpoint, 'fuse');
      if (problem !== undefined) throw new Error(`cannot unmount ${mountpoint}: ${problem}`);
    }
  }

  async stillServes(record: MountRecord, mountpoint: string): Promise<boolean> {
    if (record.pid === undefined || record.pidStartTicks === undefined) return false;
    const [alive, entry] = await Promise.all([isMountProcess({ pid: record.pid, startTicks: record.pidStartTicks }, mountpoint), mountAt(mountpoint)]);
    return alive && entry?.device === record.device;
  }
}
