import {
  AccessPointNotFound,
  BadRequest,
  CreateAccessPointCommand,
  CreateFileSystemCommand,
  DescribeFileSystemsCommand,
  FileSystemNotFound,
  ListTagsForResourceCommand,
  TagResourceCommand,
  UntagResourceCommand,
  ValidationException,
} from '@aws-sdk/client-efs';
import { sdkError, startFixture, type EmulatorFixture } from './support';

let fixture: EmulatorFixture;
let fileSystemId: string;
let fileSystemArn: string;
beforeEach(async () => {
  fixture = await startFixture();
  const created = await fixture.client.send(new CreateFileSystemCommand({ CreationToken: 'tags', Tags: [{ Key: 'a', Value: '1' }] }));
  fileSystemId = created.FileSystemId!;
  fileSystemArn = created.FileSystemArn!;
});
afterEach(async () => {
  await fixture.close();
});

const tagsOf = async (resourceId: string) => (await fixture.client.send(new ListTagsForResourceCommand({ ResourceId: resourceId }))).Tags;

describe('TagResource and ListTagsForResource', () => {
  it('adds tags to a file system, overwrites keys it has, and the Name tag becomes its Name', async () => {
    const tagged = await fixture.client.send(new TagResourceCommand({ ResourceId: fileSystemId, Tags: [{ Key: 'a', Value: '2' }, { Key: 'Name', Value: 'shared-fs' }] }));
    expect(tagged.$metadata.httpStatusCode).toBe(200);
    expect(await tagsOf(fileSystemId)).toEqual([{ Key: 'a', Value: '2' }, { Key: 'Name', Value: 'shared-fs' }]);
    const [fs] = (await fixture.client.send(new DescribeFileSystemsCommand({ FileSystemId: fileSystemId }))).FileSystems!;
    expect(fs).toMatchObject({ Name: 'shared-fs', Tags: [{ Key: 'a', Value: '2' }, { Key: 'Name', Value: 'shared-fs' }] });
  });

  it('tags access points too, by id or ARN, and lists a file system by its ARN', async () => {
    const ap = await fixture.client.send(new CreateAccessPointCommand({ FileSystemId: fileSystemId }));
    await fixture.client.send(new TagResourceCommand({ ResourceId: ap.AccessPointArn, Tags: [{ Key: 'binding', Value: 'b-1' }] }));
    expect(await tagsOf(ap.AccessPointId!)).toEqual([{ Key: 'binding', Value: 'b-1' }]);
    expect(await tagsOf(fileSystemArn)).toEqual([{ Key: 'a', Value: '1' }]);
  });

  it('pages tags with MaxResults and NextToken', async () => {
    await fixture.client.send(new TagResourceCommand({ ResourceId: fileSystemId, Tags: Array.from({ length: 9 }, (_, i) => ({ Key: `k${i}`, Value: `${i}` })) }));
    const first = await fixture.client.send(new ListTagsForResourceCommand({ ResourceId: fileSystemId, MaxResults: 4 }));
    const second = await fixture.client.send(new ListTagsForResourceCommand({ ResourceId: fileSystemId, MaxResults: 4, NextToken: first.NextToken }));
    const third = await fixture.client.send(new ListTagsForResourceCommand({ ResourceId: fileSystemId, MaxResults: 4, NextToken: second.NextToken }));
    expect(third.NextToken).toBeUndefined();
    expect([...first.Tags!, ...second.Tags!, ...third.Tags!].map((tag) => tag.Key)).toEqual(['a', ...Array.from({ length: 9 }, (_, i) => `k${i}`)]);
  });

  it('refuses to go past 50 tags on a resource with BadRequest and keeps the old ones', async () => {
    await fixture.client.send(new TagResourceCommand({ ResourceId: fileSystemId, Tags: Array.from({ length: 49 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })) }));
    const error = await sdkError(fixture.client.send(new TagResourceCommand({ ResourceId: fileSystemId, Tags: [{ Key: 'one-too-many', Value: 'v' }] })), BadRequest);
    expect(error.message).toContain('at most 50 tags');
    expect(await tagsOf(fileSystemId)).toHaveLength(50);
    // Overwriting an existing key does not add one.
    await fixture.client.send(new TagResourceCommand({ ResourceId: fileSystemId, Tags: [{ Key: 'k0', Value: 'changed' }] }));
  });

  it('refuses reserved, overlong and malformed keys with ValidationException', async () => {
    const reserved = await sdkError(fixture.client.send(new TagResourceCommand({ ResourceId: fileSystemId, Tags: [{ Key: 'AWS:x', Value: 'v' }] })), ValidationException);
    expect(reserved.message).toContain("Value 'AWS:x' at 'tags.1.member.key'");
    const long = await sdkError(fixture.client.send(new TagResourceCommand({ ResourceId: fileSystemId, Tags: [{ Key: 'k'.repeat(129), Value: 'v' }] })), ValidationException);
    expect(long.message).toContain('Member must have length less than or equal to 128');
    await sdkError(fixture.client.send(new TagResourceCommand({ ResourceId: fileSystemId, Tags: [{ Key: 'bad*key', Value: 'v' }] })), ValidationException);
    const resource = await sdkError(fixture.client.send(new TagResourceCommand({ ResourceId: 'i-123', Tags: [] })), ValidationException);
    expect(resource.message).toContain("Value 'i-123' at 'resourceId'");
    expect(await tagsOf(fileSystemId)).toEqual([{ Key: 'a', Value: '1' }]);
  });

  it('answers unknown resources with FileSystemNotFound or AccessPointNotFound (404)', async () => {
    const fs = await sdkError(fixture.client.send(new TagResourceCommand({ ResourceId: 'fs-0123456789abcdef0', Tags: [{ Key: 'k', Value: 'v' }] })), FileSystemNotFound);
    expect(fs.$metadata.httpStatusCode).toBe(404);
    await sdkError(fixture.client.send(new ListTagsForResourceCommand({ ResourceId: 'fsap-0123456789abcdef0' })), AccessPointNotFound);
  });
});

describe('UntagResource', () => {
  it('removes the named keys and ignores keys that are not there', async () => {
    await fixture.client.send(new TagResourceCommand({ ResourceId: fileSystemId, Tags: [{ Key: 'b', Value: '2' }, { Key: 'c', Value: '3' }] }));
    const untagged = await fixture.client.send(new UntagResourceCommand({ ResourceId: fileSystemId, TagKeys: ['a', 'c', 'never'] }));
    expect(untagged.$metadata.httpStatusCode).toBe(200);
    expect(await tagsOf(fileSystemId)).toEqual([{ Key: 'b', Value: '2' }]);
  });

  it('needs at least one key', async () => {
    const error = await sdkError(fixture.client.send(new UntagResourceCommand({ ResourceId: fileSystemId, TagKeys: [] })), ValidationException);
    expect(error.message).toContain("at 'tagKeys'");
  });
});
