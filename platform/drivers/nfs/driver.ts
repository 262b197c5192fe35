import { mkdir, readdir, rmdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { localVolumeDirName } from '../../../sdk/volume/local-path';
import type { VolumeLogger } from '../../../sdk/volume/logger';
import type { ShareAllowList } from '../../../sdk/volume/nfs-share-allow-list';
import { safeVolumeError, VolumeDriverError } from '../../../sdk/volume/protocol/errors';
import type { VolumeDriver } from '../../../sdk/volume/protocol/server';
import type { DriverCapabilities, VolumeInfo } from '../../../sdk/volume/protocol/types';
import { invalidVolumeNameReason } from '../../../sdk/volume/volume-name';
import { lazyUnmount, mountsBelow } from './mount-table';
import type { Mounter, MounterKind } from './mounter';
import { loadNfsDriverState, saveNfsDriverState, type VolumeMountState, type VolumeState, type VolumeTable } from './state';
import { readVolumeOptions, shareName, VolumeOptionsError, type NfsVolumeOptions } from './volume-options';

/**
 * The NFS volume driver's core, Cloud Foundry's volumedriver made small: it keeps the volumes
 * the cell created, gives every container its own mount (a hung or crashed mount stays one
 * container's problem, and unmounting one never touches another's), counts the mounts made
 * without a container id, and writes everything to its state file before and after each
 * mount. Which share may be mounted is the cell operator's decision, not a broker's: every
 * share is checked against the cell's own allow-list at create and again at mount.
 */

export interface NfsVolumeDriverOptions {
  /** Mount points are made below this directory, one per volume and container. */
  mountRoot: string;
  stateFile: string;
  /** The shares this cell mounts, whichever broker hands them out. */
  allowedShares: ShareAllowList;
  /** The uid and gid apps run as on this cell (the cell's app user, 2000 by default). */
  appUid: number;
  appGid: number;
  /** The FUSE mounter, when FUSE works here. */
  fuse?: Mounter;
  /** The kernel's NFS, when this kernel has it. */
  kernel?: Mounter;
  logger: VolumeLogger;
}

/** Mounts without a container id share one mount point under this name. */
const SHARED_MOUNT_NAME = 'shared';

export class NfsVolumeDriver implements VolumeDriver {
  private readonly locks = new Map<string, Promise<unknown>>();
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    private readonly options: NfsVolumeDriverOptions,
    private readonly mountRoot: string,
    private readonly volumes: VolumeTable,
  ) {}

  /**
   * Starts from the state an earlier run saved. Its mounts that still serve (their process and
   * their mount are both there) are kept, so a driver restart leaves running apps' volumes
   * alone; every other mount it recorded, and anything else mounted below the mount root, is
   * detached and its directory removed.
   */
  static async open(options: NfsVolumeDriverOptions): Promise<NfsVolumeDriver> {
    if (options.fuse === undefined && options.kernel === undefined) throw new Error('the NFS volume driver needs a mounter: FUSE or kernel NFS');
    const mountRoot = resolve(options.mountRoot);
    await mkdir(mountRoot, { recursive: true, mode: 0o755 });
    const volumes = await loadNfsDriverState(options.stateFile);
    const driver = new NfsVolumeDriver(options, mountRoot, volumes);
    await driver.purgeStale();
    return driver;
  }

  private mounter(kind: MounterKind): Mounter {
    const mounter = kind === 'fuse' ? this.options.fuse : this.options.kernel;
    if (mounter === undefined) throw new Error(`the ${kind} mounter is not available in this run`);
    return mounter;
  }

  private async purgeStale(): Promise<void> {
    const { logger } = this.options;
    const kept = new Set<string>();
    for (const [name, volume] of this.volumes) {
      const keep: VolumeMountState[] = [];
      for (const mount of volume.mounts) {
        const mounter = mount.record && (mount.record.mounter === 'fuse' ? this.options.fuse : this.options.kernel);
        if (mount.status === 'mounted' && mount.record && mounter && (await mounter.stillServes(mount.record, mount.mountpoint))) {
          keep.push(mount);
          kept.add(mount.mountpoint);
          logger.info({ volume: name, container: mount.container, mountpoint: mount.mountpoint }, 'kept a mount of the previous run: it still serves');
          continue;
        }
        if (mount.record && mounter) {
          await mounter.unmount(mount.record, mount.mountpoint).catch((error: unknown) => logger.warn({ mountpoint: mount.mountpoint, err: String(error) }, 'cannot release a stale mount'));
        }
        logger.info({ volume: name, container: mount.container, mountpoint: mount.mountpoint }, 'cleaned up a stale mount of the previous run');
      }
      volume.mounts = keep;
    }
    // A mount with no record (the driver died between mounting and writing it down).
    for (const entry of await mountsBelow(this.mountRoot)) {
      if (kept.has(entry.mountpoint)) continue;
      const problem = await lazyUnmount(entry.mountpoint, entry.fsType.startsWith('fuse') ? 'fuse' : 'kernel');
      logger.warn({ mountpoint: entry.mountpoint, problem: problem ?? null }, 'detached a leftover mount below the mount root');
    }
    await this.removeEmptyDirectories(kept);
    await this.save();
  }

  /** Removes the mount points (and volume directories) no kept mount uses; rmdir never enters or deletes a mount. */
  private async removeEmptyDirectories(kept: Set<string>): Promise<void> {
    for (const volumeDir of await readdir(this.mountRoot).catch(() => [] as string[])) {
      const volumePath = join(this.mountRoot, volumeDir);
      for (const mountDir of await readdir(volumePath).catch(() => [] as string[])) {
        const mountpoint = join(volumePath, mountDir);
        if (!kept.has(mountpoint)) await rmdir(mountpoint).catch(() => undefined);
      }
      await rmdir(volumePath).catch(() => undefined);
    }
  }

  // ---- the protocol -------------------------------------------------------------

  async create(name: string, opts: Record<string, unknown>): Promise<void> {
    requireValidName(name);
    const parsed = this.readOptions(name, opts);
    const existing = this.volumes.get(name);
    this.volumes.set(name, { opts: structuredClone(opts), mounts: existing?.mounts ?? [] });
    await this.save();
    this.options.logger.info({ volume: name, share: shareName(parsed.share), readOnly: parsed.readOnly }, 'volume created');
  }

  mount(name: string, id?: string): Promise<string> {
    requireValidName(name);
    if (id !== undefined) requireValidContainer(id);
    return this.exclusive(name, id, async () => {
      const volume = this.volumes.get(name);
      if (volume === undefined) throw safeVolumeError(`volume '${name}' must be created before being mounted`);
      const container = id ?? null;
      const held = volume.mounts.find((mount) => mount.container === container && mount.status === 'mounted');
      if (held !== undefined) {
        // A container counts once however often it asks; mounts without an id are counted.
        if (container === null) held.refs += 1;
        await this.save();
        return held.mountpoint;
      }
      const options = this.readOptions(name, volume.opts);
      const mounter = this.chooseMounter(options);
      const mountpoint = join(this.mountRoot, localVolumeDirName(name), localVolumeDirName(id ?? SHARED_MOUNT_NAME));
      await mkdir(mountpoint, { recursive: true, mode: 0o755 });
      const entry: VolumeMountState = { container, refs: 1, mountpoint, status: 'mounting' };
      volume.mounts.push(entry);
      await this.save();
      try {
        entry.record = await mounter.mount({
          share: options.share,
          serverUid: options.uid ?? this.options.appUid,
          serverGid: options.gid ?? this.options.appGid,
          appUid: this.options.appUid,
          appGid: this.options.appGid,
          readOnly: options.readOnly,
          mountpoint,
        });
      } catch (error) {
        volume.mounts.splice(volume.mounts.indexOf(entry), 1);
        await rmdir(mountpoint).catch(() => undefined);
        await this.save();
        throw error;
      }
      entry.status = 'mounted';
      await this.save();
      this.options.logger.info({ volume: name, container, mountpoint, mounter: mounter.kind }, 'volume mounted');
      return mountpoint;
    });
  }

  unmount(name: string, id?: string): Promise<void> {
    requireValidName(name);
    if (id !== undefined) requireValidContainer(id);
    return this.exclusive(name, id, async () => {
      const volume = this.volumes.get(name);
      const container = id ?? null;
      const entry = volume?.mounts.find((mount) => mount.container === container);
      if (volume === undefined || entry === undefined) {
        // Already released (by a purge after a restart, say): what the caller wants is true.
        this.options.logger.info({ volume: name, container }, 'unmount of a volume that is not mounted: nothing to do');
        return;
      }
      if (entry.refs > 1) {
        entry.refs -= 1;
        await this.save();
        return;
      }
      await this.release(volume, entry);
      this.options.logger.info({ volume: name, container }, 'volume unmounted');
    });
  }

  async remove(name: string): Promise<void> {
    requireValidName(name);
    const volume = this.volumes.get(name);
    if (volume === undefined) return;
    for (const mount of [...volume.mounts]) {
      await this.exclusive(name, mount.container ?? undefined, () => this.release(volume, mount));
    }
    this.volumes.delete(name);
    await this.save();
    this.options.logger.info({ volume: name }, 'volume removed');
  }

  async path(name: string): Promise<string> {
    const mount = this.requireKnown(name).mounts.find((entry) => entry.status === 'mounted');
    if (mount === undefined) throw new VolumeDriverError(`volume '${name}' is not mounted`);
    return mount.mountpoint;
  }

  async get(name: string): Promise<VolumeInfo> {
    return this.describe(name, this.requireKnown(name));
  }

  async list(): Promise<VolumeInfo[]> {
    return [...this.volumes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, volume]) => this.describe(name, volume));
  }

  async capabilities(): Promise<DriverCapabilities> {
    // Each cell mounts for itself.
    return { scope: 'local' };
  }

  /** Releases every mount (the cell is going away); used by a graceful stop. */
  async unmountAll(): Promise<void> {
    for (const [name, volume] of this.volumes) {
      for (const mount of [...volume.mounts]) await this.exclusive(name, mount.container ?? undefined, () => this.release(volume, mount));
    }
    await this.save();
  }

  // ---- helpers --------------------------------------------------------------------

  private readOptions(name: string, opts: Record<string, unknown>): NfsVolumeOptions {
    let options: NfsVolumeOptions;
    try {
      options = readVolumeOptions(opts);
    } catch (error) {
      if (error instanceof VolumeOptionsError) throw safeVolumeError(`volume '${name}' has invalid mount options: ${error.message}`);
      throw error;
    }
    if (this.options.allowedShares.find(options.share) === undefined) {
      const share = shareName(options.share);
      this.options.logger.warn({ volume: name, share, allowed: this.options.allowedShares.toString() || '(none)' }, 'refused a share outside the allow-list');
      throw safeVolumeError(`The NFS share ${share} is not allowed on this cell: its NFS driver mounts only the shares the operator allows (--allowed-shares), whichever broker hands them out.`);
    }
    return options;
  }

  /** The kernel when it can do what the binding asks (no uid mapping), else FUSE. */
  private chooseMounter(options: NfsVolumeOptions): Mounter {
    const mapped = options.uid !== undefined && (options.uid !== this.options.appUid || options.gid !== this.options.appGid);
    const { kernel, fuse } = this.options;
    if (kernel !== undefined && (!mapped || kernel.mapsIds)) return kernel;
    if (fuse !== undefined) return fuse;
    throw safeVolumeError('this cell can mount NFS only without a uid and gid (it has kernel NFS but no FUSE to map ids)');
  }

  private async release(volume: VolumeState, entry: VolumeMountState): Promise<void> {
    if (entry.record) await this.mounter(entry.record.mounter).unmount(entry.record, entry.mountpoint);
    await rmdir(entry.mountpoint).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') this.options.logger.warn({ mountpoint: entry.mountpoint, err: error.message }, 'cannot remove the mount point');
    });
    const index = volume.mounts.indexOf(entry);
    if (index >= 0) volume.mounts.splice(index, 1);
    await this.save();
  }

  private describe(name: string, volume: VolumeState): VolumeInfo {
    const mounted = volume.mounts.filter((mount) => mount.status === 'mounted');
    return { name, mountpoint: mounted[0]?.mountpoint ?? '', mountCount: mounted.reduce((sum, mount) => sum + mount.refs, 0) };
  }

  private requireKnown(name: string): VolumeState {
    requireValidName(name);
    const volume = this.volumes.get(name);
    if (volume === undefined) throw new VolumeDriverError(`volume '${name}' not found`);
    return volume;
  }

  /** Saves the table as it is now; saves run one after another, each writing the latest state. */
  private save(): Promise<void> {
    const snapshot: VolumeTable = new Map([...this.volumes].map(([name, volume]) => [name, structuredClone(volume)]));
    const next = this.saving.then(() => saveNfsDriverState(this.options.stateFile, snapshot));
    this.saving = next.catch(() => undefined);
    return next;
  }

  /**
   * One mount or unmount at a time per volume and container; others go on meanwhile, so a
   * server that hangs one mount does not hold up the rest.
   */
  private exclusive<T>(name: string, id: string | undefined, work: () => Promise<T>): Promise<T> {
    const key = `${name}\0${id ?? ''}`;
    const result = (this.locks.get(key) ?? Promise.resolve()).then(work);
    const settled = result.catch(() => undefined);
    this.locks.set(key, settled);
    void settled.then(() => {
      if (this.locks.get(key) === settled) this.locks.delete(key);
    });
    return result;
  }
}

function requireValidName(name: string): void {
  const reason = invalidVolumeNameReason(name);
  if (reason !== undefined) throw new VolumeDriverError(reason);
}

function requireValidContainer(id: string): void {
  const reason = invalidVolumeNameReason(id);
  if (reason !== undefined) throw new VolumeDriverError(reason.replace('volume name', 'container id'));
}
