import { createLogger } from '../sdk';
import { startCell } from '../platform/cell/main';
import { RegistryVolumeDrivers } from '../platform/cell/registry-drivers';
import { HttpCellApi, startController } from '../platform/controller';

/**
 * The platform's long-running parts as processes: each reports readiness to `osbkit up`
 * over IPC and stops cleanly on SIGTERM.
 */
function onStop(close: () => Promise<void>): void {
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void close().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

export async function startCellProcess(options: { port: number; dataDir: string; driversDir: string; isolation: 'auto' | 'namespaces' | 'none' }): Promise<void> {
  const logger = createLogger({ name: 'cell' });
  const running = await startCell({
    port: options.port,
    dataDir: options.dataDir,
    drivers: new RegistryVolumeDrivers([options.driversDir]),
    logger,
    isolation: options.isolation,
  });
  logger.info({ url: running.url }, 'cell listening');
  process.send?.({ ready: running.url });
  onStop(() => running.close());
}

export async function startControllerProcess(options: { port: number; dataDir: string; cellUrl: string; autoEnableAccess?: boolean; brokerUrlAllowList?: string[] }): Promise<void> {
  const logger = createLogger({ name: 'controller' });
  const running = await startController({
    port: options.port,
    dataDir: options.dataDir,
    logger,
    cell: new HttpCellApi({ url: options.cellUrl }),
    // A restarted cell gets its apps back within seconds.
    appSyncIntervalMs: 3000,
    ...(options.autoEnableAccess !== undefined ? { autoEnableAccess: options.autoEnableAccess } : {}),
    ...(options.brokerUrlAllowList !== undefined ? { brokerUrlAllowList: options.brokerUrlAllowList } : {}),
  });
  logger.info({ url: running.url }, 'controller listening');
  process.send?.({ ready: running.url });
  onStop(() => running.close());
}
