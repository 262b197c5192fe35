import {
  CreateAccessPointCommand,
  CreateFileSystemCommand,
  CreateMountTargetCommand,
  DeleteAccessPointCommand,
  DeleteFileSystemCommand,
  DeleteMountTargetCommand,
  DescribeAccessPointsCommand,
  DescribeFileSystemsCommand,
  DescribeMountTargetsCommand,
  FileSystemInUse,
  FileSystemNotFound,
  type EFSClient,
} from '@aws-sdk/client-efs';
import { waitFor } from '../../support/process';
import { sdkError, startFixture, type EmulatorFixture } from './support';

/**
 * Lifecycle states move on the clock: creating → available after the creation delay,
 * deleting → gone after the deletion delay. Polls have generous deadlines and no lower bounds.
 */

let fixture: EmulatorFixture;
afterEach(async () => {
  await fixture.close();
});

const fileSystemState = async (client: EFSClient, id: string): Promise<string | undefined> => {
  try {
    return (await client.send(new DescribeFileSystemsCommand({ FileSystemId: id }))).FileSystems?.[0]?.LifeCycleState;
  } catch (error) {
    if (error instanceof FileSystemNotFound) return 'gone';
    throw error;
  }
};

it('takes a file system, its mount target and access point from creating to available, and back through deleting to gone', async () => {
  fixture = await startFixture({ creationDelayMs: 300, deletionDelayMs: 300 });
  const { client } = fixture;
  const created = await client.send(new CreateFileSystemCommand({ CreationToken: 'life' }));
  expect(created.LifeCycleState).toBe('creating');
  const id = created.FileSystemId!;
  await waitFor(async () => (await fileSystemState(client, id)) === 'available', 'the file system to become available');

  const target = await client.send(new CreateMountTargetCommand({ FileSystemId: id, SubnetId: 'subnet-00000001' }));
  expect(target.LifeCycleState).toBe('creating');
  const accessPoint = await client.send(new CreateAccessPointCommand({ FileSystemId: id }));
  expect(accessPoint.LifeCycleState).toBe('creating');
  await waitFor(async () => (await client.send(new DescribeMountTargetsCommand({ FileSystemId: id }))).MountTargets?.[0]?.LifeCycleState === 'available', 'the mount target to become available');
  await waitFor(async () => (await client.send(new DescribeAccessPointsCommand({ FileSystemId: id }))).AccessPoints?.[0]?.LifeCycleState === 'available', 'the access point to become available');

  await client.send(new DeleteAccessPointCommand({ AccessPointId: accessPoint.AccessPointId }));
  await client.send(new DeleteMountTargetCommand({ MountTargetId: target.MountTargetId }));
  const deleting = (await client.send(new DescribeMountTargetsCommand({ FileSystemId: id }))).MountTargets;
  expect(deleting?.map((t) => t.LifeCycleState)).toEqual(['deleting']);
  // A mount target still being deleted keeps its file system in use, as on AWS.
  await sdkError(client.send(new DeleteFileSystemCommand({ FileSystemId: id })), FileSystemInUse);
  await waitFor(async () => (await client.send(new DescribeMountTargetsCommand({ FileSystemId: id }))).MountTargets?.length === 0, 'the mount target to be gone');

  await client.send(new DeleteFileSystemCommand({ FileSystemId: id }));
  expect(await fileSystemState(client, id)).toBe('deleting');
  // A second delete while deleting changes nothing.
  expect((await client.send(new DeleteFileSystemCommand({ FileSystemId: id }))).$metadata.httpStatusCode).toBe(204);
  await waitFor(async () => (await fileSystemState(client, id)) === 'gone', 'the file system to be gone');
  expect((await client.send(new DescribeFileSystemsCommand({}))).FileSystems).toEqual([]);
});

it('with delays of 0 answers available at once and deletes at once', async () => {
  fixture = await startFixture({ creationDelayMs: 0, deletionDelayMs: 0 });
  const created = await fixture.client.send(new CreateFileSystemCommand({ CreationToken: 'now' }));
  expect(created.LifeCycleState).toBe('available');
  await fixture.client.send(new DeleteFileSystemCommand({ FileSystemId: created.FileSystemId }));
  expect(await fileSystemState(fixture.client, created.FileSystemId!)).toBe('gone');
});

it('defaults to delays of one second', async () => {
  fixture = await startFixture({ creationDelayMs: undefined, deletionDelayMs: undefined });
  const created = await fixture.client.send(new CreateFileSystemCommand({ CreationToken: 'default' }));
  expect(created.LifeCycleState).toBe('creating');
  await waitFor(async () => (await fileSystemState(fixture.client, created.FileSystemId!)) === 'available', 'the file system to become available');
});
