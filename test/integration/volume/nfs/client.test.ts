import { randomBytes } from 'node:crypto';
import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Readable, Writable } from 'node:stream';
import { Access3, NfsSymlinkError, NfsPathError, connectNfs, type NfsClient } from '../../../../sdk/volume/nfs';
import { makeNfsRunDir, type NfsRunDir } from '../../../support/nfs-server';

/** The NFSv3 client against the shared NFS-Ganesha; the export is on this machine, so the local file system is the witness. */

let run: NfsRunDir;
let nfs: NfsClient;
const local = (path: string): string => `${run.server.export}${run.path}/${path}`;

beforeAll(async () => {
  run = await makeNfsRunDir('client');
  nfs = run.root;
});
afterAll(async () => {
  await run?.remove();
});

const p = (path: string): string => `${run.path}/${path}`;

describe('NfsClient against NFS-Ganesha', () => {
  it('connects through the portmapper to the export that holds the URL path', async () => {
    const client = await connectNfs(run.url('some/deeper/path'));
    try {
      expect(client.exportPath).toBe(run.server.export);
      expect(client.urlPath).toBe(`${run.path}/some/deeper/path`);
      expect(client.fsInfo.rtpref).toBeGreaterThan(0);
      expect(client.readChunkSize).toBeLessThanOrEqual(1024 * 1024);
    } finally {
      await client.close();
    }
  });

  it('answers NULL, FSSTAT, FSINFO and PATHCONF', async () => {
    await nfs.nfs.null();
    const fsstat = await nfs.fsstat();
    expect(fsstat.totalBytes).toBeGreaterThan(0n);
    expect(fsstat.freeBytes).toBeLessThanOrEqual(fsstat.totalBytes);
    expect(nfs.fsInfo.wtmax).toBeGreaterThanOrEqual(nfs.fsInfo.wtpref);
    const pathconf = await nfs.pathconf(run.path);
    expect(pathconf.nameMax).toBeGreaterThanOrEqual(255);
    expect(pathconf.casePreserving).toBe(true);
  });

  it('makes directories with mkdir -p, which is fine when they exist', async () => {
    await nfs.mkdir(p('a/b/c'), { recursive: true, mode: 0o750 });
    await nfs.mkdir(p('a/b/c'), { recursive: true });
    await nfs.mkdir(p('a/b/c/d'), { recursive: true });
    expect(lstatSync(local('a/b/c/d')).isDirectory()).toBe(true);
    expect(lstatSync(local('a/b')).mode & 0o777).toBe(0o750);
    const stat = await nfs.stat(p('a/b/c'));
    expect(stat.type).toBe('directory');
    expect(stat.uid).toBe(0);
  });

  it('writes and reads binary data byte for byte, small and several MB, UNSTABLE with COMMIT and FILE_SYNC', async () => {
    const small = Buffer.from([0, 1, 2, 255, 254, 0, 10, 13, 0]);
    await nfs.writeFile(p('small.bin'), small);
    expect(readFileSync(local('small.bin')).equals(small)).toBe(true);
    expect((await nfs.readFile(p('small.bin'))).equals(small)).toBe(true);

    const big = randomBytes(5 * 1024 * 1024 + 12345);
    await nfs.writeFile(p('big.bin'), big, { stable: 'unstable' });
    expect(readFileSync(local('big.bin')).equals(big)).toBe(true);
    expect((await nfs.readFile(p('big.bin'))).equals(big)).toBe(true);

    const synced = randomBytes(3 * 1024 * 1024);
    await nfs.writeFile(p('synced.bin'), synced, { stable: 'file_sync', mode: 0o600 });
    expect(readFileSync(local('synced.bin')).equals(synced)).toBe(true);
    expect(lstatSync(local('synced.bin')).mode & 0o777).toBe(0o600);

    expect((await nfs.stat(p('big.bin'))).size).toBe(big.length);
    expect((await nfs.readFile(p('big.bin'), { start: 1_000_000, end: 3_500_000 })).equals(big.subarray(1_000_000, 3_500_000))).toBe(true);
  });

  it('truncates an existing file on writeFile, and refuses with exclusive', async () => {
    await nfs.writeFile(p('trunc.txt'), 'a long first version of the file');
    await nfs.writeFile(p('trunc.txt'), 'short');
    expect(readFileSync(local('trunc.txt'), 'utf8')).toBe('short');
    await expect(nfs.writeFile(p('trunc.txt'), 'x', { exclusive: true })).rejects.toMatchObject({ code: 'NFS3ERR_EXIST', path: p('trunc.txt') });
    expect(readFileSync(local('trunc.txt'), 'utf8')).toBe('short');
  });

  it('streams: a Writable and a Readable that keep a window of WRITEs and READs in flight', async () => {
    const data = randomBytes(4 * 1024 * 1024 + 777);
    const pieces = Array.from({ length: Math.ceil(data.length / 65536) }, (_, i) => data.subarray(i * 65536, (i + 1) * 65536));
    await pipeline(Readable.from(pieces), nfs.createWriteStream(p('stream.bin'), { window: 4 }));
    expect(readFileSync(local('stream.bin')).equals(data)).toBe(true);

    const received: Buffer[] = [];
    await pipeline(
      nfs.createReadStream(p('stream.bin'), { window: 4 }),
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          received.push(chunk);
          callback();
        },
      }),
    );
    expect(Buffer.concat(received).equals(data)).toBe(true);
  });

  it('lists a directory with READDIRPLUS, with types and attributes, over several batches', async () => {
    await nfs.mkdir(p('many'));
    const names = Array.from({ length: 300 }, (_, i) => `file-${String(i).padStart(3, '0')}-${'x'.repeat(40)}`);
    await Promise.all(names.map((name) => nfs.writeFile(p(`many/${name}`), name)));
    await nfs.mkdir(p('many/sub'));
    const entries = await nfs.readdir(p('many'));
    expect(entries.map((e) => e.name).sort()).toEqual([...names, 'sub'].sort());
    const sub = entries.find((e) => e.name === 'sub')!;
    expect(sub.type).toBe('directory');
    const first = entries.find((e) => e.name === names[0])!;
    expect(first.type).toBe('file');
    expect(first.attributes.size).toBe(names[0]!.length);
  });

  it('renames, changes mode with SETATTR, and reports ACCESS', async () => {
    await nfs.writeFile(p('before.txt'), 'moving');
    await nfs.rename(p('before.txt'), p('a/after.txt'));
    expect(readFileSync(local('a/after.txt'), 'utf8')).toBe('moving');
    expect(await nfs.exists(p('before.txt'))).toBe(false);
    await nfs.chmod(p('a/after.txt'), 0o640);
    expect(lstatSync(local('a/after.txt')).mode & 0o777).toBe(0o640);
    const granted = await nfs.access(p('a/after.txt'), Access3.READ | Access3.MODIFY);
    expect(granted & Access3.READ).toBe(Access3.READ);
  });

  describe('symbolic links', () => {
    beforeAll(async () => {
      await nfs.mkdir(p('links/real'), { recursive: true });
      await nfs.writeFile(p('links/real/target.txt'), 'behind the link');
      await nfs.symlink('real', p('links/dirlink'));
      await nfs.symlink('real/target.txt', p('links/filelink'));
      await nfs.symlink('/etc', p('links/absolute'));
      await nfs.symlink('loop-b', p('links/loop-a'));
      await nfs.symlink('loop-a', p('links/loop-b'));
    });

    it('creates links the server stores as links', async () => {
      expect(readlinkSync(local('links/filelink'))).toBe('real/target.txt');
      expect(await nfs.readlink(p('links/filelink'))).toBe('real/target.txt');
    });

    it('stats the link itself unless asked to follow', async () => {
      expect((await nfs.stat(p('links/filelink'))).type).toBe('symlink');
      expect((await nfs.stat(p('links/filelink'), { followSymlinks: true })).type).toBe('file');
    });

    it('never follows a link on the way or at the end unless asked', async () => {
      await expect(nfs.readFile(p('links/dirlink/target.txt'))).rejects.toBeInstanceOf(NfsSymlinkError);
      await expect(nfs.readFile(p('links/dirlink/target.txt'))).rejects.toMatchObject({ linkPath: p('links/dirlink'), reason: 'not-followed' });
      await expect(nfs.readFile(p('links/filelink'))).rejects.toBeInstanceOf(NfsSymlinkError);
      await expect(nfs.writeFile(p('links/dirlink/new.txt'), 'x')).rejects.toBeInstanceOf(NfsSymlinkError);
      await expect(nfs.writeFile(p('links/filelink'), 'overwritten?')).rejects.toBeInstanceOf(NfsSymlinkError);
      expect(readFileSync(local('links/real/target.txt'), 'utf8')).toBe('behind the link');
      expect(await nfs.exists(p('links/real/new.txt'))).toBe(false);
    });

    it('follows links when asked, within the export', async () => {
      expect((await nfs.readFile(p('links/dirlink/target.txt'), { followSymlinks: true })).toString()).toBe('behind the link');
      expect((await nfs.readFile(p('links/filelink'), { followSymlinks: true })).toString()).toBe('behind the link');
      // "/etc" is taken from the export's root, not the server's.
      await expect(nfs.stat(p('links/absolute/passwd'), { followSymlinks: true })).rejects.toMatchObject({ code: 'NFS3ERR_NOENT' });
      await expect(nfs.stat(p('links/loop-a'), { followSymlinks: true })).rejects.toMatchObject({ reason: 'too-many-links' });
    });

    it('keeps ".." from climbing above the export root', async () => {
      const root = await nfs.stat('/');
      expect((await nfs.stat('/../../..')).fileid).toBe(root.fileid);
    });

    it('removes a link with rm -r, not what it points to', async () => {
      await nfs.rm(p('links/dirlink'), { recursive: true });
      expect(await nfs.exists(p('links/dirlink'))).toBe(false);
      expect(readFileSync(local('links/real/target.txt'), 'utf8')).toBe('behind the link');
    });
  });

  it('removes a tree with rm -r, and only with -r', async () => {
    await nfs.mkdir(p('tree/x/y'), { recursive: true });
    await nfs.writeFile(p('tree/x/y/f'), 'f');
    await nfs.writeFile(p('tree/g'), 'g');
    await expect(nfs.rm(p('tree'))).rejects.toMatchObject({ code: 'NFS3ERR_ISDIR' });
    await nfs.rm(p('tree'), { recursive: true });
    expect(await nfs.exists(p('tree'))).toBe(false);
    await nfs.rm(p('tree'), { force: true });
    await expect(nfs.rm('/')).rejects.toBeInstanceOf(NfsPathError);
  });
});
