import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { EfsVolumeBroker } from './broker';
import { resolveEfsConfig, type EfsBrokerConfig } from './config';
import { createEfsClient, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS, EfsApi } from './efs-api';

/** The EFS broker's entry points, as the CLI, tests and benches use them. */

export { EfsVolumeBroker } from './broker';
export {
  efsBrokerConfig, resolveEfsConfig, EfsConfigError, DEFAULT_EFS_DRIVER, DEFAULT_WAITS, MAX_SECURITY_GROUPS,
  type EfsBrokerConfig, type ResolvedEfsConfig, type NfsExport, type WaitPolicy,
} from './config';
export { createEfsClient, EfsApi, type EfsClientSettings } from './efs-api';
export { awsFailure, failureKind } from './aws-errors';
export { readBindParameters, readCreateParameters, MAX_POSIX_ID, type BindParameters, type CreateParameters } from './parameters';
export { accessPointClientToken, creationToken, fileSystemTags, accessPointTags, idTagValue, rootDirectoryPath, TAG_KEYS, INSTANCE_ROOT_DIRECTORY } from './naming';
export { efsMountConfig, efsVolumeMount, fileSystemDnsName, type AccessPointMount } from './volume-mount';
export { waitSeconds } from './waits';

/** The catalog file that ships with the broker, from the sources (brokers/efs) and the build output (dist/brokers/efs) alike. */
export const efsCatalogPath: string = locateCatalog();

/** Builds the broker from an operator's configuration; throws EfsConfigError naming every problem. */
export function createEfsBroker(config: EfsBrokerConfig): EfsVolumeBroker {
  const resolved = resolveEfsConfig(config);
  const client = createEfsClient({
    region: resolved.region,
    ...(resolved.endpoint !== undefined ? { endpoint: resolved.endpoint } : {}),
    maxAttempts: resolved.maxAttempts,
    connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
    requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
  });
  return new EfsVolumeBroker(new EfsApi(client), resolved);
}

function locateCatalog(): string {
  const candidates = [resolve(__dirname, '../../catalog/efs.yaml'), resolve(__dirname, '../../../catalog/efs.yaml')];
  return candidates.find((path) => existsSync(path)) ?? candidates[0]!;
}
