/**
 * The only way the cell reaches volume drivers. Kept this narrow so the cell never learns the
 * driver wire protocol; an adapter over the SDK's driver registry implements it.
 */
export interface CellVolumeDrivers {
  /**
   * Makes the volume available to one container and returns the host directory to bind.
   * Like volman, an implementation is expected to create the volume with `mountConfig` and then mount it.
   */
  mount(driver: string, volumeId: string, mountConfig: Record<string, unknown>, containerId: string): Promise<string>;
  /** Releases what `mount` set up for that container. Called even after failed stops and at start-up purges. */
  unmount(driver: string, volumeId: string, containerId: string): Promise<void>;
}

/** What the cell remembers about one driver mount so it can always release it, even after its own crash. */
export interface DriverMountRecord {
  driver: string;
  volumeId: string;
  containerId: string;
}
