import { settleWithin } from './timing';

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

/** A driver call that did not answer in time; its outcome is unknown, so a mount may exist. */
export class DriverTimeoutError extends Error {
  constructor(what: string, timeoutMs: number) {
    super(`${what} did not answer within ${timeoutMs} ms`);
    this.name = 'DriverTimeoutError';
  }
}

/**
 * Bounds every driver call, so a hung driver cannot hold a stop (which waits for the mount step
 * before it) or the start-up purge forever.
 */
export function withDriverTimeouts(drivers: CellVolumeDrivers, timeoutMs: number): CellVolumeDrivers {
  const bounded = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    const outcome = await settleWithin(Promise.resolve().then(call), timeoutMs);
    if (!outcome.settled) throw new DriverTimeoutError(what, timeoutMs);
    return outcome.value;
  };
  return {
    mount: (driver, volumeId, mountConfig, containerId) =>
      bounded(`driver ${driver} mount`, () => drivers.mount(driver, volumeId, mountConfig, containerId)),
    unmount: (driver, volumeId, containerId) => bounded(`driver ${driver} unmount`, () => drivers.unmount(driver, volumeId, containerId)),
  };
}
