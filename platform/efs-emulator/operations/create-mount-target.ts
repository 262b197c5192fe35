import {
  availabilityZonesMismatch,
  badRequest,
  incorrectFileSystemLifeCycleState,
  ipAddressInUse,
  mountTargetConflict,
  noFreeAddressesInSubnet,
  securityGroupLimitExceeded,
  subnetNotFound,
} from '../errors';
import { findFileSystem, type Operation } from '../operation';
import { describeMountTarget } from '../presenters';
import { lifeCycleState, type MountTargetRecord } from '../records';
import { isAssignable, nextFreeAddress } from '../subnets';
import { BodyReader, Constraints, PATTERNS } from '../validation';

/** Security groups one mount target can have. */
const MAX_SECURITY_GROUPS = 5;
const IP_ADDRESS_TYPES = ['IPV4_ONLY', 'IPV6_ONLY', 'DUAL_STACK'] as const;

/**
 * POST /2015-02-01/mount-targets → 200 MountTargetDescription, state `creating`. The file
 * system must be `available`, the subnet known, and no other mount target of the file system
 * may be in the subnet's availability zone.
 */
export const createMountTarget: Operation = {
  name: 'CreateMountTarget',
  method: 'POST',
  path: '/2015-02-01/mount-targets',
  throttleStatus: 400,
  async run({ emulator, body }) {
    const input = BodyReader.of(body);
    const constraints = new Constraints();
    const fileSystemId = input.string('FileSystemId');
    if (constraints.required(fileSystemId, 'fileSystemId')) constraints.text(fileSystemId, 'fileSystemId', { max: 128, pattern: PATTERNS.fileSystemId });
    const subnetId = input.string('SubnetId');
    if (constraints.required(subnetId, 'subnetId')) constraints.text(subnetId, 'subnetId', { min: 15, max: 47, pattern: PATTERNS.subnetId });
    const ipAddress = input.string('IpAddress');
    constraints.text(ipAddress, 'ipAddress', { min: 7, max: 15, pattern: PATTERNS.ipAddress });
    const ipAddressType = input.string('IpAddressType');
    constraints.oneOf(ipAddressType, 'ipAddressType', IP_ADDRESS_TYPES);
    const ipv6Address = input.string('Ipv6Address');
    const securityGroups = input.stringList('SecurityGroups');
    constraints.listSize(securityGroups, 'securityGroups', { max: 100 });
    securityGroups?.forEach((group, index) => constraints.text(group, `securityGroups.${index + 1}.member`, { min: 11, max: 43, pattern: PATTERNS.securityGroup }));
    constraints.throwIfAny();

    if ((ipAddressType !== undefined && ipAddressType !== 'IPV4_ONLY') || ipv6Address !== undefined) {
      throw badRequest('The emulated subnets have no IPv6 range; use IpAddressType IPV4_ONLY');
    }
    if (securityGroups !== undefined && securityGroups.length > MAX_SECURITY_GROUPS) throw securityGroupLimitExceeded(securityGroups.length);
    const fileSystem = findFileSystem(emulator, fileSystemId as string);
    const state = lifeCycleState(fileSystem, emulator.now());
    if (state !== 'available') throw incorrectFileSystemLifeCycleState(fileSystem.fileSystemId, state);
    const subnet = emulator.subnets.get(subnetId as string);
    if (!subnet) throw subnetNotFound(subnetId as string);
    if (fileSystem.availabilityZoneName !== undefined && fileSystem.availabilityZoneName !== subnet.availabilityZone) {
      throw availabilityZonesMismatch(fileSystem.fileSystemId, fileSystem.availabilityZoneName, subnet.availabilityZone);
    }
    const sameZone = emulator.store.mountTargetsOf(fileSystem.fileSystemId).find((target) => target.availabilityZoneName === subnet.availabilityZone);
    if (sameZone) throw mountTargetConflict(fileSystem.fileSystemId, subnet.availabilityZone, sameZone.mountTargetId);

    const inUse = emulator.store.addressesInUse(subnet.subnetId);
    let address: string | undefined;
    if (ipAddress !== undefined) {
      if (!isAssignable(subnet, ipAddress)) throw badRequest(`IP address ${ipAddress} is not an assignable address of subnet '${subnet.subnetId}' (${subnet.cidr})`);
      if (inUse.has(ipAddress)) throw ipAddressInUse(ipAddress, subnet.subnetId);
      address = ipAddress;
    } else {
      address = nextFreeAddress(subnet, inUse);
      if (address === undefined) throw noFreeAddressesInSubnet(subnet.subnetId);
    }

    const now = emulator.now();
    const record: MountTargetRecord = {
      mountTargetId: emulator.newId('fsmt'),
      fileSystemId: fileSystem.fileSystemId,
      subnetId: subnet.subnetId,
      availabilityZoneName: subnet.availabilityZone,
      ipAddress: address,
      networkInterfaceId: emulator.newId('eni'),
      securityGroups: securityGroups ?? [],
      seq: emulator.store.takeSeq(),
      createdAtMs: now,
      availableAtMs: now + emulator.settings.creationDelayMs,
    };
    emulator.store.mountTargets.set(record.mountTargetId, record);
    await emulator.commit();
    return { status: 200, body: describeMountTarget(emulator, record, emulator.now()) };
  },
};
