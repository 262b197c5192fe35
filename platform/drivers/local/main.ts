import type { VolumeLogger } from '../../../sdk/volume/logger';
import { removeDriverSpec, writeDriverSpec } from '../../../sdk/volume/driver-spec';
import { createVolumeDriverHandler, listenVolumeDriver } from '../../../sdk/volume/protocol/server';
import { LocalVolumeDriver } from './driver';

export interface StartLocalDriverOptions {
  /** Must be the root the local broker creates volume directories in. */
  volumesRoot: string;
  stateFile: string;
  /** `unix:///path.sock`, `/path.sock`, or loopback `http://127.0.0.1:port` (port 0 picks one). */
  listen: string;
  /** Where the cell looks for driver specs; when set, a `<name>.json` is kept there while serving. */
  specDir?: string;
  name?: string;
  logger: VolumeLogger;
}

export interface RunningLocalDriver {
  /** The address actually bound, e.g. with the port chosen by the system. */
  address: string;
  close(): Promise<void>;
}

export async function startLocalDriver(options: StartLocalDriverOptions): Promise<RunningLocalDriver> {
  const name = options.name ?? 'localdriver';
  const { specDir, logger } = options;
  // Clears a spec left by a crashed run (and checks the name) before serving.
  if (specDir !== undefined) await removeDriverSpec(specDir, name);

  const driver = await LocalVolumeDriver.open(options);
  const listening = await listenVolumeDriver(createVolumeDriverHandler(driver, logger), options.listen);
  if (specDir !== undefined) {
    try {
      await writeDriverSpec(specDir, name, listening.address);
    } catch (error) {
      await listening.close();
      throw error;
    }
  }
  logger.info({ driver: name, address: listening.address, specDir: specDir ?? null }, 'local volume driver listening');

  let closing: Promise<void> | undefined;
  return {
    address: listening.address,
    close: () => {
      // Withdraw the spec first so the cell stops sending new mounts here.
      closing ??= (async () => {
        if (specDir !== undefined) await removeDriverSpec(specDir, name);
        await listening.close();
        logger.info({ driver: name }, 'local volume driver stopped');
      })();
      return closing;
    },
  };
}
