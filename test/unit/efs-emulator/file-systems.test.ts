import {
  BadRequest,
  CreateFileSystemCommand,
  CreateMountTargetCommand,
  DeleteFileSystemCommand,
  DeleteMountTargetCommand,
  DescribeFileSystemsCommand,
  FileSystemAlreadyExists,
  FileSystemInUse,
  FileSystemLimitExceeded,
  FileSystemNotFound,
  UnsupportedAvailabilityZone,
  ValidationException,
  paginateDescribeFileSystems,
  type FileSystemDescription,
} from '@aws-sdk/client-efs';
import { FILE_SYSTEM_ID, sdkError, startFixture, type EmulatorFixture } from './support';

let fixture: EmulatorFixture;
beforeEach(async () => {
  fixture = await startFixture();
});
afterEach(async () => {
  await fixture.close();
});

describe('CreateFileSystem', () => {
  it('answers 201 with a full FileSystemDescription the SDK parses', async () => {
    const before = Math.floor(Date.now() / 1000);
    const created = await fixture.client.send(new CreateFileSystemCommand({ CreationToken: 'osb-instance-1', Encrypted: false, Tags: [{ Key: 'Name', Value: 'demo' }] }));
    expect(created.$metadata.httpStatusCode).toBe(201);
    expect(created.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.FileSystemId).toMatch(FILE_SYSTEM_ID);
    expect(created).toMatchObject({
      OwnerId: '123456789012',
      CreationToken: 'osb-instance-1',
      FileSystemArn: `arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/${created.FileSystemId}`,
      LifeCycleState: 'available',
      Name: 'demo',
      NumberOfMountTargets: 0,
      PerformanceMode: 'generalPurpose',
      ThroughputMode: 'bursting',
      Encrypted: false,
      Tags: [{ Key: 'Name', Value: 'demo' }],
      FileSystemProtection: { ReplicationOverwriteProtection: 'ENABLED' },
    });
    // Epoch seconds on the wire become Dates in the SDK.
    expect(created.CreationTime).toBeInstanceOf(Date);
    expect(created.CreationTime!.getTime() / 1000).toBeGreaterThanOrEqual(before);
    expect(created.SizeInBytes).toMatchObject({ Value: 6144, ValueInStandard: 6144, ValueInIA: 0, ValueInArchive: 0 });
    expect(created.SizeInBytes!.Timestamp).toBeInstanceOf(Date);
    expect(created.KmsKeyId).toBeUndefined();
    expect(created.AvailabilityZoneName).toBeUndefined();
  });

  it('keeps the requested modes, and reports the key of an encrypted file system as an ARN', async () => {
    const provisioned = await fixture.client.send(
      new CreateFileSystemCommand({ CreationToken: 'p', PerformanceMode: 'maxIO', ThroughputMode: 'provisioned', ProvisionedThroughputInMibps: 128 }),
    );
    expect(provisioned).toMatchObject({ PerformanceMode: 'maxIO', ThroughputMode: 'provisioned', ProvisionedThroughputInMibps: 128 });
    const encrypted = await fixture.client.send(new CreateFileSystemCommand({ CreationToken: 'e', Encrypted: true, KmsKeyId: '1234abcd-12ab-34cd-56ef-1234567890ab' }));
    expect(encrypted).toMatchObject({ Encrypted: true, KmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab' });
    const defaultKey = await fixture.client.send(new CreateFileSystemCommand({ CreationToken: 'd', Encrypted: true }));
    expect(defaultKey.KmsKeyId).toMatch(/^arn:aws:kms:us-east-1:123456789012:key\//);
    const oneZone = await fixture.client.send(new CreateFileSystemCommand({ CreationToken: 'z', AvailabilityZoneName: 'us-east-1b' }));
    expect(oneZone).toMatchObject({ AvailabilityZoneName: 'us-east-1b', AvailabilityZoneId: 'use1-az2' });
  });

  it('makes the SDK fill in a CreationToken when none is given', async () => {
    const created = await fixture.client.send(new CreateFileSystemCommand({}));
    expect(created.CreationToken).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers a repeated CreationToken with FileSystemAlreadyExists naming the existing file system, and creates nothing', async () => {
    const first = await fixture.client.send(new CreateFileSystemCommand({ CreationToken: 'same' }));
    const error = await sdkError(fixture.client.send(new CreateFileSystemCommand({ CreationToken: 'same', PerformanceMode: 'maxIO' })), FileSystemAlreadyExists);
    expect(error.$metadata.httpStatusCode).toBe(409);
    expect(error.FileSystemId).toBe(first.FileSystemId);
    expect(error.ErrorCode).toBe('FileSystemAlreadyExists');
    expect(error.message).toContain(first.FileSystemId);
    const all = await fixture.client.send(new DescribeFileSystemsCommand({}));
    expect(all.FileSystems).toHaveLength(1);
  });

  it.each([
    ['PerformanceMode', { CreationToken: 'x', PerformanceMode: 'turbo' }, "Value 'turbo' at 'performanceMode' failed to satisfy constraint: Member must satisfy enum value set: [generalPurpose, maxIO]"],
    ['ThroughputMode', { CreationToken: 'x', ThroughputMode: 'fast' }, "Value 'fast' at 'throughputMode' failed to satisfy constraint: Member must satisfy enum value set: [bursting, provisioned, elastic]"],
    ['CreationToken length', { CreationToken: 'x'.repeat(65) }, "at 'creationToken' failed to satisfy constraint: Member must have length less than or equal to 64"],
    ['KmsKeyId pattern', { CreationToken: 'x', Encrypted: true, KmsKeyId: 'not a key' }, "Value 'not a key' at 'kmsKeyId' failed to satisfy constraint: Member must satisfy regular expression pattern"],
    ['ProvisionedThroughputInMibps minimum', { CreationToken: 'x', ThroughputMode: 'provisioned', ProvisionedThroughputInMibps: 0.5 }, 'Member must have value greater than or equal to 1'],
    ['tag key prefix aws:', { CreationToken: 'x', Tags: [{ Key: 'aws:owner', Value: 'v' }] }, "Value 'aws:owner' at 'tags.1.member.key' failed to satisfy constraint"],
    ['tag value length', { CreationToken: 'x', Tags: [{ Key: 'k', Value: 'v'.repeat(257) }] }, "at 'tags.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 256"],
  ])('refuses a bad %s with ValidationException (400) and creates nothing', async (_what, input, message) => {
    const error = await sdkError(fixture.client.send(new CreateFileSystemCommand(input as never)), ValidationException);
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.message).toMatch(/^1 validation error detected: /);
    expect(error.message).toContain(message);
    expect((await fixture.client.send(new DescribeFileSystemsCommand({}))).FileSystems).toEqual([]);
  });

  it('counts every violation in one ValidationException', async () => {
    const error = await sdkError(fixture.client.send(new CreateFileSystemCommand({ CreationToken: 'x', PerformanceMode: 'a' as never, ThroughputMode: 'b' as never })), ValidationException);
    expect(error.message).toMatch(/^2 validation errors detected: .*performanceMode.*; .*throughputMode/);
  });

  it.each([
    ['provisioned without throughput', { CreationToken: 'x', ThroughputMode: 'provisioned' }, /ProvisionedThroughputInMibps is required/],
    ['throughput without provisioned', { CreationToken: 'x', ProvisionedThroughputInMibps: 10 }, /only be given when ThroughputMode is provisioned/],
    ['a key without encryption', { CreationToken: 'x', KmsKeyId: '1234abcd-12ab-34cd-56ef-1234567890ab' }, /Encrypted: true/],
    ['maxIO on One Zone', { CreationToken: 'x', PerformanceMode: 'maxIO', AvailabilityZoneName: 'us-east-1a' }, /One Zone/],
    ['maxIO with elastic throughput', { CreationToken: 'x', PerformanceMode: 'maxIO', ThroughputMode: 'elastic' }, /Elastic/],
    ['51 tags', { CreationToken: 'x', Tags: Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })) }, /at most 50 tags/],
    ['a tag key twice', { CreationToken: 'x', Tags: [{ Key: 'k', Value: '1' }, { Key: 'k', Value: '2' }] }, /Duplicate tag key 'k'/],
  ])('refuses %s with BadRequest (400)', async (_what, input, message) => {
    const error = await sdkError(fixture.client.send(new CreateFileSystemCommand(input as never)), BadRequest);
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.ErrorCode).toBe('BadRequest');
    expect(error.message).toMatch(message);
    expect((await fixture.client.send(new DescribeFileSystemsCommand({}))).FileSystems).toEqual([]);
  });

  it('refuses a One Zone file system in a zone without subnets with UnsupportedAvailabilityZone', async () => {
    const error = await sdkError(fixture.client.send(new CreateFileSystemCommand({ CreationToken: 'x', AvailabilityZoneName: 'us-east-1f' })), UnsupportedAvailabilityZone);
    expect(error.$metadata.httpStatusCode).toBe(400);
  });

  it('refuses more file systems than the account quota with FileSystemLimitExceeded (403)', async () => {
    const small = await startFixture({ fileSystemLimit: 2 });
    try {
      await small.client.send(new CreateFileSystemCommand({ CreationToken: 'a' }));
      await small.client.send(new CreateFileSystemCommand({ CreationToken: 'b' }));
      const error = await sdkError(small.client.send(new CreateFileSystemCommand({ CreationToken: 'c' })), FileSystemLimitExceeded);
      expect(error.$metadata.httpStatusCode).toBe(403);
    } finally {
      await small.close();
    }
  });
});

describe('DescribeFileSystems', () => {
  it('finds a file system by id, by ARN and by creation token; an unknown token finds none', async () => {
    const created = await fixture.client.send(new CreateFileSystemCommand({ CreationToken: 'tok' }));
    await fixture.client.send(new CreateFileSystemCommand({ CreationToken: 'other' }));
    const byId = await fixture.client.send(new DescribeFileSystemsCommand({ FileSystemId: created.FileSystemId }));
    expect(byId.FileSystems?.map((fs) => fs.FileSystemId)).toEqual([created.FileSystemId]);
    const byArn = await fixture.client.send(new DescribeFileSystemsCommand({ FileSystemId: created.FileSystemArn }));
    expect(byArn.FileSystems?.map((fs) => fs.FileSystemId)).toEqual([created.FileSystemId]);
    const byToken = await fixture.client.send(new DescribeFileSystemsCommand({ CreationToken: 'tok' }));
    expect(byToken.FileSystems?.map((fs) => fs.FileSystemId)).toEqual([created.FileSystemId]);
    const none = await fixture.client.send(new DescribeFileSystemsCommand({ CreationToken: 'nobody' }));
    expect(none.FileSystems).toEqual([]);
  });

  it('answers an unknown id (or an ARN of another account) with FileSystemNotFound (404)', async () => {
    const error = await sdkError(fixture.client.send(new DescribeFileSystemsCommand({ FileSystemId: 'fs-0123456789abcdef0' })), FileSystemNotFound);
    expect(error.$metadata.httpStatusCode).toBe(404);
    expect(error.ErrorCode).toBe('FileSystemNotFound');
    const created = await fixture.client.send(new CreateFileSystemCommand({ CreationToken: 'a' }));
    const foreign = `arn:aws:elasticfilesystem:us-east-1:999999999999:file-system/${created.FileSystemId}`;
    await sdkError(fixture.client.send(new DescribeFileSystemsCommand({ FileSystemId: foreign })), FileSystemNotFound);
  });

  it.each([['fs-nope'], ['fs-0123'], ['FS-0123456789ABCDEF0'], ['file-system/fs-0123456789abcdef0']])('refuses the malformed id %s with ValidationException', async (id) => {
    const error = await sdkError(fixture.client.send(new DescribeFileSystemsCommand({ FileSystemId: id })), ValidationException);
    expect(error.message).toContain(`Value '${id}' at 'fileSystemId' failed to satisfy constraint: Member must satisfy regular expression pattern: ^(arn:aws`);
  });

  it('pages through many file systems with Marker, MaxItems and NextMarker, each once, in creation order', async () => {
    const created: string[] = [];
    for (let i = 0; i < 23; i += 1) created.push((await fixture.client.send(new CreateFileSystemCommand({ CreationToken: `t${i}` }))).FileSystemId!);
    const first = await fixture.client.send(new DescribeFileSystemsCommand({ MaxItems: 10 }));
    expect(first.FileSystems).toHaveLength(10);
    expect(first.Marker).toBeUndefined();
    expect(first.NextMarker).toEqual(expect.any(String));
    const second = await fixture.client.send(new DescribeFileSystemsCommand({ MaxItems: 10, Marker: first.NextMarker }));
    expect(second.Marker).toBe(first.NextMarker);
    expect(second.FileSystems).toHaveLength(10);
    const third = await fixture.client.send(new DescribeFileSystemsCommand({ MaxItems: 10, Marker: second.NextMarker }));
    expect(third.FileSystems).toHaveLength(3);
    expect(third.NextMarker).toBeUndefined();
    const seen = [...first.FileSystems!, ...second.FileSystems!, ...third.FileSystems!].map((fs) => fs.FileSystemId);
    expect(seen).toEqual(created);

    // The SDK's own paginator follows NextMarker to the end.
    const paged: FileSystemDescription[] = [];
    for await (const page of paginateDescribeFileSystems({ client: fixture.client, pageSize: 4 }, {})) paged.push(...(page.FileSystems ?? []));
    expect(paged.map((fs) => fs.FileSystemId)).toEqual(created);
  });

  it('answers at most 100 a page without MaxItems, and a page is not shifted by a deletion before it', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 105; i += 1) ids.push((await fixture.client.send(new CreateFileSystemCommand({ CreationToken: `t${i}` }))).FileSystemId!);
    const first = await fixture.client.send(new DescribeFileSystemsCommand({}));
    expect(first.FileSystems).toHaveLength(100);
    await fixture.client.send(new DeleteFileSystemCommand({ FileSystemId: ids[0] }));
    const rest = await fixture.client.send(new DescribeFileSystemsCommand({ Marker: first.NextMarker }));
    expect(rest.FileSystems?.map((fs) => fs.FileSystemId)).toEqual(ids.slice(100));
  });

  it('refuses MaxItems 0 with ValidationException and a made-up Marker with BadRequest', async () => {
    const zero = await sdkError(fixture.client.send(new DescribeFileSystemsCommand({ MaxItems: 0 })), ValidationException);
    expect(zero.message).toContain("Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1");
    const marker = await sdkError(fixture.client.send(new DescribeFileSystemsCommand({ Marker: 'made-up' })), BadRequest);
    expect(marker.message).toMatch(/Invalid Marker/);
  });
});

describe('DeleteFileSystem', () => {
  it('answers 204 and the file system is gone', async () => {
    const created = await fixture.client.send(new CreateFileSystemCommand({ CreationToken: 'a' }));
    const deleted = await fixture.client.send(new DeleteFileSystemCommand({ FileSystemId: created.FileSystemId }));
    expect(deleted.$metadata.httpStatusCode).toBe(204);
    await sdkError(fixture.client.send(new DescribeFileSystemsCommand({ FileSystemId: created.FileSystemId })), FileSystemNotFound);
    // The token is free again.
    const again = await fixture.client.send(new CreateFileSystemCommand({ CreationToken: 'a' }));
    expect(again.FileSystemId).not.toBe(created.FileSystemId);
  });

  it('refuses with FileSystemInUse (409) while the file system has mount targets, and deletes once they are gone', async () => {
    const created = await fixture.client.send(new CreateFileSystemCommand({ CreationToken: 'a' }));
    const target = await fixture.client.send(new CreateMountTargetCommand({ FileSystemId: created.FileSystemId, SubnetId: 'subnet-00000001' }));
    const error = await sdkError(fixture.client.send(new DeleteFileSystemCommand({ FileSystemId: created.FileSystemId })), FileSystemInUse);
    expect(error.$metadata.httpStatusCode).toBe(409);
    expect((await fixture.client.send(new DescribeFileSystemsCommand({ FileSystemId: created.FileSystemId }))).FileSystems?.[0]?.LifeCycleState).toBe('available');
    await fixture.client.send(new DeleteMountTargetCommand({ MountTargetId: target.MountTargetId }));
    await fixture.client.send(new DeleteFileSystemCommand({ FileSystemId: created.FileSystemId }));
    await sdkError(fixture.client.send(new DescribeFileSystemsCommand({ FileSystemId: created.FileSystemId })), FileSystemNotFound);
  });

  it('answers an unknown file system with FileSystemNotFound and a malformed id with ValidationException', async () => {
    await sdkError(fixture.client.send(new DeleteFileSystemCommand({ FileSystemId: 'fs-0123456789abcdef0' })), FileSystemNotFound);
    const error = await sdkError(fixture.client.send(new DeleteFileSystemCommand({ FileSystemId: 'fs-nope' })), ValidationException);
    expect(error.message).toContain("Value 'fs-nope' at 'fileSystemId'");
  });
});
