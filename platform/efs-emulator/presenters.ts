import type { EfsEmulator } from './emulator';
import { lifeCycleState, type AccessPointRecord, type FileSystemRecord, type MountTargetRecord } from './records';
import { availabilityZoneId } from './subnets';
import { nameTag } from './tags';

/**
 * Records as EFS describes them, member for member as in the 2015-02-01 model. Timestamps
 * are epoch seconds; optional members that do not apply are left out, as AWS leaves them out.
 */

/** The metered size EFS reports for an empty file system (its root directory's metadata). */
export const EMPTY_FILE_SYSTEM_BYTES = 6144;

const epochSeconds = (ms: number): number => Math.floor(ms / 1000);

export function describeFileSystem(emulator: EfsEmulator, record: FileSystemRecord, nowMs: number) {
  const name = nameTag(record.tags);
  return {
    OwnerId: emulator.settings.accountId,
    CreationToken: record.creationToken,
    FileSystemId: record.fileSystemId,
    FileSystemArn: emulator.arn('file-system', record.fileSystemId),
    CreationTime: epochSeconds(record.createdAtMs),
    LifeCycleState: lifeCycleState(record, nowMs),
    ...(name === undefined ? {} : { Name: name }),
    NumberOfMountTargets: emulator.store.mountTargetsOf(record.fileSystemId).length,
    SizeInBytes: {
      Value: EMPTY_FILE_SYSTEM_BYTES,
      Timestamp: epochSeconds(nowMs),
      ValueInIA: 0,
      ValueInStandard: EMPTY_FILE_SYSTEM_BYTES,
      ValueInArchive: 0,
    },
    PerformanceMode: record.performanceMode,
    Encrypted: record.encrypted,
    ...(record.kmsKeyId === undefined ? {} : { KmsKeyId: record.kmsKeyId }),
    ThroughputMode: record.throughputMode,
    ...(record.provisionedThroughputInMibps === undefined ? {} : { ProvisionedThroughputInMibps: record.provisionedThroughputInMibps }),
    ...(record.availabilityZoneName === undefined
      ? {}
      : { AvailabilityZoneName: record.availabilityZoneName, AvailabilityZoneId: availabilityZoneId(record.availabilityZoneName) }),
    Tags: record.tags.map((tag) => ({ ...tag })),
    FileSystemProtection: { ReplicationOverwriteProtection: 'ENABLED' },
  };
}

export function describeMountTarget(emulator: EfsEmulator, record: MountTargetRecord, nowMs: number) {
  const subnet = emulator.subnets.get(record.subnetId);
  return {
    OwnerId: emulator.settings.accountId,
    MountTargetId: record.mountTargetId,
    FileSystemId: record.fileSystemId,
    SubnetId: record.subnetId,
    LifeCycleState: lifeCycleState(record, nowMs),
    IpAddress: record.ipAddress,
    NetworkInterfaceId: record.networkInterfaceId,
    AvailabilityZoneId: availabilityZoneId(record.availabilityZoneName),
    AvailabilityZoneName: record.availabilityZoneName,
    ...(subnet === undefined ? {} : { VpcId: subnet.vpcId }),
  };
}

export function describeAccessPoint(emulator: EfsEmulator, record: AccessPointRecord, nowMs: number) {
  const name = nameTag(record.tags);
  return {
    ClientToken: record.clientToken,
    ...(name === undefined ? {} : { Name: name }),
    Tags: record.tags.map((tag) => ({ ...tag })),
    AccessPointId: record.accessPointId,
    AccessPointArn: emulator.arn('access-point', record.accessPointId),
    FileSystemId: record.fileSystemId,
    ...(record.posixUser === undefined ? {} : { PosixUser: record.posixUser }),
    RootDirectory: record.rootDirectory,
    OwnerId: emulator.settings.accountId,
    LifeCycleState: lifeCycleState(record, nowMs),
  };
}
