import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_SHARE_CHECK_TIMEOUT_MS, NfsVolumeBroker } from './broker';
import { ManagedShare, ManagedShareError } from './managed-share';
import { ShareAllowList, ShareRuleError } from '../../sdk/volume/nfs-share-allow-list';

/** The NFS broker's entry points, as the CLI and tests use them. */

export { NfsVolumeBroker, EXISTING_PLAN, MANAGED_PLAN, DEFAULT_NFS_DRIVER, DEFAULT_SHARE_CHECK_TIMEOUT_MS, type NfsBrokerOptions } from './broker';
export { ManagedShare, ManagedShareError, INSTANCE_DIR_MODE } from './managed-share';
export { ShareAllowList, ShareRuleError, parseShareRule, type ShareRule } from '../../sdk/volume/nfs-share-allow-list';
export { parseShare, shareText, shareSource, ShareSyntaxError, type NfsShare } from '../../sdk/volume/nfs-share';
export { mountConfig, volumeId, goJson, readMountOptions, mergeMountOptions, MountOptionsError, MOUNT_OPTION_NAMES, type MountOptions } from './mount-options';

/** The catalog file that ships with the broker, from the sources (brokers/nfs) and the build output (dist/brokers/nfs) alike. */
export const nfsCatalogPath: string = locateCatalog();

/** What an operator configures; the CLI fills it from flags, then the environment. */
export interface NfsBrokerConfig {
  /** Comma-separated share rules (--allowed-shares, OSBKIT_NFS_ALLOWED_SHARES). */
  allowedShares?: string;
  /** nfs://server/export/path of the Managed plan (--managed-share, OSBKIT_NFS_MANAGED_SHARE). */
  managedShare?: string;
  driver?: string;
  shareCheckTimeoutMs?: number;
  portmapPort?: number;
}

export class NfsConfigError extends Error {
  override readonly name = 'NfsConfigError';
}

/** The flags given, and for those not given the environment. Empty values count as not set. */
export function nfsBrokerConfig(flags: { allowedShares?: string; managedShare?: string }, env: NodeJS.ProcessEnv = process.env): NfsBrokerConfig {
  const pick = (flag: string | undefined, name: string): string | undefined => (flag?.trim() || env[name]?.trim()) || undefined;
  const allowedShares = pick(flags.allowedShares, 'OSBKIT_NFS_ALLOWED_SHARES');
  const managedShare = pick(flags.managedShare, 'OSBKIT_NFS_MANAGED_SHARE');
  return { ...(allowedShares ? { allowedShares } : {}), ...(managedShare ? { managedShare } : {}) };
}

/** Whether the environment configures the NFS broker, which is when `osbkit up` runs it without being asked. */
export function nfsConfiguredInEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const config = nfsBrokerConfig({}, env);
  return config.allowedShares !== undefined || config.managedShare !== undefined;
}

/** Builds the broker, refusing a configuration that is wrong or configures neither plan. */
export function createNfsBroker(config: NfsBrokerConfig): NfsVolumeBroker {
  if (config.allowedShares === undefined && config.managedShare === undefined) {
    throw new NfsConfigError(
      'The NFS broker needs --allowed-shares (or OSBKIT_NFS_ALLOWED_SHARES) for the Existing plan, --managed-share (or OSBKIT_NFS_MANAGED_SHARE) for the Managed plan, or both.',
    );
  }
  const timeoutMs = config.shareCheckTimeoutMs ?? DEFAULT_SHARE_CHECK_TIMEOUT_MS;
  let allowedShares: ShareAllowList;
  let managedShare: ManagedShare | undefined;
  try {
    allowedShares = ShareAllowList.parse(config.allowedShares ?? '');
    managedShare = config.managedShare === undefined ? undefined : ManagedShare.parse(config.managedShare, timeoutMs);
  } catch (error) {
    if (error instanceof ShareRuleError || error instanceof ManagedShareError) throw new NfsConfigError(`The NFS broker's configuration is invalid: ${error.message}.`);
    throw error;
  }
  return new NfsVolumeBroker({
    allowedShares,
    ...(managedShare ? { managedShare } : {}),
    ...(config.driver !== undefined ? { driver: config.driver } : {}),
    shareCheckTimeoutMs: timeoutMs,
    ...(config.portmapPort !== undefined ? { portmapPort: config.portmapPort } : {}),
  });
}

function locateCatalog(): string {
  const candidates = [resolve(__dirname, '../../catalog/nfs.yaml'), resolve(__dirname, '../../../catalog/nfs.yaml')];
  return candidates.find((path) => existsSync(path)) ?? candidates[0]!;
}
