import { MountError, NfsError, Nfs3Status, PortmapError, RpcConnectionError, connectNfs, type NfsClient } from '../../../../sdk/volume/nfs';
import { getPort } from '../../../../sdk/volume/nfs/portmap';
import { makeNfsRunDir, nfsTestServer, type NfsRunDir } from '../../../support/nfs-server';
import { createServer } from 'node:net';

/** The server's statuses arrive as typed NfsError values; RPC-level failures are a different family. */

let run: NfsRunDir;
let nfs: NfsClient;
const p = (path: string): string => `${run.path}/${path}`;

beforeAll(async () => {
  run = await makeNfsRunDir('errors');
  nfs = run.root;
});
afterAll(async () => {
  await run?.remove();
});

describe('typed NFS errors from NFS-Ganesha', () => {
  it('NFS3ERR_NOENT for a missing path, with its status, name, procedure and path', async () => {
    const failure = await nfs.stat(p('missing/deeper')).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(NfsError);
    expect(failure).toMatchObject({ status: 2, code: 'NFS3ERR_NOENT', procedure: 'LOOKUP', path: p('missing/deeper') });
    await expect(nfs.readFile(p('nope.txt'))).rejects.toMatchObject({ status: Nfs3Status.NFS3ERR_NOENT });
  });

  it('NFS3ERR_ACCES for a uid without permission, and nothing is created', async () => {
    await nfs.mkdir(p('private'), { mode: 0o700 });
    await nfs.writeFile(p('private/secret.txt'), 'root only', { mode: 0o600 });
    const stranger = await run.connect({ uid: 4242, gid: 4242 });
    try {
      await expect(stranger.writeFile(p('private/intruder.txt'), 'x')).rejects.toMatchObject({ code: 'NFS3ERR_ACCES', status: 13 });
      await expect(stranger.readdir(p('private'))).rejects.toMatchObject({ code: 'NFS3ERR_ACCES' });
      await expect(stranger.stat(p('private/secret.txt'))).rejects.toMatchObject({ code: 'NFS3ERR_ACCES' });
    } finally {
      await stranger.close();
    }
    expect((await nfs.readdir(p('private'))).map((e) => e.name)).toEqual(['secret.txt']);
  });

  it('AUTH_SYS groups grant what the uid alone does not', async () => {
    await nfs.mkdir(p('group-dir'), { mode: 0o770 });
    await nfs.setattr(p('group-dir'), { gid: 5151 });
    const withoutGroup = await run.connect({ uid: 4242, gid: 4242 });
    const withGroup = await run.connect({ uid: 4242, gid: 4242, groups: [5151] });
    try {
      await expect(withoutGroup.writeFile(p('group-dir/a.txt'), 'x')).rejects.toMatchObject({ code: 'NFS3ERR_ACCES' });
      await withGroup.writeFile(p('group-dir/b.txt'), 'y');
      const stat = await nfs.stat(p('group-dir/b.txt'));
      expect([stat.uid, stat.gid]).toEqual([4242, 4242]);
    } finally {
      await Promise.all([withoutGroup.close(), withGroup.close()]);
    }
  });

  it('NFS3ERR_EXIST for MKDIR of an existing name and for an exclusive create', async () => {
    await nfs.mkdir(p('dup'));
    await expect(nfs.mkdir(p('dup'))).rejects.toMatchObject({ code: 'NFS3ERR_EXIST', procedure: 'MKDIR', path: p('dup') });
    await nfs.writeFile(p('once.txt'), '1');
    await expect(nfs.writeFile(p('once.txt'), '2', { exclusive: true })).rejects.toMatchObject({ code: 'NFS3ERR_EXIST' });
  });

  it('NFS3ERR_NOTEMPTY for RMDIR of a directory with entries', async () => {
    await nfs.mkdir(p('full/inner'), { recursive: true });
    await expect(nfs.rmdir(p('full'))).rejects.toMatchObject({ code: 'NFS3ERR_NOTEMPTY', status: 66, procedure: 'RMDIR' });
    await nfs.rmdir(p('full/inner'));
    await nfs.rmdir(p('full'));
  });

  it('NFS3ERR_NOTDIR when a path goes through a file, NFS3ERR_ISDIR when reading a directory', async () => {
    await nfs.writeFile(p('plain'), 'x');
    await expect(nfs.stat(p('plain/child'))).rejects.toMatchObject({ code: 'NFS3ERR_NOTDIR' });
    await expect(nfs.mkdir(p('plain/child'), { recursive: true })).rejects.toMatchObject({ code: 'NFS3ERR_NOTDIR' });
    await expect(nfs.readFile(run.path)).rejects.toMatchObject({ code: 'NFS3ERR_ISDIR' });
  });

  it('a MountError, not an NfsError, for a path outside every export', async () => {
    const server = nfsTestServer();
    const failure = await connectNfs(`nfs://${server.host}/no/such/export?version=3`, { uid: 0, gid: 0 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MountError);
    expect((failure as MountError).code).toMatch(/^MNT3ERR_/);
  });

  it('a PortmapError for a program nobody registered', async () => {
    await expect(getPort(nfsTestServer().host, 100099, 1)).rejects.toBeInstanceOf(PortmapError);
  });

  it('an RpcConnectionError when nothing listens on the NFS port given', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const address = holder.address();
    await new Promise<void>((resolve) => holder.close(() => resolve()));
    if (address === null || typeof address === 'string') throw new Error('no port');
    const server = nfsTestServer();
    const failure = await connectNfs(`nfs://${server.host}${server.export}?version=3&mountport=${address.port}&nfsport=${address.port}`).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RpcConnectionError);
    expect(failure).toMatchObject({ causeCode: 'ECONNREFUSED' });
  });
});
