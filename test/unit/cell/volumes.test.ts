import { DriverTimeoutError, withDriverTimeouts, type CellVolumeDrivers } from '../../../platform/cell/volumes';

describe('withDriverTimeouts', () => {
  const hanging: CellVolumeDrivers = {
    mount: () => new Promise<string>(() => undefined),
    unmount: () => new Promise<void>(() => undefined),
  };

  it('fails a driver call that does not answer in time', async () => {
    const bounded = withDriverTimeouts(hanging, 20);
    await expect(bounded.mount('nfs', 'v', {}, 'c')).rejects.toBeInstanceOf(DriverTimeoutError);
    await expect(bounded.unmount('nfs', 'v', 'c')).rejects.toThrow('driver nfs unmount did not answer within 20 ms');
  });

  it('passes answers and errors through, also errors thrown synchronously', async () => {
    const drivers: CellVolumeDrivers = {
      mount: async (driver, volumeId, config, containerId) => `/mnt/${driver}/${volumeId}/${containerId}/${String(config.x)}`,
      unmount: () => {
        throw new Error('not mounted');
      },
    };
    const bounded = withDriverTimeouts(drivers, 1_000);
    await expect(bounded.mount('nfs', 'v', { x: 1 }, 'c')).resolves.toBe('/mnt/nfs/v/c/1');
    await expect(bounded.unmount('nfs', 'v', 'c')).rejects.toThrow('not mounted');
  });
});
