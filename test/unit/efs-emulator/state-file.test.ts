import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateAccessPointCommand,
  CreateFileSystemCommand,
  CreateMountTargetCommand,
  DeleteFileSystemCommand,
  DescribeAccessPointsCommand,
  DescribeFileSystemsCommand,
  DescribeMountTargetsCommand,
  FileSystemAlreadyExists,
  FileSystemNotFound,
  MountTargetConflict,
} from '@aws-sdk/client-efs';
import { StateFileError } from '../../../platform/efs-emulator';
import { waitFor } from '../../support/process';
import { sdkError, startFixture, type EmulatorFixture } from './support';

let dir: string;
let stateFile: string;
let fixture: EmulatorFixture | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'osbkit-efs-state-'));
  stateFile = join(dir, 'efs-state.json');
});
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
  rmSync(dir, { recursive: true, force: true });
});

it('keeps file systems, mount targets, access points and tags across a restart', async () => {
  fixture = await startFixture({ stateFile });
  const fs = await fixture.client.send(new CreateFileSystemCommand({ CreationToken: 'kept', Tags: [{ Key: 'Name', Value: 'kept' }] }));
  const mt = await fixture.client.send(new CreateMountTargetCommand({ FileSystemId: fs.FileSystemId, SubnetId: 'subnet-00000001' }));
  const ap = await fixture.client.send(new CreateAccessPointCommand({ ClientToken: 'ap', FileSystemId: fs.FileSystemId, PosixUser: { Uid: 7, Gid: 8 } }));
  await fixture.close();
  // The file is whole JSON and no temporary file is left beside it.
  expect(JSON.parse(readFileSync(stateFile, 'utf8'))).toMatchObject({ version: 1 });
  expect(readdirSync(dir)).toEqual(['efs-state.json']);

  fixture = await startFixture({ stateFile });
  const [described] = (await fixture.client.send(new DescribeFileSystemsCommand({ FileSystemId: fs.FileSystemId }))).FileSystems!;
  expect(described).toMatchObject({ FileSystemId: fs.FileSystemId, Name: 'kept', NumberOfMountTargets: 1, LifeCycleState: 'available', CreationTime: fs.CreationTime });
  expect((await fixture.client.send(new DescribeMountTargetsCommand({ FileSystemId: fs.FileSystemId }))).MountTargets).toEqual([
    expect.objectContaining({ MountTargetId: mt.MountTargetId, IpAddress: mt.IpAddress }),
  ]);
  expect((await fixture.client.send(new DescribeAccessPointsCommand({ FileSystemId: fs.FileSystemId }))).AccessPoints).toEqual([
    expect.objectContaining({ AccessPointId: ap.AccessPointId, PosixUser: { Uid: 7, Gid: 8 } }),
  ]);
  // The rules still hold for what was restored.
  expect((await sdkError(fixture.client.send(new CreateFileSystemCommand({ CreationToken: 'kept' })), FileSystemAlreadyExists)).FileSystemId).toBe(fs.FileSystemId);
  await sdkError(fixture.client.send(new CreateMountTargetCommand({ FileSystemId: fs.FileSystemId, SubnetId: 'subnet-00000001' })), MountTargetConflict);
});

it('finishes after a restart a deletion that began before it', async () => {
  fixture = await startFixture({ stateFile, deletionDelayMs: 400 });
  const fs = await fixture.client.send(new CreateFileSystemCommand({ CreationToken: 'going' }));
  await fixture.client.send(new DeleteFileSystemCommand({ FileSystemId: fs.FileSystemId }));
  await fixture.close();
  fixture = await startFixture({ stateFile, deletionDelayMs: 400 });
  const client = fixture.client;
  await waitFor(async () => {
    try {
      await client.send(new DescribeFileSystemsCommand({ FileSystemId: fs.FileSystemId }));
      return false;
    } catch (error) {
      return error instanceof FileSystemNotFound;
    }
  }, 'the file system deleted before the restart to be gone');
  await fixture.close();
  expect(JSON.parse(readFileSync(stateFile, 'utf8'))).toMatchObject({ fileSystems: [] });
  fixture = undefined;
});

it('keeps nothing without a state file', async () => {
  fixture = await startFixture();
  await fixture.client.send(new CreateFileSystemCommand({ CreationToken: 'lost' }));
  await fixture.close();
  fixture = await startFixture();
  expect((await fixture.client.send(new DescribeFileSystemsCommand({}))).FileSystems).toEqual([]);
});

it('refuses to start from a state file that is not its own', async () => {
  writeFileSync(stateFile, '{"version":1,"nextSeq":1,"fileSystems":[{"fileSystemId":5}],"mountTargets":[],"accessPoints":[]}');
  await expect(startFixture({ stateFile })).rejects.toThrow(StateFileError);
  writeFileSync(stateFile, 'not json');
  await expect(startFixture({ stateFile })).rejects.toThrow(/is not valid JSON/);
});
