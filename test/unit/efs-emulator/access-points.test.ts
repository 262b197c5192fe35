import {
  AccessPointAlreadyExists,
  AccessPointLimitExceeded,
  AccessPointNotFound,
  BadRequest,
  CreateAccessPointCommand,
  CreateFileSystemCommand,
  DeleteAccessPointCommand,
  DeleteFileSystemCommand,
  DescribeAccessPointsCommand,
  FileSystemNotFound,
  IncorrectFileSystemLifeCycleState,
  ValidationException,
} from '@aws-sdk/client-efs';
import { EFS_EMULATOR_DEFAULTS } from '../../../platform/efs-emulator';
import { ACCESS_POINT_ID, FAKE_SIGNATURE, rawRequest, sdkError, startFixture, type EmulatorFixture } from './support';

let fixture: EmulatorFixture;
let fileSystemId: string;
beforeEach(async () => {
  fixture = await startFixture();
  fileSystemId = (await fixture.client.send(new CreateFileSystemCommand({ CreationToken: 'ap' }))).FileSystemId!;
});
afterEach(async () => {
  await fixture.close();
});

const ROOT = { Path: '/apps/tenant-1', CreationInfo: { OwnerUid: 1001, OwnerGid: 1002, Permissions: '0750' } };

describe('CreateAccessPoint', () => {
  it('answers an AccessPointDescription with the POSIX user, root directory, tags and ARN', async () => {
    const created = await fixture.client.send(
      new CreateAccessPointCommand({
        ClientToken: 'binding-1',
        FileSystemId: fileSystemId,
        PosixUser: { Uid: 1001, Gid: 1002, SecondaryGids: [5, 6] },
        RootDirectory: ROOT,
        Tags: [{ Key: 'Name', Value: 'tenant-1' }],
      }),
    );
    expect(created.$metadata.httpStatusCode).toBe(200);
    expect(created.AccessPointId).toMatch(ACCESS_POINT_ID);
    expect(created).toMatchObject({
      ClientToken: 'binding-1',
      Name: 'tenant-1',
      Tags: [{ Key: 'Name', Value: 'tenant-1' }],
      AccessPointArn: `arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/${created.AccessPointId}`,
      FileSystemId: fileSystemId,
      PosixUser: { Uid: 1001, Gid: 1002, SecondaryGids: [5, 6] },
      RootDirectory: ROOT,
      OwnerId: '123456789012',
      LifeCycleState: 'available',
    });
  });

  it('exposes "/" when no root directory is given, and the SDK fills in a ClientToken', async () => {
    const created = await fixture.client.send(new CreateAccessPointCommand({ FileSystemId: fileSystemId }));
    expect(created.RootDirectory).toEqual({ Path: '/' });
    expect(created.PosixUser).toBeUndefined();
    expect(created.ClientToken).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers a repeated ClientToken with AccessPointAlreadyExists naming the existing access point', async () => {
    const first = await fixture.client.send(new CreateAccessPointCommand({ ClientToken: 'once', FileSystemId: fileSystemId }));
    const error = await sdkError(fixture.client.send(new CreateAccessPointCommand({ ClientToken: 'once', FileSystemId: fileSystemId, RootDirectory: { Path: '/x' } })), AccessPointAlreadyExists);
    expect(error.$metadata.httpStatusCode).toBe(409);
    expect(error.AccessPointId).toBe(first.AccessPointId);
    expect((await fixture.client.send(new DescribeAccessPointsCommand({ FileSystemId: fileSystemId }))).AccessPoints).toHaveLength(1);
  });

  it.each([
    ['a negative uid', { PosixUser: { Uid: -1, Gid: 0 } }, "Value '-1' at 'posixUser.uid' failed to satisfy constraint: Member must have value greater than or equal to 0"],
    ['a gid above 2^32-1', { PosixUser: { Uid: 0, Gid: 4294967296 } }, "Value '4294967296' at 'posixUser.gid' failed to satisfy constraint: Member must have value less than or equal to 4294967295"],
    ['a missing gid', { PosixUser: { Uid: 0 } }, "Value null at 'posixUser.gid' failed to satisfy constraint: Member must not be null"],
    ['17 secondary gids', { PosixUser: { Uid: 0, Gid: 0, SecondaryGids: Array.from({ length: 17 }, (_, i) => i) } }, "at 'posixUser.secondaryGids' failed to satisfy constraint: Member must have length less than or equal to 16"],
    ['a relative path', { RootDirectory: { Path: 'apps' } }, "Value 'apps' at 'rootDirectory.path' failed to satisfy constraint: Member must satisfy regular expression pattern"],
    ['a path with ..', { RootDirectory: { Path: '/apps/../etc' } }, "at 'rootDirectory.path'"],
    ['a path with a dot-component', { RootDirectory: { Path: '/.hidden' } }, "at 'rootDirectory.path'"],
    ['a path of five components', { RootDirectory: { Path: '/a/b/c/d/e' } }, "at 'rootDirectory.path'"],
    ['a path with a shell character', { RootDirectory: { Path: '/a;b' } }, "at 'rootDirectory.path'"],
    ['a path of 101 characters', { RootDirectory: { Path: `/${'a'.repeat(100)}` } }, 'Member must have length less than or equal to 100'],
    ['permissions not octal', { RootDirectory: { Path: '/a', CreationInfo: { OwnerUid: 1, OwnerGid: 1, Permissions: '0789' } } }, "Value '0789' at 'rootDirectory.creationInfo.permissions'"],
    ['permissions of two digits', { RootDirectory: { Path: '/a', CreationInfo: { OwnerUid: 1, OwnerGid: 1, Permissions: '77' } } }, 'Member must have length greater than or equal to 3'],
    ['permissions of five digits', { RootDirectory: { Path: '/a', CreationInfo: { OwnerUid: 1, OwnerGid: 1, Permissions: '00755' } } }, 'Member must have length less than or equal to 4'],
    ['an owner uid above 2^32-1', { RootDirectory: { Path: '/a', CreationInfo: { OwnerUid: 4294967296, OwnerGid: 1, Permissions: '755' } } }, "at 'rootDirectory.creationInfo.ownerUid'"],
    ['CreationInfo without permissions', { RootDirectory: { Path: '/a', CreationInfo: { OwnerUid: 1, OwnerGid: 1 } } }, "Value null at 'rootDirectory.creationInfo.permissions'"],
  ])('refuses %s with ValidationException and creates nothing', async (_what, input, message) => {
    const error = await sdkError(fixture.client.send(new CreateAccessPointCommand({ FileSystemId: fileSystemId, ...(input as object) })), ValidationException);
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.message).toContain(message);
    expect((await fixture.client.send(new DescribeAccessPointsCommand({ FileSystemId: fileSystemId }))).AccessPoints).toEqual([]);
  });

  it('accepts the edges of the ranges and formats', async () => {
    const created = await fixture.client.send(
      new CreateAccessPointCommand({
        FileSystemId: fileSystemId,
        PosixUser: { Uid: 4294967295, Gid: 0, SecondaryGids: Array.from({ length: 16 }, (_, i) => i) },
        RootDirectory: { Path: '/a/b.c/d-e/f_g', CreationInfo: { OwnerUid: 0, OwnerGid: 4294967295, Permissions: '1777' } },
      }),
    );
    expect(created.RootDirectory?.CreationInfo?.Permissions).toBe('1777');
  });

  it('answers an unknown file system with FileSystemNotFound and one still being created with IncorrectFileSystemLifeCycleState', async () => {
    await sdkError(fixture.client.send(new CreateAccessPointCommand({ FileSystemId: 'fs-0123456789abcdef0' })), FileSystemNotFound);
    const slow = await startFixture({ creationDelayMs: 60_000 });
    try {
      const fs = await slow.client.send(new CreateFileSystemCommand({ CreationToken: 's' }));
      const error = await sdkError(slow.client.send(new CreateAccessPointCommand({ FileSystemId: fs.FileSystemId })), IncorrectFileSystemLifeCycleState);
      expect(error.$metadata.httpStatusCode).toBe(409);
    } finally {
      await slow.close();
    }
  });

  it('refuses access points past the per-file-system limit with AccessPointLimitExceeded (403); other file systems are not affected', async () => {
    const limited = await startFixture({ accessPointLimit: 3 });
    try {
      const fs = (await limited.client.send(new CreateFileSystemCommand({ CreationToken: 'l' }))).FileSystemId!;
      for (let i = 0; i < 3; i += 1) await limited.client.send(new CreateAccessPointCommand({ FileSystemId: fs }));
      const error = await sdkError(limited.client.send(new CreateAccessPointCommand({ FileSystemId: fs })), AccessPointLimitExceeded);
      expect(error.$metadata.httpStatusCode).toBe(403);
      expect(error.message).toContain('(3)');
      const other = (await limited.client.send(new CreateFileSystemCommand({ CreationToken: 'm' }))).FileSystemId!;
      await limited.client.send(new CreateAccessPointCommand({ FileSystemId: other }));
    } finally {
      await limited.close();
    }
  });

  it("holds AWS's documented 10,000 access points per file system by default, and not one more", async () => {
    expect(EFS_EMULATOR_DEFAULTS.accessPointLimit).toBe(10_000);
    // The first 9,999 go over plain HTTP (signing each in the SDK would only slow the test); the rest through the SDK.
    const batch = 100;
    for (let made = 0; made < 9_999; made += batch) {
      const count = Math.min(batch, 9_999 - made);
      const statuses = await Promise.all(
        Array.from({ length: count }, (_, i) =>
          rawRequest(fixture.emulator.url, 'POST', '/2015-02-01/access-points', { body: JSON.stringify({ FileSystemId: fileSystemId, ClientToken: `t${made + i}` }), headers: FAKE_SIGNATURE }).then((r) => r.status),
        ),
      );
      expect(new Set(statuses)).toEqual(new Set([200]));
    }
    await fixture.client.send(new CreateAccessPointCommand({ FileSystemId: fileSystemId }));
    const error = await sdkError(fixture.client.send(new CreateAccessPointCommand({ FileSystemId: fileSystemId })), AccessPointLimitExceeded);
    expect(error.message).toContain('(10000)');
  }, 120_000);
});

describe('DescribeAccessPoints', () => {
  it('lists by file system, by access point and all of them; pages with MaxResults and NextToken', async () => {
    const other = (await fixture.client.send(new CreateFileSystemCommand({ CreationToken: 'other' }))).FileSystemId!;
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push((await fixture.client.send(new CreateAccessPointCommand({ FileSystemId: fileSystemId }))).AccessPointId!);
    const foreign = (await fixture.client.send(new CreateAccessPointCommand({ FileSystemId: other }))).AccessPointId!;
    const byFs = await fixture.client.send(new DescribeAccessPointsCommand({ FileSystemId: fileSystemId }));
    expect(byFs.AccessPoints?.map((ap) => ap.AccessPointId)).toEqual(ids);
    expect(byFs.NextToken).toBeUndefined();
    const byId = await fixture.client.send(new DescribeAccessPointsCommand({ AccessPointId: foreign }));
    expect(byId.AccessPoints?.map((ap) => ap.FileSystemId)).toEqual([other]);
    const all = await fixture.client.send(new DescribeAccessPointsCommand({}));
    expect(all.AccessPoints).toHaveLength(6);
    const page1 = await fixture.client.send(new DescribeAccessPointsCommand({ FileSystemId: fileSystemId, MaxResults: 2 }));
    const page2 = await fixture.client.send(new DescribeAccessPointsCommand({ FileSystemId: fileSystemId, MaxResults: 2, NextToken: page1.NextToken }));
    const page3 = await fixture.client.send(new DescribeAccessPointsCommand({ FileSystemId: fileSystemId, MaxResults: 2, NextToken: page2.NextToken }));
    expect(page3.NextToken).toBeUndefined();
    expect([...page1.AccessPoints!, ...page2.AccessPoints!, ...page3.AccessPoints!].map((ap) => ap.AccessPointId)).toEqual(ids);
  });

  it('refuses both ids at once with BadRequest and answers unknown ones with NotFound', async () => {
    await sdkError(fixture.client.send(new DescribeAccessPointsCommand({ FileSystemId: fileSystemId, AccessPointId: 'fsap-0123456789abcdef0' })), BadRequest);
    const error = await sdkError(fixture.client.send(new DescribeAccessPointsCommand({ AccessPointId: 'fsap-0123456789abcdef0' })), AccessPointNotFound);
    expect(error.$metadata.httpStatusCode).toBe(404);
    await sdkError(fixture.client.send(new DescribeAccessPointsCommand({ FileSystemId: 'fs-0123456789abcdef0' })), FileSystemNotFound);
    await sdkError(fixture.client.send(new DescribeAccessPointsCommand({ AccessPointId: 'ap-1' })), ValidationException);
  });
});

describe('DeleteAccessPoint', () => {
  it('answers 204, the access point is gone, and a second delete is AccessPointNotFound', async () => {
    const created = await fixture.client.send(new CreateAccessPointCommand({ FileSystemId: fileSystemId }));
    const deleted = await fixture.client.send(new DeleteAccessPointCommand({ AccessPointId: created.AccessPointId }));
    expect(deleted.$metadata.httpStatusCode).toBe(204);
    await sdkError(fixture.client.send(new DescribeAccessPointsCommand({ AccessPointId: created.AccessPointId })), AccessPointNotFound);
    await sdkError(fixture.client.send(new DeleteAccessPointCommand({ AccessPointId: created.AccessPointId })), AccessPointNotFound);
  });

  it('goes with its file system', async () => {
    const created = await fixture.client.send(new CreateAccessPointCommand({ FileSystemId: fileSystemId }));
    await fixture.client.send(new DeleteFileSystemCommand({ FileSystemId: fileSystemId }));
    await sdkError(fixture.client.send(new DescribeAccessPointsCommand({ AccessPointId: created.AccessPointId })), AccessPointNotFound);
  });
});
