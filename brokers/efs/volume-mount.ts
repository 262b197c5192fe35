import { normaliseContainerDir, type VolumeMount } from '../../sdk/volume';
import type { NfsExport } from './config';

/**
 * The bind answer's `volume_mounts` entry for the cell's NFS driver, in the shape the NFS
 * broker answers (string values under sorted keys, `source` an nfs:// URL):
 *
 * - On AWS, `source` is the file system's DNS name (each availability zone resolves it to its
 *   own mount target), `version` is 4.1, the only protocol EFS speaks, `tls` is true and
 *   `access_point` names the access point: EFS applies its POSIX identity and root directory
 *   on the server, and accepts an access point only over TLS (amazon-efs-utils'
 *   `mount -t efs -o tls,accesspoint=…`). osbkit's NFS driver mounts NFSv3 only and refuses
 *   these options, so such a volume needs an EFS-capable driver on the cell.
 * - Against the emulator (`nfsExport` set), nothing on the server enforces an access point, so
 *   the config carries the access point's effect in the keys the NFS driver takes: `source` is
 *   the access point's root directory itself on the NFS export that holds the emulator's
 *   backing directory, `uid`/`gid` its POSIX identity (the driver makes every operation as
 *   them), `version` 3. The access point's id is in the `volume_id`.
 */

export interface AccessPointMount {
  instanceId: string;
  fileSystemId: string;
  region: string;
  accessPointId: string;
  /** The access point's RootDirectory.Path, e.g. /shared. */
  rootPath: string;
  uid: number;
  gid: number;
  readonly: boolean;
  /** The container directory in canonical form; the default when undefined. */
  mount?: string;
  driver: string;
  nfsExport?: NfsExport;
}

/** The DNS name EFS gives a file system; it resolves inside the VPC only. */
export function fileSystemDnsName(fileSystemId: string, region: string): string {
  return `${fileSystemId}.efs.${region}.${region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}`;
}

export function efsMountConfig(mount: AccessPointMount): Record<string, string> {
  const config: Record<string, string> = { gid: String(mount.gid), uid: String(mount.uid) };
  if (mount.nfsExport) {
    const host = mount.nfsExport.host.includes(':') ? `[${mount.nfsExport.host}]` : mount.nfsExport.host;
    config.source = `nfs://${host}${mount.nfsExport.path}/${mount.fileSystemId}${mount.rootPath === '/' ? '' : mount.rootPath}`;
    config.version = '3';
  } else {
    config.access_point = mount.accessPointId;
    config.source = `nfs://${fileSystemDnsName(mount.fileSystemId, mount.region)}/`;
    config.tls = 'true';
    config.version = '4.1';
  }
  if (mount.readonly) config.readonly = 'true';
  return Object.fromEntries(Object.entries(config).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A VolumeMount whose mount_config is known to hold strings only (so it is JSON as it stands). */
export type EfsVolumeMount = {
  driver: string;
  container_dir: string;
  mode: 'r' | 'rw';
  device_type: 'shared';
  device: { volume_id: string; mount_config: Record<string, string> };
};

export function efsVolumeMount(mount: AccessPointMount): EfsVolumeMount {
  return {
    driver: mount.driver,
    container_dir: mount.mount ?? normaliseContainerDir(`/var/vcap/data/${mount.instanceId}`),
    mode: mount.readonly ? 'r' : 'rw',
    device_type: 'shared',
    // One access point per binding, so its id tells the bindings' volumes apart.
    device: { volume_id: `${mount.instanceId}-${mount.accessPointId}`, mount_config: efsMountConfig(mount) },
  } satisfies VolumeMount;
}
