import { createLogger } from '../sdk';
import { startCell } from '../platform/cell/main';
import { RegistryVolumeDrivers } from '../platform/cell/registry-drivers';
import { HttpCellApi, startController } from '../platform/controller';
import { stopOnSignals } from './lifetime';
import { ensureSecretFile } from './private-files';

/** The bootstrap admin `osbkit up` creates; its password is in `$OSBKIT_HOME/admin-password`. */
export const ADMIN_USERNAME = 'admin';

/*
 * The platform's long-running parts as processes: each reports readiness to `osbkit up`
 * over IPC and stops cleanly on SIGTERM, or when `up` is gone.
 */

export async function startCellProcess(options: { port: number; dataDir: string; driversDir: string; isolation: 'auto' | 'namespaces' | 'none'; apiSecretFile: string }): Promise<void> {
  const logger = createLogger({ name: 'cell' });
  const running = await startCell({
    apiSecret: ensureSecretFile(options.apiSecretFile),
    port: options.port,
    dataDir: options.dataDir,
    drivers: new RegistryVolumeDrivers([options.driversDir]),
    logger,
    isolation: options.isolation,
  });
  logger.info({ url: running.url }, 'cell listening');
  process.send?.({ ready: running.url });
  stopOnSignals(() => running.close());
}

export interface ControllerProcessOptions {
  port: number;
  dataDir: string;
  cellUrl: string;
  /** The cell's API secret (made when missing). */
  cellSecretFile: string;
  /** The bootstrap admin's password (made when missing). */
  adminPasswordFile: string;
  autoEnableAccess?: boolean;
  brokerUrlAllowList?: string[];
}

export async function startControllerProcess(options: ControllerProcessOptions): Promise<void> {
  const logger = createLogger({ name: 'controller' });
  const running = await startController({
    port: options.port,
    dataDir: options.dataDir,
    logger,
    cell: new HttpCellApi({ url: options.cellUrl, apiSecret: ensureSecretFile(options.cellSecretFile) }),
    bootstrapAdmin: { username: ADMIN_USERNAME, password: ensureSecretFile(options.adminPasswordFile) },
    // A restarted cell gets its apps back within seconds.
    appSyncIntervalMs: 3000,
    ...(options.autoEnableAccess !== undefined ? { autoEnableAccess: options.autoEnableAccess } : {}),
    ...(options.brokerUrlAllowList !== undefined ? { brokerUrlAllowList: options.brokerUrlAllowList } : {}),
  });
  logger.info({ url: running.url }, 'controller listening');
  process.send?.({ ready: running.url });
  stopOnSignals(() => running.close());
}
