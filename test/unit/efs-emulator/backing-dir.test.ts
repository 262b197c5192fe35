import { existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateAccessPointCommand, CreateFileSystemCommand, DeleteFileSystemCommand } from '@aws-sdk/client-efs';
import { waitFor } from '../../support/process';
import { startFixture, type EmulatorFixture } from './support';

/** The backing directory on the local disk; test/integration/efs-emulator mounts it over NFS. */

let root: string;
let fixture: EmulatorFixture;
beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'osbkit-efs-backing-'));
  fixture = await startFixture({ backingDir: join(root, 'efs') });
});
afterEach(async () => {
  await fixture.close();
  rmSync(root, { recursive: true, force: true });
});

it('makes BACKING_DIR/<fs-id>/ (mode 0755) for each file system and removes it, contents and all, when the file system is deleted', async () => {
  const fs = await fixture.client.send(new CreateFileSystemCommand({ CreationToken: 'backed' }));
  const dir = join(root, 'efs', fs.FileSystemId!);
  expect(fixture.emulator.backingPath(fs.FileSystemId!)).toBe(dir);
  expect(statSync(dir).isDirectory()).toBe(true);
  expect(statSync(dir).mode & 0o7777).toBe(0o755);
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'file.txt'), 'kept until the file system goes');
  // A link inside is removed, never followed.
  const outside = join(root, 'outside.txt');
  writeFileSync(outside, 'not the file system');
  symlinkSync(outside, join(dir, 'link'));
  await fixture.client.send(new DeleteFileSystemCommand({ FileSystemId: fs.FileSystemId }));
  await waitFor(() => !existsSync(dir), 'the backing directory to be removed');
  expect(existsSync(outside)).toBe(true);
});

// Giving a directory to another owner needs root, as the emulator does it (and as the suite runs).
it('creates an access point root directory with CreationInfo owner and permissions, each missing component', async () => {
  expect(process.getuid?.()).toBe(0);
  const fs = await fixture.client.send(new CreateFileSystemCommand({ CreationToken: 'ap' }));
  const dir = fixture.emulator.backingPath(fs.FileSystemId!)!;
  mkdirSync(join(dir, 'apps'), { mode: 0o755 });
  await fixture.client.send(
    new CreateAccessPointCommand({ FileSystemId: fs.FileSystemId, RootDirectory: { Path: '/apps/tenant/data', CreationInfo: { OwnerUid: 4001, OwnerGid: 4002, Permissions: '2750' } } }),
  );
  // An existing component is left as it was.
  expect(statSync(join(dir, 'apps')).uid).toBe(0);
  for (const created of [join(dir, 'apps', 'tenant'), join(dir, 'apps', 'tenant', 'data')]) {
    const stats = statSync(created);
    expect([stats.isDirectory(), stats.uid, stats.gid, stats.mode & 0o7777]).toEqual([true, 4001, 4002, 0o2750]);
  }
});

it('creates nothing for an access point without CreationInfo or with root "/"', async () => {
  const fs = await fixture.client.send(new CreateFileSystemCommand({ CreationToken: 'none' }));
  const dir = fixture.emulator.backingPath(fs.FileSystemId!)!;
  await fixture.client.send(new CreateAccessPointCommand({ FileSystemId: fs.FileSystemId, RootDirectory: { Path: '/not-made' } }));
  await fixture.client.send(new CreateAccessPointCommand({ FileSystemId: fs.FileSystemId, RootDirectory: { Path: '/', CreationInfo: { OwnerUid: 1, OwnerGid: 1, Permissions: '700' } } }));
  expect(existsSync(join(dir, 'not-made'))).toBe(false);
  expect(statSync(dir).mode & 0o7777).toBe(0o755);
});

it('never creates an access point root through a symbolic link a client put in the file system', async () => {
  const fs = await fixture.client.send(new CreateFileSystemCommand({ CreationToken: 'link' }));
  const dir = fixture.emulator.backingPath(fs.FileSystemId!)!;
  const target = join(root, 'elsewhere');
  mkdirSync(target);
  symlinkSync(target, join(dir, 'escape'));
  const created = await fixture.client.send(
    new CreateAccessPointCommand({ FileSystemId: fs.FileSystemId, RootDirectory: { Path: '/escape/inside', CreationInfo: { OwnerUid: 0, OwnerGid: 0, Permissions: '777' } } }),
  );
  // The access point exists, as on EFS (where mounting it would fail); nothing was made outside.
  expect(created.AccessPointId).toBeDefined();
  expect(existsSync(join(target, 'inside'))).toBe(false);
  expect(lstatSync(join(dir, 'escape')).isSymbolicLink()).toBe(true);
});
