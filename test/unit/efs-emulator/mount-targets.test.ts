import {
  AccessPointNotFound,
  AvailabilityZonesMismatch,
  BadRequest,
  CreateAccessPointCommand,
  CreateFileSystemCommand,
  CreateMountTargetCommand,
  DeleteMountTargetCommand,
  DescribeFileSystemsCommand,
  DescribeMountTargetsCommand,
  FileSystemNotFound,
  IncorrectFileSystemLifeCycleState,
  IpAddressInUse,
  MountTargetConflict,
  MountTargetNotFound,
  SecurityGroupLimitExceeded,
  SubnetNotFound,
  ValidationException,
} from '@aws-sdk/client-efs';
import { MOUNT_TARGET_ID, sdkError, startFixture, type EmulatorFixture } from './support';

let fixture: EmulatorFixture;
let fileSystemId: string;
beforeEach(async () => {
  fixture = await startFixture();
  fileSystemId = (await fixture.client.send(new CreateFileSystemCommand({ CreationToken: 'mt' }))).FileSystemId!;
});
afterEach(async () => {
  await fixture.close();
});

describe('CreateMountTarget', () => {
  it('answers a MountTargetDescription with an address from the subnet, its zone and VPC, and counts it on the file system', async () => {
    const target = await fixture.client.send(new CreateMountTargetCommand({ FileSystemId: fileSystemId, SubnetId: 'subnet-00000002', SecurityGroups: ['sg-0123456789abcdef0'] }));
    expect(target.$metadata.httpStatusCode).toBe(200);
    expect(target.MountTargetId).toMatch(MOUNT_TARGET_ID);
    expect(target).toMatchObject({
      OwnerId: '123456789012',
      FileSystemId: fileSystemId,
      SubnetId: 'subnet-00000002',
      LifeCycleState: 'available',
      IpAddress: '10.0.1.4',
      AvailabilityZoneName: 'us-east-1b',
      AvailabilityZoneId: 'use1-az2',
      VpcId: 'vpc-00000001',
    });
    expect(target.NetworkInterfaceId).toMatch(/^eni-[0-9a-f]{17}$/);
    const [fs] = (await fixture.client.send(new DescribeFileSystemsCommand({ FileSystemId: fileSystemId }))).FileSystems!;
    expect(fs?.NumberOfMountTargets).toBe(1);
  });

  it('refuses a subnet it does not know with SubnetNotFound (400), as AWS does', async () => {
    const error = await sdkError(fixture.client.send(new CreateMountTargetCommand({ FileSystemId: fileSystemId, SubnetId: 'subnet-0123456789abcdef0' })), SubnetNotFound);
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.ErrorCode).toBe('SubnetNotFound');
    expect(error.message).toContain('subnet-0123456789abcdef0');
    expect((await fixture.client.send(new DescribeMountTargetsCommand({ FileSystemId: fileSystemId }))).MountTargets).toEqual([]);
  });

  it('refuses a second mount target in the same availability zone with MountTargetConflict (409), and allows one in another zone', async () => {
    const first = await fixture.client.send(new CreateMountTargetCommand({ FileSystemId: fileSystemId, SubnetId: 'subnet-00000001' }));
    const error = await sdkError(fixture.client.send(new CreateMountTargetCommand({ FileSystemId: fileSystemId, SubnetId: 'subnet-00000001' })), MountTargetConflict);
    expect(error.$metadata.httpStatusCode).toBe(409);
    expect(error.message).toContain(first.MountTargetId);
    await fixture.client.send(new CreateMountTargetCommand({ FileSystemId: fileSystemId, SubnetId: 'subnet-00000002' }));
    expect((await fixture.client.send(new DescribeMountTargetsCommand({ FileSystemId: fileSystemId }))).MountTargets).toHaveLength(2);
  });

  it('finds the conflict by zone, not by subnet', async () => {
    const custom = await startFixture({
      subnets: [
        { subnetId: 'subnet-0aaaaaaaaaaaaaaaa', availabilityZone: 'eu-west-1a' },
        { subnetId: 'subnet-0bbbbbbbbbbbbbbbb', availabilityZone: 'eu-west-1a' },
      ],
      region: 'eu-west-1',
    });
    try {
      const client = custom.clientWith({ region: 'eu-west-1' });
      const fs = await client.send(new CreateFileSystemCommand({ CreationToken: 'z' }));
      await client.send(new CreateMountTargetCommand({ FileSystemId: fs.FileSystemId, SubnetId: 'subnet-0aaaaaaaaaaaaaaaa' }));
      await sdkError(client.send(new CreateMountTargetCommand({ FileSystemId: fs.FileSystemId, SubnetId: 'subnet-0bbbbbbbbbbbbbbbb' })), MountTargetConflict);
      // The default subnets are not there when others are given.
      await sdkError(client.send(new CreateMountTargetCommand({ FileSystemId: fs.FileSystemId, SubnetId: 'subnet-00000001' })), SubnetNotFound);
    } finally {
      await custom.close();
    }
  });

  it('refuses a file system that is not yet available with IncorrectFileSystemLifeCycleState (409)', async () => {
    const slow = await startFixture({ creationDelayMs: 60_000 });
    try {
      const fs = await slow.client.send(new CreateFileSystemCommand({ CreationToken: 'slow' }));
      expect(fs.LifeCycleState).toBe('creating');
      const error = await sdkError(slow.client.send(new CreateMountTargetCommand({ FileSystemId: fs.FileSystemId, SubnetId: 'subnet-00000001' })), IncorrectFileSystemLifeCycleState);
      expect(error.$metadata.httpStatusCode).toBe(409);
      expect(error.message).toContain("'creating'");
    } finally {
      await slow.close();
    }
  });

  it('gives a requested address, refuses one in use with IpAddressInUse and one outside the subnet with BadRequest', async () => {
    const other = (await fixture.client.send(new CreateFileSystemCommand({ CreationToken: 'other' }))).FileSystemId!;
    const target = await fixture.client.send(new CreateMountTargetCommand({ FileSystemId: fileSystemId, SubnetId: 'subnet-00000001', IpAddress: '10.0.0.77' }));
    expect(target.IpAddress).toBe('10.0.0.77');
    const inUse = await sdkError(fixture.client.send(new CreateMountTargetCommand({ FileSystemId: other, SubnetId: 'subnet-00000001', IpAddress: '10.0.0.77' })), IpAddressInUse);
    expect(inUse.$metadata.httpStatusCode).toBe(409);
    for (const outside of ['10.0.1.5', '10.0.0.1', '10.0.0.255', '192.168.0.4']) {
      const error = await sdkError(fixture.client.send(new CreateMountTargetCommand({ FileSystemId: other, SubnetId: 'subnet-00000001', IpAddress: outside })), BadRequest);
      expect(error.message).toContain(outside);
    }
    const malformed = await sdkError(fixture.client.send(new CreateMountTargetCommand({ FileSystemId: other, SubnetId: 'subnet-00000001', IpAddress: 'ten.0.0.1' })), ValidationException);
    expect(malformed.message).toContain("at 'ipAddress'");
  });

  it('refuses more than five security groups with SecurityGroupLimitExceeded and a malformed one with ValidationException', async () => {
    const six = Array.from({ length: 6 }, (_, i) => `sg-0000000${i}`);
    await sdkError(fixture.client.send(new CreateMountTargetCommand({ FileSystemId: fileSystemId, SubnetId: 'subnet-00000001', SecurityGroups: six })), SecurityGroupLimitExceeded);
    const error = await sdkError(fixture.client.send(new CreateMountTargetCommand({ FileSystemId: fileSystemId, SubnetId: 'subnet-00000001', SecurityGroups: ['group'] })), ValidationException);
    expect(error.message).toContain("Value 'group' at 'securityGroups.1.member'");
  });

  it('refuses malformed or missing ids with ValidationException and an unknown file system with FileSystemNotFound', async () => {
    const malformed = await sdkError(fixture.client.send(new CreateMountTargetCommand({ FileSystemId: fileSystemId, SubnetId: 'sub-1' })), ValidationException);
    expect(malformed.message).toContain("Value 'sub-1' at 'subnetId'");
    const missing = await sdkError(fixture.client.send(new CreateMountTargetCommand({ SubnetId: 'subnet-00000001' } as never)), ValidationException);
    expect(missing.message).toContain("Value null at 'fileSystemId' failed to satisfy constraint: Member must not be null");
    await sdkError(fixture.client.send(new CreateMountTargetCommand({ FileSystemId: 'fs-0123456789abcdef0', SubnetId: 'subnet-00000001' })), FileSystemNotFound);
  });

  it('puts the one mount target of a One Zone file system in its zone only (AvailabilityZonesMismatch)', async () => {
    const oneZone = (await fixture.client.send(new CreateFileSystemCommand({ CreationToken: 'oz', AvailabilityZoneName: 'us-east-1a' }))).FileSystemId!;
    const error = await sdkError(fixture.client.send(new CreateMountTargetCommand({ FileSystemId: oneZone, SubnetId: 'subnet-00000002' })), AvailabilityZonesMismatch);
    expect(error.$metadata.httpStatusCode).toBe(400);
    await fixture.client.send(new CreateMountTargetCommand({ FileSystemId: oneZone, SubnetId: 'subnet-00000001' }));
  });
});

describe('DescribeMountTargets', () => {
  it('lists by file system, by mount target and by access point', async () => {
    const a = await fixture.client.send(new CreateMountTargetCommand({ FileSystemId: fileSystemId, SubnetId: 'subnet-00000001' }));
    const b = await fixture.client.send(new CreateMountTargetCommand({ FileSystemId: fileSystemId, SubnetId: 'subnet-00000002' }));
    const byFs = await fixture.client.send(new DescribeMountTargetsCommand({ FileSystemId: fileSystemId }));
    expect(byFs.MountTargets?.map((t) => t.MountTargetId)).toEqual([a.MountTargetId, b.MountTargetId]);
    const byId = await fixture.client.send(new DescribeMountTargetsCommand({ MountTargetId: b.MountTargetId }));
    expect(byId.MountTargets).toEqual([expect.objectContaining({ MountTargetId: b.MountTargetId, IpAddress: b.IpAddress, LifeCycleState: 'available' })]);
    const ap = await fixture.client.send(new CreateAccessPointCommand({ FileSystemId: fileSystemId }));
    const byAp = await fixture.client.send(new DescribeMountTargetsCommand({ AccessPointId: ap.AccessPointId }));
    expect(byAp.MountTargets).toHaveLength(2);
  });

  it('needs exactly one of the ids (BadRequest) and answers unknown ones with the matching NotFound', async () => {
    await sdkError(fixture.client.send(new DescribeMountTargetsCommand({})), BadRequest);
    await sdkError(fixture.client.send(new DescribeMountTargetsCommand({ FileSystemId: fileSystemId, MountTargetId: 'fsmt-0123456789abcdef0' })), BadRequest);
    const mt = await sdkError(fixture.client.send(new DescribeMountTargetsCommand({ MountTargetId: 'fsmt-0123456789abcdef0' })), MountTargetNotFound);
    expect(mt.$metadata.httpStatusCode).toBe(404);
    await sdkError(fixture.client.send(new DescribeMountTargetsCommand({ FileSystemId: 'fs-0123456789abcdef0' })), FileSystemNotFound);
    await sdkError(fixture.client.send(new DescribeMountTargetsCommand({ AccessPointId: 'fsap-0123456789abcdef0' })), AccessPointNotFound);
    await sdkError(fixture.client.send(new DescribeMountTargetsCommand({ MountTargetId: 'mt-1' })), ValidationException);
  });

  it('pages with MaxItems, Marker and NextMarker (10 a page by default)', async () => {
    const subnets = Array.from({ length: 12 }, (_, i) => ({ subnetId: `subnet-${String(i + 1).padStart(8, '0')}`, availabilityZone: `us-east-1${String.fromCharCode(97 + i)}` }));
    const many = await startFixture({ subnets });
    try {
      const fs = (await many.client.send(new CreateFileSystemCommand({ CreationToken: 'many' }))).FileSystemId!;
      const ids: string[] = [];
      for (const subnet of subnets) ids.push((await many.client.send(new CreateMountTargetCommand({ FileSystemId: fs, SubnetId: subnet.subnetId }))).MountTargetId!);
      const first = await many.client.send(new DescribeMountTargetsCommand({ FileSystemId: fs }));
      expect(first.MountTargets).toHaveLength(10);
      const rest = await many.client.send(new DescribeMountTargetsCommand({ FileSystemId: fs, Marker: first.NextMarker }));
      expect(rest.Marker).toBe(first.NextMarker);
      expect(rest.NextMarker).toBeUndefined();
      expect([...first.MountTargets!, ...rest.MountTargets!].map((t) => t.MountTargetId)).toEqual(ids);
      const small = await many.client.send(new DescribeMountTargetsCommand({ FileSystemId: fs, MaxItems: 5 }));
      expect(small.MountTargets).toHaveLength(5);
    } finally {
      await many.close();
    }
  });
});

describe('DeleteMountTarget', () => {
  it('answers 204, frees the zone and the address, and answers an unknown id with MountTargetNotFound', async () => {
    const target = await fixture.client.send(new CreateMountTargetCommand({ FileSystemId: fileSystemId, SubnetId: 'subnet-00000001' }));
    const deleted = await fixture.client.send(new DeleteMountTargetCommand({ MountTargetId: target.MountTargetId }));
    expect(deleted.$metadata.httpStatusCode).toBe(204);
    expect((await fixture.client.send(new DescribeMountTargetsCommand({ FileSystemId: fileSystemId }))).MountTargets).toEqual([]);
    const again = await fixture.client.send(new CreateMountTargetCommand({ FileSystemId: fileSystemId, SubnetId: 'subnet-00000001' }));
    expect(again.IpAddress).toBe(target.IpAddress);
    const error = await sdkError(fixture.client.send(new DeleteMountTargetCommand({ MountTargetId: target.MountTargetId })), MountTargetNotFound);
    expect(error.$metadata.httpStatusCode).toBe(404);
  });
});
