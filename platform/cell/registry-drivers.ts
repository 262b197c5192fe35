import { DriverRegistry, type VolumeLogger } from '../../sdk/volume';
import type { CellVolumeDrivers } from './volumes';

/**
 * The cell's volume access over the SDK's driver registry: volman's order of calls (Create
 * with the mount config, then Mount), with each container counted by its id.
 */
export class RegistryVolumeDrivers implements CellVolumeDrivers {
  private readonly registry: DriverRegistry;

  constructor(driversDirs: string[], logger?: VolumeLogger) {
    this.registry = new DriverRegistry({ dirs: driversDirs, ...(logger ? { logger } : {}) });
  }

  /** Drivers come and go (their spec files appear when they start); look again when one is missing. */
  private async client(driver: string) {
    if (!this.registry.has(driver)) await this.registry.refresh();
    return this.registry.client(driver);
  }

  async mount(driver: string, volumeId: string, mountConfig: Record<string, unknown>, containerId: string): Promise<string> {
    const client = await this.client(driver);
    await client.create(volumeId, mountConfig);
    return client.mount(volumeId, containerId);
  }

  async unmount(driver: string, volumeId: string, containerId: string): Promise<void> {
    const client = await this.client(driver);
    await client.unmount(volumeId, containerId);
  }
}
