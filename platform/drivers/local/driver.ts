import { lstat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { localVolumePath } from '../../../sdk/volume/local-path';
import type { VolumeLogger } from '../../../sdk/volume/logger';
import { safeVolumeError, VolumeDriverError } from '../../../sdk/volume/protocol/errors';
import type { VolumeDriver } from '../../../sdk/volume/protocol/server';
import type { DriverCapabilities, VolumeInfo } from '../../../sdk/volume/protocol/types';
import { invalidVolumeNameReason } from '../../../sdk/volume/volume-name';
import {
  cloneTable,
  loadLocalDriverState,
  mountCount,
  saveLocalDriverState,
  type LocalVolumeRecord,
  type LocalVolumeTable,
} from './state';

export interface LocalVolumeDriverOptions {
  /** The directory the local broker creates one volume directory in per instance. */
  volumesRoot: string;
  stateFile: string;
  logger: VolumeLogger;
}

/**
 * A volume driver for one machine: the "volume" is a directory the local
 * broker made under `volumesRoot`, and mounting it just hands its host path
 * to the container runtime to bind-mount. The driver's own job is the
 * bookkeeping: which volumes exist and which containers hold them.
 */
export class LocalVolumeDriver implements VolumeDriver {
  // Calls run one at a time so each sees the previous one's saved state.
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly volumesRoot: string,
    private readonly stateFile: string,
    private readonly logger: VolumeLogger,
    private volumes: LocalVolumeTable,
  ) {}

  /** Starts a driver from the state a previous run saved in `stateFile`. */
  static async open(options: LocalVolumeDriverOptions): Promise<LocalVolumeDriver> {
    const volumes = await loadLocalDriverState(options.stateFile);
    const mounted = [...volumes.values()].filter((record) => mountCount(record) > 0).length;
    options.logger.info({ stateFile: options.stateFile, volumes: volumes.size, mounted }, 'local volume driver state loaded');
    return new LocalVolumeDriver(resolve(options.volumesRoot), options.stateFile, options.logger, volumes);
  }

  create(name: string, opts: Record<string, unknown>): Promise<void> {
    return this.exclusive(async () => {
      requireValidName(name);
      await this.requireVolumeDirectory(name);
      const next = cloneTable(this.volumes);
      const existing = next.get(name);
      next.set(name, { opts: structuredClone(opts), containers: existing?.containers ?? [], anonymousMounts: existing?.anonymousMounts ?? 0 });
      await this.commit(next);
      this.logger.info({ volume: name }, 'volume created');
    });
  }

  remove(name: string): Promise<void> {
    return this.exclusive(async () => {
      requireValidName(name);
      const record = this.volumes.get(name);
      if (record === undefined) return;
      if (mountCount(record) > 0) {
        this.logger.warn({ volume: name, mountCount: mountCount(record) }, 'removing a volume that is still mounted');
      }
      const next = cloneTable(this.volumes);
      next.delete(name);
      await this.commit(next);
      // The directory belongs to the broker, which deletes it on deprovision.
      this.logger.info({ volume: name }, 'volume forgotten');
    });
  }

  mount(name: string, id?: string): Promise<string> {
    return this.exclusive(async () => {
      requireValidName(name);
      const next = cloneTable(this.volumes);
      const record = next.get(name);
      if (record === undefined) throw safeVolumeError(`volume '${name}' must be created before being mounted`);
      const directory = await this.requireVolumeDirectory(name);
      if (id === undefined) record.anonymousMounts += 1;
      else if (record.containers.includes(id)) return directory;
      else record.containers.push(id);
      await this.commit(next);
      this.logger.info({ volume: name, container: id ?? null, mountCount: mountCount(record) }, 'volume mounted');
      return directory;
    });
  }

  unmount(name: string, id?: string): Promise<void> {
    return this.exclusive(async () => {
      requireValidName(name);
      const next = cloneTable(this.volumes);
      const record = next.get(name);
      if (record === undefined) throw new VolumeDriverError(`volume '${name}' not found`);
      if (id === undefined) {
        if (record.anonymousMounts === 0) throw new VolumeDriverError(`volume '${name}' has no mount without a container id`);
        record.anonymousMounts -= 1;
      } else {
        const index = record.containers.indexOf(id);
        if (index < 0) throw new VolumeDriverError(`volume '${name}' is not mounted by container '${id}'`);
        record.containers.splice(index, 1);
      }
      await this.commit(next);
      this.logger.info({ volume: name, container: id ?? null, mountCount: mountCount(record) }, 'volume unmounted');
    });
  }

  path(name: string): Promise<string> {
    return this.exclusive(async () => {
      const record = this.requireKnown(name);
      if (mountCount(record) === 0) throw new VolumeDriverError(`volume '${name}' is not mounted`);
      return localVolumePath(this.volumesRoot, name);
    });
  }

  get(name: string): Promise<VolumeInfo> {
    return this.exclusive(async () => this.describe(name, this.requireKnown(name)));
  }

  list(): Promise<VolumeInfo[]> {
    return this.exclusive(async () =>
      [...this.volumes]
        .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0))
        .map(([name, record]) => this.describe(name, record)),
    );
  }

  async capabilities(): Promise<DriverCapabilities> {
    // The directories live on this machine only.
    return { scope: 'local' };
  }

  private describe(name: string, record: LocalVolumeRecord): VolumeInfo {
    const count = mountCount(record);
    return { name, mountpoint: count > 0 ? localVolumePath(this.volumesRoot, name) : '', mountCount: count };
  }

  private requireKnown(name: string): LocalVolumeRecord {
    requireValidName(name);
    const record = this.volumes.get(name);
    if (record === undefined) throw new VolumeDriverError(`volume '${name}' not found`);
    return record;
  }

  /**
   * The broker's directory must be there, and be a real directory: following
   * a symlink planted in its place would expose some other host path.
   */
  private async requireVolumeDirectory(name: string): Promise<string> {
    const directory = localVolumePath(this.volumesRoot, name);
    try {
      const stats = await lstat(directory);
      if (stats.isDirectory()) return directory;
      this.logger.warn({ volume: name, directory }, 'volume path is not a plain directory');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    throw safeVolumeError(`volume '${name}' does not exist`);
  }

  /** Saves first, so memory never claims a mount the state file does not. */
  private async commit(next: LocalVolumeTable): Promise<void> {
    await saveLocalDriverState(this.stateFile, next);
    this.volumes = next;
  }

  private exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

function requireValidName(name: string): void {
  const reason = invalidVolumeNameReason(name);
  if (reason !== undefined) throw new VolumeDriverError(reason);
}
