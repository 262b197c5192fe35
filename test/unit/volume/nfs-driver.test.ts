import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelHasNfs, kernelMountOptions, kernelMountSource } from '../../../platform/drivers/nfs/kernel-mounter';
import { loadNfsDriverState, NfsDriverStateError } from '../../../platform/drivers/nfs/state';
import { readVolumeOptions, VolumeOptionsError } from '../../../platform/drivers/nfs/volume-options';
import { errnoOf } from '../../../platform/drivers/nfs/errno';
import { nfsDriverAllowedShares } from '../../../cli/commands/nfs-driver';
import { MountError, NfsError, Nfs3Status, RpcTimeoutError } from '../../../sdk/volume/nfs';

describe('the NFS driver reads mount_config itself', () => {
  it('takes nfsbroker\'s mount_config as it is', () => {
    expect(readVolumeOptions({ auto_cache: 'true', gid: '1000', mount: '/data', readonly: 'true', source: 'nfs://10.0.0.5/exports/data', uid: '1000' })).toEqual({
      share: { host: '10.0.0.5', hostKind: 'ipv4', path: '/exports/data' },
      uid: 1000,
      gid: 1000,
      readOnly: true,
      version: '3',
    });
    expect(readVolumeOptions({ source: 'nfs://NFS.Example.com//exports/./data/', version: '3.0', readonly: false })).toEqual({
      share: { host: 'nfs.example.com', hostKind: 'name', path: '/exports/data' },
      readOnly: false,
      version: '3',
    });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['no source', { uid: '1' , gid: '1' }, 'source is missing'],
    ['a kernel-style source', { source: '10.0.0.5:/exports' }, 'source must be nfs://server/path'],
    ['.. in the source', { source: 'nfs://10.0.0.5/exports/../etc' }, "must not contain '..' segments"],
    ['a port in the source', { source: 'nfs://10.0.0.5:2049/exports' }, 'a share has no port'],
    ['uid 0', { source: 'nfs://h/x', uid: '0', gid: '0' }, 'uid must be a whole number from 1'],
    ['a negative gid', { source: 'nfs://h/x', uid: '5', gid: -5 }, 'gid must be a whole number from 1'],
    ['a gid alone', { source: 'nfs://h/x', gid: '5' }, 'uid and gid go together: uid is missing'],
    ['a readonly that is not a flag', { source: 'nfs://h/x', readonly: 'yes' }, 'readonly must be true or false'],
    ['unknown options, sorted', { source: 'nfs://h/x', soft: 'true', nolock: 'true' }, 'not allowed options: nolock, soft'],
    ['NFSv4', { source: 'nfs://h/x', version: '4' }, 'this driver mounts NFS version 3 only'],
  ])('refuses %s', (_label, opts, problem) => {
    expect(() => readVolumeOptions(opts)).toThrow(VolumeOptionsError);
    expect(() => readVolumeOptions(opts)).toThrow(problem);
  });
});

describe('the kernel mounter', () => {
  it('mounts NFSv3 soft with a bound from the operation timeout, read-only when asked', () => {
    expect(kernelMountOptions({ readOnly: false }, 15_000)).toBe('vers=3,proto=tcp,soft,timeo=50,retrans=2,rsize=1048576,wsize=1048576,actimeo=0,nolock,rw');
    expect(kernelMountOptions({ readOnly: true }, 3_000)).toMatch(/,timeo=10,.*,ro$/);
  });

  it('names the share as server:/path, an IPv6 server in brackets', () => {
    expect(kernelMountSource({ share: { host: '10.0.0.5', hostKind: 'ipv4', path: '/exports/a' } })).toBe('10.0.0.5:/exports/a');
    expect(kernelMountSource({ share: { host: 'fd00::5', hostKind: 'ipv6', path: '/x' } })).toBe('[fd00::5]:/x');
  });

  it('is used only where /proc/filesystems lists nfs', () => {
    expect(kernelHasNfs('nodev\tsysfs\nnodev\ttmpfs\n\text4\nnodev\tfuse\n')).toBe(false);
    expect(kernelHasNfs('nodev\tsysfs\nnodev\tnfs\nnodev\tnfs4\n')).toBe(true);
  });
});

describe('errors a FUSE operation answers', () => {
  it('passes the server\'s status through as errno and makes every transport failure EIO', () => {
    expect(errnoOf(new NfsError(Nfs3Status.NFS3ERR_ACCES, 'CREATE'))).toBe(13);
    expect(errnoOf(new NfsError(Nfs3Status.NFS3ERR_ROFS, 'WRITE'))).toBe(30);
    expect(errnoOf(new NfsError(Nfs3Status.NFS3ERR_NOTEMPTY, 'RMDIR'))).toBe(39);
    expect(errnoOf(new NfsError(Nfs3Status.NFS3ERR_STALE, 'GETATTR'))).toBe(116);
    expect(errnoOf(new RpcTimeoutError('READ', 2000))).toBe(5);
    expect(errnoOf(new MountError(13, '/x'))).toBe(5);
  });
});

describe('the cell-side allow-list osbkit up gives the driver', () => {
  it('is the flag, else the driver\'s variable, else the broker\'s rules and managed share', () => {
    expect(nfsDriverAllowedShares('a/b', { OSBKIT_NFS_DRIVER_ALLOWED_SHARES: 'c/d' })).toBe('a/b');
    expect(nfsDriverAllowedShares(undefined, { OSBKIT_NFS_DRIVER_ALLOWED_SHARES: 'c/d', OSBKIT_NFS_ALLOWED_SHARES: 'e/f' })).toBe('c/d');
    expect(nfsDriverAllowedShares(undefined, { OSBKIT_NFS_ALLOWED_SHARES: 'e/f/*, g/**', OSBKIT_NFS_MANAGED_SHARE: 'nfs://10.0.0.5/exports/managed?uid=0&gid=0' })).toBe(
      'e/f/*,g/**,10.0.0.5/exports/managed/**',
    );
    expect(nfsDriverAllowedShares(undefined, {})).toBe('');
  });
});

describe('the NFS driver\'s state file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'osbkit-nfs-state-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is empty when missing', async () => {
    expect((await loadNfsDriverState(join(dir, 'none.json'))).size).toBe(0);
  });

  it.each<[string, string]>([
    ['broken JSON', '{"version":1,'],
    ['an unsafe name', '{"version":1,"volumes":[{"name":"../x","opts":{},"mounts":[]}]}'],
    ['a relative mount point', '{"version":1,"volumes":[{"name":"a","opts":{},"mounts":[{"container":"c","refs":1,"mountpoint":"m","status":"mounted"}]}]}'],
    ['a zero count', '{"version":1,"volumes":[{"name":"a","opts":{},"mounts":[{"container":null,"refs":0,"mountpoint":"/m","status":"mounted"}]}]}'],
    ['a pid without its start time', '{"version":1,"volumes":[{"name":"a","opts":{},"mounts":[{"container":"c","refs":1,"mountpoint":"/m","status":"mounted","record":{"mounter":"fuse","device":"0:1","pid":5}}]}]}'],
  ])('refuses %s rather than forget live mounts', async (_label, text) => {
    writeFileSync(join(dir, 'state.json'), text);
    await expect(loadNfsDriverState(join(dir, 'state.json'))).rejects.toThrow(NfsDriverStateError);
  });
});
