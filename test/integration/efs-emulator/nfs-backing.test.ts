import { existsSync, readFileSync } from 'node:fs';
import {
  CreateAccessPointCommand,
  CreateFileSystemCommand,
  CreateMountTargetCommand,
  DeleteFileSystemCommand,
  DeleteMountTargetCommand,
  EFSClient,
} from '@aws-sdk/client-efs';
import { startEfsEmulator, type RunningEfsEmulator } from '../../../platform/efs-emulator';
import { isNfsError, Nfs3Status } from '../../../sdk/volume';
import { makeNfsRunDir, type NfsRunDir } from '../../support/nfs-server';
import { waitFor } from '../../support/process';

/**
 * The emulator's file systems served by the shared NFS-Ganesha: the backing directory is a
 * directory of this run under the export, so file system fs-X is the NFS path
 * <export>/<run dir>/efs/fs-X, mountable and writable like an EFS file system.
 */

let run: NfsRunDir;
let emulator: RunningEfsEmulator;
let client: EFSClient;
beforeAll(async () => {
  run = await makeNfsRunDir('efs-emulator');
  emulator = await startEfsEmulator({ backingDir: `${run.serverPath}/efs`, creationDelayMs: 0, deletionDelayMs: 0 });
  client = new EFSClient({ region: 'us-east-1', endpoint: emulator.url, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'dummy' }, maxAttempts: 1 });
});
afterAll(async () => {
  client?.destroy();
  await emulator?.close();
  await run?.remove();
});

it('serves a file system and its access point root over NFS, with the owner and mode CreationInfo asked for, until the file system is deleted', async () => {
  const fs = await client.send(new CreateFileSystemCommand({ CreationToken: 'nfs' }));
  const fsPath = `${run.path}/efs/${fs.FileSystemId!}`;
  expect(emulator.backingPath(fs.FileSystemId!)).toBe(`${run.server.export}${fsPath}`);
  const target = await client.send(new CreateMountTargetCommand({ FileSystemId: fs.FileSystemId, SubnetId: 'subnet-00000001' }));
  await client.send(
    new CreateAccessPointCommand({
      FileSystemId: fs.FileSystemId,
      PosixUser: { Uid: 1000, Gid: 1000 },
      RootDirectory: { Path: '/app/data', CreationInfo: { OwnerUid: 1000, OwnerGid: 1000, Permissions: '0750' } },
    }),
  );

  // The file system root as EFS makes it: root's, 0755.
  const rootStats = await run.root.stat(fsPath);
  expect([rootStats.type, rootStats.uid, rootStats.mode & 0o7777]).toEqual(['directory', 0, 0o755]);
  const apStats = await run.root.stat(`${fsPath}/app/data`);
  expect([apStats.type, apStats.uid, apStats.gid, apStats.mode & 0o7777]).toEqual(['directory', 1000, 1000, 0o750]);

  // The access point's user can write in its root; another user cannot.
  const owner = await run.connect({ uid: 1000, gid: 1000 });
  const stranger = await run.connect({ uid: 2000, gid: 2000 });
  try {
    await owner.writeFile(`${fsPath}/app/data/hello.txt`, 'written over NFS');
    const refused = await stranger.writeFile(`${fsPath}/app/data/intruder.txt`, 'no').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isNfsError(refused, Nfs3Status.NFS3ERR_ACCES)).toBe(true);
  } finally {
    await owner.close();
    await stranger.close();
  }
  expect(readFileSync(`${emulator.backingPath(fs.FileSystemId!)!}/app/data/hello.txt`, 'utf8')).toBe('written over NFS');

  await client.send(new DeleteMountTargetCommand({ MountTargetId: target.MountTargetId }));
  await client.send(new DeleteFileSystemCommand({ FileSystemId: fs.FileSystemId }));
  // Ganesha caches directory entries for a while, so the local disk is the witness.
  await waitFor(() => !existsSync(emulator.backingPath(fs.FileSystemId!)!), 'the deleted file system to vanish from the export');
}, 60_000);
