import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CellVolumeDrivers } from '../../../../platform/cell/volumes';

export interface DriverCall {
  driver: string;
  volumeId: string;
  containerId: string;
}

export interface FakeDriverOptions {
  /** Owner of the share directories, so an unprivileged app can write to them. */
  owner?: { uid: number; gid: number };
  /** Like a real driver, give each container its own host mount (a bind mount of the share); needs root. */
  bindMount?: boolean;
}

function isMountPoint(path: string): boolean {
  const mountPoints = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4]);
  return mountPoints.includes(path);
}

/**
 * A volume driver for tests. Each volume is a real directory ("the share") under `root`; with
 * `bindMount`, each container gets its own bind mount of it, so a forgotten unmount shows in mountinfo.
 * The paths depend only on the ids, so another process's fake can release this one's mounts.
 */
export class FakeVolumeDrivers implements CellVolumeDrivers {
  readonly mounts: DriverCall[] = [];
  readonly unmounts: DriverCall[] = [];
  readonly mountConfigs: Array<Record<string, unknown>> = [];
  private readonly failing = new Set<string>();

  constructor(
    readonly root: string,
    private readonly options: FakeDriverOptions = {},
  ) {}

  sharePath(volumeId: string): string {
    return join(this.root, 'shares', volumeId);
  }

  mountPoint(volumeId: string, containerId: string): string {
    return join(this.root, 'mounts', `${volumeId}_${containerId}`);
  }

  failMountsOf(volumeId: string): void {
    this.failing.add(volumeId);
  }

  /** Mount calls not yet matched by an unmount call. */
  active(): DriverCall[] {
    const remaining = [...this.unmounts];
    return this.mounts.filter((mount) => {
      const match = remaining.findIndex((call) => call.driver === mount.driver && call.volumeId === mount.volumeId && call.containerId === mount.containerId);
      if (match === -1) return true;
      remaining.splice(match, 1);
      return false;
    });
  }

  async mount(driver: string, volumeId: string, mountConfig: Record<string, unknown>, containerId: string): Promise<string> {
    this.mounts.push({ driver, volumeId, containerId });
    this.mountConfigs.push(mountConfig);
    if (this.failing.has(volumeId)) throw new Error(`share ${volumeId} is unreachable`);
    const share = this.sharePath(volumeId);
    if (!existsSync(share)) {
      mkdirSync(share, { recursive: true, mode: 0o755 });
      if (this.options.owner !== undefined) chownSync(share, this.options.owner.uid, this.options.owner.gid);
    }
    if (this.options.bindMount !== true) return share;
    const mountPoint = this.mountPoint(volumeId, containerId);
    mkdirSync(mountPoint, { recursive: true });
    if (!isMountPoint(mountPoint)) execFileSync('mount', ['--bind', share, mountPoint]);
    return mountPoint;
  }

  async unmount(driver: string, volumeId: string, containerId: string): Promise<void> {
    this.unmounts.push({ driver, volumeId, containerId });
    if (this.options.bindMount !== true) return;
    const mountPoint = this.mountPoint(volumeId, containerId);
    if (!isMountPoint(mountPoint)) throw new Error(`volume ${volumeId} is not mounted for ${containerId}`);
    execFileSync('umount', [mountPoint]);
    rmdirSync(mountPoint);
  }
}
