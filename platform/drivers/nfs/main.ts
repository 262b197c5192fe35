import { removeDriverSpec, writeDriverSpec } from '../../../sdk/volume/driver-spec';
import type { VolumeLogger } from '../../../sdk/volume/logger';
import type { ShareAllowList } from '../../../sdk/volume/nfs-share-allow-list';
import { createVolumeDriverHandler, listenVolumeDriver } from '../../../sdk/volume/protocol/server';
import { NfsVolumeDriver } from './driver';
import { fuseMountProblem, loadFuseModule } from './fuse-binding';
import { FuseMounter } from './fuse-mounter';
import { KernelMounter, kernelHasNfs } from './kernel-mounter';

/** The name cells and brokers know the NFS driver by: nfsbroker's `driver`, nfsv3driver's spec file. */
export const NFS_DRIVER_NAME = 'nfsv3driver';

export const NFS_DRIVER_DEFAULTS = {
  appUid: 2000,
  appGid: 2000,
  /** Below the cell's 30 s wait for a driver, so the app's events carry the driver's reason. */
  mountTimeoutMs: 20_000,
  opTimeoutMs: 15_000,
  unmountTimeoutMs: 10_000,
} as const;

export interface StartNfsDriverOptions {
  mountRoot: string;
  stateFile: string;
  /** Where the FUSE mount processes write their logs. */
  mountLogFile: string;
  allowedShares: ShareAllowList;
  /** `unix:///path.sock`, `/path.sock`, or loopback `http://127.0.0.1:port` (port 0 picks one). */
  listen: string;
  specDir?: string;
  name?: string;
  appUid?: number;
  appGid?: number;
  mountTimeoutMs?: number;
  opTimeoutMs?: number;
  unmountTimeoutMs?: number;
  /** The servers' portmapper port (111); tests point it elsewhere. */
  portmapPort?: number;
  /** Which mounters to use: by default the kernel's where it has NFS and the driver is root, and FUSE where it works. */
  mounters?: 'auto' | 'fuse' | 'kernel';
  logger: VolumeLogger;
}

export interface RunningNfsDriver {
  address: string;
  driver: NfsVolumeDriver;
  /** Stops serving; with `unmountAll`, releases every mount first (the cell is going away too). */
  close(options?: { unmountAll?: boolean }): Promise<void>;
}

/** Why this machine cannot run the NFS driver at all, or undefined when it can (with FUSE, or kernel NFS as root). */
export function nfsDriverProblem(): string | undefined {
  const kernel = kernelHasNfs() && process.getuid?.() === 0;
  if (kernel) return undefined;
  const fuse = loadFuseModule();
  if ('problem' in fuse) return `no kernel NFS, and ${fuse.problem}`;
  const mountProblem = fuseMountProblem();
  return mountProblem === undefined ? undefined : `no kernel NFS, and FUSE cannot be used: ${mountProblem}`;
}

export async function startNfsDriver(options: StartNfsDriverOptions): Promise<RunningNfsDriver> {
  const name = options.name ?? NFS_DRIVER_NAME;
  const { specDir, logger } = options;
  const mountTimeoutMs = options.mountTimeoutMs ?? NFS_DRIVER_DEFAULTS.mountTimeoutMs;
  const opTimeoutMs = options.opTimeoutMs ?? NFS_DRIVER_DEFAULTS.opTimeoutMs;
  const choice = options.mounters ?? 'auto';

  const fuseProblem = (() => {
    const loaded = loadFuseModule();
    return 'problem' in loaded ? loaded.problem : fuseMountProblem();
  })();
  const kernelUsable = kernelHasNfs() && process.getuid?.() === 0;
  if (choice === 'fuse' && fuseProblem !== undefined) throw new Error(`The NFS driver cannot mount through FUSE: ${fuseProblem}.`);
  if (choice === 'kernel' && !kernelUsable) throw new Error('The NFS driver cannot mount with the kernel: this kernel has no NFS (see /proc/filesystems), or the driver is not root.');
  const fuse =
    choice !== 'kernel' && fuseProblem === undefined
      ? new FuseMounter({
          opTimeoutMs,
          mountTimeoutMs,
          unmountTimeoutMs: options.unmountTimeoutMs ?? NFS_DRIVER_DEFAULTS.unmountTimeoutMs,
          allowOther: true,
          logFile: options.mountLogFile,
          logger,
          ...(options.portmapPort !== undefined && { portmapPort: options.portmapPort }),
        })
      : undefined;
  const kernel = choice !== 'fuse' && kernelUsable ? new KernelMounter({ opTimeoutMs, mountTimeoutMs, logger }) : undefined;
  if (fuse === undefined && kernel === undefined) throw new Error(`The NFS driver has no way to mount: no kernel NFS, and ${fuseProblem}.`);
  if (kernel !== undefined && options.portmapPort !== undefined) logger.warn({ portmapPort: options.portmapPort }, 'the kernel mounter asks the standard portmapper; --portmap-port applies to FUSE mounts only');

  if (specDir !== undefined) await removeDriverSpec(specDir, name);
  const driver = await NfsVolumeDriver.open({
    mountRoot: options.mountRoot,
    stateFile: options.stateFile,
    allowedShares: options.allowedShares,
    appUid: options.appUid ?? NFS_DRIVER_DEFAULTS.appUid,
    appGid: options.appGid ?? NFS_DRIVER_DEFAULTS.appGid,
    ...(fuse !== undefined && { fuse }),
    ...(kernel !== undefined && { kernel }),
    logger,
  });
  const listening = await listenVolumeDriver(createVolumeDriverHandler(driver, logger), options.listen);
  if (specDir !== undefined) {
    try {
      await writeDriverSpec(specDir, name, listening.address);
    } catch (error) {
      await listening.close();
      throw error;
    }
  }
  if (options.allowedShares.empty) logger.warn({}, 'no --allowed-shares: this driver refuses every NFS share');
  logger.info(
    { driver: name, address: listening.address, mounters: [kernel?.kind, fuse?.kind].filter(Boolean), allowedShares: options.allowedShares.toString() || '(none)' },
    'NFS volume driver listening',
  );

  let closing: Promise<void> | undefined;
  return {
    address: listening.address,
    driver,
    close: (closeOptions = {}) => {
      closing ??= (async () => {
        if (specDir !== undefined) await removeDriverSpec(specDir, name);
        await listening.close();
        if (closeOptions.unmountAll) await driver.unmountAll();
        logger.info({ driver: name }, 'NFS volume driver stopped');
      })();
      return closing;
    },
  };
}
