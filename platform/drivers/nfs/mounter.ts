import type { NfsShare } from '../../../sdk/volume/nfs-share';

/**
 * How a share becomes a directory on the host. The driver core (driver.ts) decides when to
 * mount and unmount and keeps the counts and the state file; a mounter only knows how. Two
 * exist: the kernel's NFS client (kernel-mounter.ts), where the kernel has one, and a FUSE
 * file system over the SDK's NFS client in a process per mount (fuse-mounter.ts).
 */

export interface MountRequest {
  share: NfsShare;
  /** The identity the server sees (AUTH_SYS). */
  serverUid: number;
  serverGid: number;
  /** The app's identity on the cell; the server's files of serverUid:serverGid appear as owned by it. */
  appUid: number;
  appGid: number;
  readOnly: boolean;
  /** An empty directory the driver made for this mount. */
  mountpoint: string;
}

export type MounterKind = 'fuse' | 'kernel';

/** What must be known to release a mount later, possibly by another run of the driver. */
export interface MountRecord {
  mounter: MounterKind;
  /** The mount's major:minor, which tells it from a later mount at the same path. */
  device: string;
  /** The FUSE mount process. */
  pid?: number;
  pidStartTicks?: string;
}

export interface Mounter {
  readonly kind: MounterKind;
  /** Whether this mounter can present the server's files of one uid as the app's (kernel NFS cannot). */
  readonly mapsIds: boolean;
  /** Mounts within the mounter's time limit, or throws an error whose safeDescription says why. */
  mount(request: MountRequest): Promise<MountRecord>;
  /** Releases the mount whatever state its server is in; never waits on the server beyond the mounter's limit. */
  unmount(record: MountRecord, mountpoint: string): Promise<void>;
  /** Whether a mount recorded by an earlier run still serves (so it is kept rather than cleaned up). */
  stillServes(record: MountRecord, mountpoint: string): Promise<boolean>;
}
