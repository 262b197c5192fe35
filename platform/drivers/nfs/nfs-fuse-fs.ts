import { constants } from 'node:os';
import { isNfsError, Nfs3Status, type Fattr3, type NfsClient } from '../../../sdk/volume/nfs';
import type { VolumeLogger } from '../../../sdk/volume/logger';
import { errnoOf, fsErrors } from './errno';
import type { FuseOperations, FuseStat, FuseStatfs } from './fuse-binding';
import { ReadAhead } from './read-ahead';
import { WriteBehind } from './write-behind';

/**
 * One NFS share as a FUSE file system, the way Cloud Foundry's mapfs presents a share: the
 * server sees every call from the binding's uid and gid (the client's AUTH_SYS credential),
 * and files the server says belong to that uid and gid appear to belong to the app's user and
 * group. The server decides what is allowed (no default_permissions), as it would for that uid.
 * A read-only volume refuses every change with EROFS. Every operation is bounded: one the
 * server does not answer fails with EIO after `opTimeoutMs`, so no program hangs on it.
 */

export interface IdMapping {
  /** The identity the server sees (AUTH_SYS). */
  serverUid: number;
  serverGid: number;
  /** The identity the app runs as on the cell; the server's files of serverUid show as owned by it. */
  appUid: number;
  appGid: number;
}

export interface NfsFuseFsOptions {
  client: NfsClient;
  /** The share's directory inside the export, resolved without following links. */
  root: { handle: Buffer; attributes: Fattr3 };
  readOnly: boolean;
  ids: IdMapping;
  opTimeoutMs: number;
  readAhead: { chunkSize: number; window: number };
  writeBehind: { chunkSize: number; window: number; commitEveryBytes: number };
  logger: VolumeLogger;
}

const { errno } = constants;
const O_ACCMODE = 0o3;
const O_RDONLY = 0;

const TYPE_BITS: Record<Fattr3['type'], number> = {
  file: 0o100000,
  directory: 0o040000,
  symlink: 0o120000,
  'block-device': 0o060000,
  'char-device': 0o020000,
  socket: 0o140000,
  fifo: 0o010000,
};

interface OpenFile {
  path: string;
  handle: Buffer;
  writable: boolean;
  reader: ReadAhead;
  writer: WriteBehind | undefined;
}

export class NfsFuseFs {
  /** Handles by path; a handle stays valid while its file exists, so only changes of names drop entries. */
  private readonly handles = new Map<string, Buffer>();
  private readonly open = new Map<number, OpenFile>();
  private nextFd = 1;

  constructor(private readonly options: NfsFuseFsOptions) {
    this.handles.set('/', options.root.handle);
  }

  get nfs() {
    return this.options.client.nfs;
  }

  /** Waits for every open file's writes; used before the mount goes away. */
  async flushAll(): Promise<void> {
    await Promise.allSettled([...this.open.values()].map((file) => file.writer?.flush()));
  }

  operations(): FuseOperations {
    const op = <T>(what: string, work: () => Promise<T>, reply: (value: T) => void, fail: (code: number) => void): void => {
      this.bounded(what, work).then(reply, (error: unknown) => {
        const code = errnoOf(error);
        if (code === errno.EIO) this.options.logger.warn({ operation: what, err: error instanceof Error ? error.message : String(error) }, 'NFS operation failed');
        fail(-code);
      });
    };
    const done = (cb: (code: number) => void) => (): void => cb(0);
    return {
      init: (cb) => cb(0),
      getattr: (path, cb) => op(`getattr ${path}`, () => this.getattr(path), (stat) => cb(0, stat), (code) => cb(code)),
      fgetattr: (path, _fd, cb) => op(`getattr ${path}`, () => this.getattr(path), (stat) => cb(0, stat), (code) => cb(code)),
      // The server decides on each real operation, as it would for the binding's uid.
      access: (_path, _mode, cb) => cb(0),
      statfs: (_path, cb) => op('statfs', () => this.statfs(), (stat) => cb(0, stat), (code) => cb(code)),
      readdir: (path, cb) => op(`readdir ${path}`, () => this.readdir(path), ({ names, stats }) => cb(0, names, stats), (code) => cb(code)),
      open: (path, flags, cb) => op(`open ${path}`, () => this.openFile(path, flags), (fd) => cb(0, fd), (code) => cb(code)),
      create: (path, mode, cb) => op(`create ${path}`, () => this.create(path, mode), (fd) => cb(0, fd), (code) => cb(code)),
      read: (path, fd, buffer, length, position, cb) => op(`read ${path}`, () => this.read(fd, buffer, length, position), (count) => cb(count), cb),
      write: (path, fd, buffer, length, position, cb) => op(`write ${path}`, () => this.write(fd, buffer, length, position), (count) => cb(count), cb),
      flush: (path, fd, cb) => op(`flush ${path}`, () => this.flush(fd), done(cb), cb),
      fsync: (path, _dataSync, fd, cb) => op(`fsync ${path}`, () => this.flush(fd), done(cb), cb),
      release: (path, fd, cb) => op(`release ${path}`, () => this.release(fd), done(cb), cb),
      truncate: (path, size, cb) => op(`truncate ${path}`, () => this.setattr(path, { size }), done(cb), cb),
      ftruncate: (path, fd, size, cb) => op(`truncate ${path}`, () => this.ftruncate(fd, size), done(cb), cb),
      utimens: (path, atime, mtime, cb) => op(`utimens ${path}`, () => this.setattr(path, { atime: nfsTime(atime), mtime: nfsTime(mtime) }), done(cb), cb),
      chmod: (path, mode, cb) => op(`chmod ${path}`, () => this.setattr(path, { mode: mode & 0o7777 }), done(cb), cb),
      chown: (path, uid, gid, cb) => op(`chown ${path}`, () => this.chown(path, uid, gid), done(cb), cb),
      unlink: (path, cb) => op(`unlink ${path}`, () => this.remove(path, 'file'), done(cb), cb),
      rmdir: (path, cb) => op(`rmdir ${path}`, () => this.remove(path, 'directory'), done(cb), cb),
      mkdir: (path, mode, cb) => op(`mkdir ${path}`, () => this.mkdir(path, mode), done(cb), cb),
      rename: (from, to, cb) => op(`rename ${from}`, () => this.rename(from, to), done(cb), cb),
      symlink: (target, path, cb) => op(`symlink ${path}`, () => this.symlink(target, path), done(cb), cb),
      readlink: (path, cb) => op(`readlink ${path}`, () => this.readlink(path), (target) => cb(0, target), (code) => cb(code)),
    };
  }

  /** The operation, or EIO once `opTimeoutMs` has passed without an answer. */
  private bounded<T>(what: string, work: () => Promise<T>): Promise<T> {
    const { opTimeoutMs } = this.options;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(fsErrors.timedOut(what, opTimeoutMs)), opTimeoutMs);
      Promise.resolve()
        .then(work)
        .then(resolve, reject)
        .finally(() => clearTimeout(timer));
    });
  }

  // ---- names and handles ------------------------------------------------------

  private async lookup(path: string): Promise<Buffer> {
    const known = this.handles.get(path);
    if (known !== undefined) return known;
    const { parent, name } = splitPath(path);
    const dir = await this.lookup(parent);
    const found = await this.nfs.lookup(dir, name);
    this.handles.set(path, found.handle);
    return found.handle;
  }

  /** Runs `work` on the path's handle; a handle the server calls stale is looked up again once. */
  private async withHandle<T>(path: string, work: (handle: Buffer) => Promise<T>): Promise<T> {
    const handle = await this.lookup(path);
    try {
      return await work(handle);
    } catch (error) {
      if (!isNfsError(error, Nfs3Status.NFS3ERR_STALE) || path === '/') throw error;
      this.forget(path);
      return work(await this.lookup(path));
    }
  }

  /** Drops `path` and everything below it (after a remove or a rename). */
  private forget(path: string): void {
    const prefix = `${path}/`;
    for (const key of this.handles.keys()) if (key === path || key.startsWith(prefix)) this.handles.delete(key);
  }

  // ---- attributes ---------------------------------------------------------------

  private async getattr(path: string): Promise<FuseStat> {
    const attributes = await this.withHandle(path, (handle) => this.nfs.getattr(handle));
    const stat = this.toStat(attributes);
    // Writes still behind in this process are part of the file to the program that made them.
    for (const file of this.open.values()) if (file.path === path && file.writer) stat.size = Math.max(stat.size, file.writer.dirtyEnd);
    return stat;
  }

  private toStat(attributes: Fattr3): FuseStat {
    const { ids } = this.options;
    return {
      mode: TYPE_BITS[attributes.type] | attributes.mode,
      uid: attributes.uid === ids.serverUid ? ids.appUid : attributes.uid,
      gid: attributes.gid === ids.serverGid ? ids.appGid : attributes.gid,
      size: attributes.size,
      dev: 0,
      nlink: attributes.nlink,
      // The binding passes 32 bits; libfuse numbers inodes itself unless told otherwise.
      ino: Number(attributes.fileid & 0xffff_ffffn),
      rdev: (attributes.rdev.major << 8) | attributes.rdev.minor,
      blksize: 4096,
      blocks: Math.ceil(attributes.used / 512),
      atime: dateOf(attributes.atime),
      mtime: dateOf(attributes.mtime),
      ctime: dateOf(attributes.ctime),
    };
  }

  private async statfs(): Promise<FuseStatfs> {
    const stat = await this.nfs.fsstat(this.options.root.handle);
    // The binding passes 32-bit counts: a block size large enough keeps big exports in range.
    let frsize = 4096;
    while (stat.totalBytes / BigInt(frsize) > 0xffff_ffffn) frsize *= 2;
    const blocks = (bytes: bigint): number => Number(bytes / BigInt(frsize));
    const files = (count: bigint): number => Number(count > 0xffff_ffffn ? 0xffff_ffffn : count);
    return {
      bsize: frsize,
      frsize,
      blocks: blocks(stat.totalBytes),
      bfree: blocks(stat.freeBytes),
      bavail: blocks(stat.availableBytes),
      files: files(stat.totalFiles),
      ffree: files(stat.freeFiles),
      favail: files(stat.availableFiles),
      fsid: 0,
      flag: this.options.readOnly ? 1 : 0,
      namemax: 255,
    };
  }

  private async setattr(path: string, attributes: Parameters<NfsClient['nfs']['setattr']>[1]): Promise<void> {
    this.requireWritable(`setattr ${path}`);
    await this.withHandle(path, (handle) => this.nfs.setattr(handle, attributes));
  }

  private async chown(path: string, uid: number, gid: number): Promise<void> {
    const { ids } = this.options;
    const unchanged = 0xffff_ffff;
    // The app's own ids stand for the binding's on the server, the way they are shown.
    const serverUid = uid === unchanged ? undefined : uid === ids.appUid ? ids.serverUid : uid;
    const serverGid = gid === unchanged ? undefined : gid === ids.appGid ? ids.serverGid : gid;
    await this.setattr(path, { ...(serverUid !== undefined && { uid: serverUid }), ...(serverGid !== undefined && { gid: serverGid }) });
  }

  // ---- directories --------------------------------------------------------------

  private async readdir(path: string): Promise<{ names: string[]; stats: FuseStat[] }> {
    const [entries, self] = await Promise.all([this.withHandle(path, (handle) => this.listDirectory(handle)), this.getattr(path)]);
    // Listed as every directory lists them; libfuse numbers them itself.
    const names: string[] = ['.', '..'];
    const stats: FuseStat[] = [self, self];
    for (const entry of entries) {
      names.push(entry.name);
      stats.push(this.toStat(entry.attributes));
      this.handles.set(childPath(path, entry.name), entry.handle);
    }
    return { names, stats };
  }

  private async listDirectory(handle: Buffer): Promise<Array<{ name: string; handle: Buffer; attributes: Fattr3 }>> {
    const entries: Array<{ name: string; handle: Buffer; attributes: Fattr3 }> = [];
    let cookie = 0n;
    let verifier: Buffer = Buffer.alloc(8);
    for (;;) {
      const batch = await this.nfs.readdirplus(handle, cookie, verifier, 8192, 256 * 1024);
      for (const entry of batch.entries) {
        cookie = entry.cookie;
        if (entry.name === '.' || entry.name === '..') continue;
        let { handle: entryHandle, attributes } = entry;
        if (entryHandle === undefined) entryHandle = (await this.nfs.lookup(handle, entry.name)).handle;
        attributes ??= await this.nfs.getattr(entryHandle);
        entries.push({ name: entry.name, handle: entryHandle, attributes });
      }
      verifier = batch.cookieVerifier;
      if (batch.eof || batch.entries.length === 0) return entries;
    }
  }

  private async mkdir(path: string, mode: number): Promise<void> {
    this.requireWritable(`mkdir ${path}`);
    const { parent, name } = splitPath(path);
    const made = await this.withHandle(parent, (dir) => this.nfs.mkdir(dir, name, { mode: mode & 0o7777 }));
    if (made.handle) this.handles.set(path, made.handle);
  }

  private async remove(path: string, kind: 'file' | 'directory'): Promise<void> {
    this.requireWritable(`remove ${path}`);
    const { parent, name } = splitPath(path);
    await this.withHandle(parent, (dir) => (kind === 'file' ? this.nfs.remove(dir, name) : this.nfs.rmdir(dir, name)));
    this.forget(path);
  }

  private async rename(from: string, to: string): Promise<void> {
    this.requireWritable(`rename ${from}`);
    const source = splitPath(from);
    const target = splitPath(to);
    const sourceDir = await this.lookup(source.parent);
    const targetDir = await this.lookup(target.parent);
    await this.nfs.rename(sourceDir, source.name, targetDir, target.name);
    this.forget(from);
    this.forget(to);
  }

  private async symlink(target: string, path: string): Promise<void> {
    this.requireWritable(`symlink ${path}`);
    const { parent, name } = splitPath(path);
    await this.withHandle(parent, (dir) => this.nfs.symlink(dir, name, target));
  }

  private readlink(path: string): Promise<string> {
    return this.withHandle(path, (handle) => this.nfs.readlink(handle));
  }

  // ---- files --------------------------------------------------------------------

  private async openFile(path: string, flags: number): Promise<number> {
    const writable = (flags & O_ACCMODE) !== O_RDONLY;
    if (writable) this.requireWritable(`open ${path} for writing`);
    const handle = await this.lookup(path);
    return this.register(path, handle, writable);
  }

  private async create(path: string, mode: number): Promise<number> {
    this.requireWritable(`create ${path}`);
    const { parent, name } = splitPath(path);
    const created = await this.withHandle(parent, (dir) => this.nfs.create(dir, name, { mode: 'guarded', attributes: { mode: mode & 0o7777 } }));
    const handle = created.handle ?? (await this.nfs.lookup(await this.lookup(parent), name)).handle;
    this.handles.set(path, handle);
    return this.register(path, handle, true);
  }

  private register(path: string, handle: Buffer, writable: boolean): number {
    const fd = this.nextFd++;
    const { readAhead, writeBehind } = this.options;
    this.open.set(fd, {
      path,
      handle,
      writable,
      reader: new ReadAhead(this.nfs, handle, readAhead),
      writer: writable ? new WriteBehind(this.nfs, handle, writeBehind) : undefined,
    });
    return fd;
  }

  private file(fd: number, what: string): OpenFile {
    const file = this.open.get(fd);
    if (file === undefined) throw fsErrors.badDescriptor(what);
    return file;
  }

  private async read(fd: number, buffer: Buffer, length: number, position: number): Promise<number> {
    const file = this.file(fd, 'read');
    // The server must have what this file wrote before it is read back.
    if (file.writer?.dirty) await file.writer.settle();
    return file.reader.read(position, length, buffer);
  }

  private async write(fd: number, buffer: Buffer, length: number, position: number): Promise<number> {
    const file = this.file(fd, 'write');
    if (!file.writer) throw this.options.readOnly ? fsErrors.readOnly('write') : fsErrors.badDescriptor('write on a file opened for reading');
    file.reader.invalidate();
    await file.writer.write(position, length === buffer.length ? buffer : buffer.subarray(0, length));
    return length;
  }

  private async flush(fd: number): Promise<void> {
    await this.file(fd, 'flush').writer?.flush();
  }

  private async release(fd: number): Promise<void> {
    const file = this.open.get(fd);
    if (file === undefined) return;
    try {
      await file.writer?.flush();
    } finally {
      this.open.delete(fd);
    }
  }

  private async ftruncate(fd: number, size: number): Promise<void> {
    const file = this.file(fd, 'truncate');
    this.requireWritable(`truncate ${file.path}`);
    await file.writer?.settle();
    file.reader.invalidate();
    await this.nfs.setattr(file.handle, { size });
    if (file.writer) file.writer.dirtyEnd = Math.min(file.writer.dirtyEnd, size);
  }

  private requireWritable(what: string): void {
    if (this.options.readOnly) throw fsErrors.readOnly(what);
  }
}

function splitPath(path: string): { parent: string; name: string } {
  const slash = path.lastIndexOf('/');
  const name = path.slice(slash + 1);
  if (name === '' || name === '.' || name === '..') throw fsErrors.invalid(`${path}: not a name that can be looked up`);
  return { parent: slash <= 0 ? '/' : path.slice(0, slash), name };
}

function childPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

function dateOf(time: { seconds: number; nseconds: number }): Date {
  return new Date(time.seconds * 1000 + Math.floor(time.nseconds / 1e6));
}

function nfsTime(date: Date): { seconds: number; nseconds: number } {
  const ms = date.getTime();
  return { seconds: Math.floor(ms / 1000), nseconds: (ms % 1000) * 1e6 };
}
