import { Readable, Writable } from 'node:stream';
import { NfsError, NfsPathError, NfsSymlinkError, Nfs3Status, isNfsError } from './errors';
import type { MountClient } from './mount';
import { ZERO_VERIFIER, type Nfs3 } from './nfs3';
import type { DirEntryPlus, Fattr3, FileType, FsInfo, FsStat, PathConf, Sattr3 } from './nfs3-types';
import { readWindow } from './read-window';
import { PathResolver, pathComponents, withPath, type ResolveOptions, type ResolvedNode } from './resolve-path';
import type { RpcConnection } from './rpc-connection';
import { WriteWindow, type WriteStability } from './write-window';

/**
 * The file-system view of one mounted export. Every path is relative to the export's root
 * ("/" or "" is the root; a leading "/" is optional) and is walked with LOOKUP; symbolic links
 * are only followed with `followSymlinks: true` (see PathResolver).
 */

export type NfsStats = Fattr3;

export interface NfsDirEntry {
  name: string;
  type: FileType;
  attributes: Fattr3;
  handle: Buffer;
}

export interface MkdirOptions extends ResolveOptions {
  /** Create missing parents and succeed when the directory exists (`mkdir -p`). */
  recursive?: boolean;
  /** Permission bits of created directories. Default 0o755. */
  mode?: number;
}

export interface WriteFileOptions extends ResolveOptions {
  /** Permission bits when the file is created. Default 0o644. */
  mode?: number;
  /** Fail with NFS3ERR_EXIST when the file exists instead of truncating it. */
  exclusive?: boolean;
  /** 'unstable' (default) sends UNSTABLE WRITEs and COMMITs at the end; 'file_sync' makes every WRITE durable. */
  stable?: WriteStability;
  /** WRITEs outstanding at once; default the client's writeWindow. */
  window?: number;
}

export interface ReadOptions extends ResolveOptions {
  /** First byte to read. Default 0. */
  start?: number;
  /** One past the last byte to read. Default: to the end of the file. */
  end?: number;
  /** READs outstanding at once; default the client's readWindow. */
  window?: number;
}

export interface RmOptions {
  /** Remove directories and everything in them. */
  recursive?: boolean;
  /** Succeed when the path does not exist. */
  force?: boolean;
}

export interface NfsClientParts {
  host: string;
  exportPath: string;
  urlPath: string;
  nfs: Nfs3;
  mount: MountClient;
  connections: RpcConnection[];
  root: { handle: Buffer; attributes: Fattr3 };
  fsInfo: FsInfo;
  readWindow: number;
  writeWindow: number;
  maxTransferSize: number;
}

/**
 * The preferred size when the server gives one, else its maximum, never more than `cap`:
 * ganesha prefers 64 MiB, which would leave one READ per file and nothing to overlap.
 */
function transferSize(preferred: number, max: number, cap: number): number {
  const size = preferred > 0 ? preferred : max > 0 ? max : 65536;
  return Math.max(512, Math.min(size, max > 0 ? max : size, cap));
}

/** Entries removed at once while emptying a directory. */
const REMOVE_CONCURRENCY = 16;
/** READDIRPLUS reply size asked for; the server may send less. */
const READDIR_MAX_BYTES = 256 * 1024;

export class NfsClient {
  readonly host: string;
  /** The server path that was mounted. */
  readonly exportPath: string;
  /** The path inside the export that the URL named ("/" when it named the export itself). */
  readonly urlPath: string;
  /** FSINFO of the export: rtpref and wtpref size the READs and WRITEs. */
  readonly fsInfo: FsInfo;
  /** The procedures themselves, on file handles, for what the path API does not cover. */
  readonly nfs: Nfs3;
  readonly rootHandle: Buffer;
  private readonly mount: MountClient;
  private readonly connections: RpcConnection[];
  private readonly resolver: PathResolver;
  private readonly readWindowSize: number;
  private readonly writeWindowSize: number;
  private readonly maxTransferSize: number;
  private closed = false;

  constructor(parts: NfsClientParts) {
    this.host = parts.host;
    this.exportPath = parts.exportPath;
    this.urlPath = parts.urlPath;
    this.fsInfo = parts.fsInfo;
    this.nfs = parts.nfs;
    this.mount = parts.mount;
    this.connections = parts.connections;
    this.rootHandle = parts.root.handle;
    this.resolver = new PathResolver(parts.nfs, parts.root);
    this.readWindowSize = parts.readWindow;
    this.writeWindowSize = parts.writeWindow;
    this.maxTransferSize = parts.maxTransferSize;
  }

  /** Bytes per READ: the server's preferred size, capped by maxTransferSize. */
  get readChunkSize(): number {
    return transferSize(this.fsInfo.rtpref, this.fsInfo.rtmax, this.maxTransferSize);
  }

  /** Bytes per WRITE: the server's preferred size, capped by maxTransferSize. */
  get writeChunkSize(): number {
    return transferSize(this.fsInfo.wtpref, this.fsInfo.wtmax, this.maxTransferSize);
  }

  /** Walks `path`; without followSymlinks a link at the end is returned as the link itself. */
  resolve(path: string, options: ResolveOptions = {}): Promise<ResolvedNode> {
    return this.resolver.resolve(path, options);
  }

  /** The attributes of `path` (of the link itself when it is one and followSymlinks is off, as lstat). */
  async stat(path: string, options: ResolveOptions = {}): Promise<NfsStats> {
    return (await this.resolver.resolve(path, options)).attributes;
  }

  async exists(path: string, options: ResolveOptions = {}): Promise<boolean> {
    try {
      await this.resolver.resolve(path, options);
      return true;
    } catch (error) {
      if (isNfsError(error, Nfs3Status.NFS3ERR_NOENT)) return false;
      throw error;
    }
  }

  async readlink(path: string): Promise<string> {
    const node = await this.resolver.resolve(path);
    if (node.attributes.type !== 'symlink') throw new NfsError(Nfs3Status.NFS3ERR_INVAL, 'READLINK', path);
    return withPath(path, this.nfs.readlink(node.handle));
  }

  /** Which of the ACCESS3 bits in `mask` the client's credential is granted on `path`. */
  async access(path: string, mask: number, options: ResolveOptions = {}): Promise<number> {
    const node = await this.resolver.resolve(path, options);
    return (await withPath(path, this.nfs.access(node.handle, mask))).access;
  }

  /** The entries of a directory, without "." and "..", in the server's order. */
  async readdir(path: string, options: ResolveOptions = {}): Promise<NfsDirEntry[]> {
    const dir = await this.resolver.resolve(path, options);
    if (dir.attributes.type !== 'directory') throw new NfsError(Nfs3Status.NFS3ERR_NOTDIR, 'READDIRPLUS', path);
    return this.listDirectory(dir.handle, path);
  }

  private async listDirectory(handle: Buffer, path: string): Promise<NfsDirEntry[]> {
    const entries: NfsDirEntry[] = [];
    let cookie = 0n;
    let verifier = ZERO_VERIFIER;
    const dirCount = Math.max(4096, this.fsInfo.dtpref || 8192);
    const maxCount = Math.max(dirCount, Math.min(this.fsInfo.rtmax || READDIR_MAX_BYTES, READDIR_MAX_BYTES));
    for (;;) {
      const batch = await withPath(path, this.nfs.readdirplus(handle, cookie, verifier, dirCount, maxCount));
      for (const entry of batch.entries) {
        cookie = entry.cookie;
        if (entry.name === '.' || entry.name === '..') continue;
        entries.push(await this.completeEntry(handle, path, entry));
      }
      verifier = batch.cookieVerifier;
      if (batch.eof) return entries;
      if (batch.entries.length === 0) throw new NfsError(Nfs3Status.NFS3ERR_TOOSMALL, 'READDIRPLUS', path);
    }
  }

  /** A server may leave out an entry's handle or attributes; LOOKUP fills them in. */
  private async completeEntry(dir: Buffer, path: string, entry: DirEntryPlus): Promise<NfsDirEntry> {
    if (entry.attributes && entry.handle) return { name: entry.name, type: entry.attributes.type, attributes: entry.attributes, handle: entry.handle };
    const found = await withPath(path, this.nfs.lookup(dir, entry.name));
    const attributes = found.attributes ?? (await withPath(path, this.nfs.getattr(found.handle)));
    return { name: entry.name, type: attributes.type, attributes, handle: found.handle };
  }

  /** Creates a directory; with `recursive`, its missing parents too, and an existing directory is fine. */
  async mkdir(path: string, options: MkdirOptions = {}): Promise<void> {
    const mode = options.mode ?? 0o755;
    if (!options.recursive) {
      const { dir, name } = await this.resolver.resolveParent(path, options);
      await withPath(path, this.nfs.mkdir(dir.handle, name, { mode }));
      return;
    }
    const follow = options.followSymlinks ?? false;
    let current = await this.resolver.resolve('/');
    for (const name of pathComponents(path)) {
      current = await this.resolver.resolve(`${current.path}/${name}`, { followSymlinks: follow }).catch(async (error: unknown) => {
        if (!isNfsError(error, Nfs3Status.NFS3ERR_NOENT)) throw error;
        await withPath(path, this.nfs.mkdir(current.handle, name, { mode })).catch((made: unknown) => {
          // Another client made it between our LOOKUP and MKDIR: what matters is that it exists.
          if (!isNfsError(made, Nfs3Status.NFS3ERR_EXIST)) throw made;
        });
        return this.resolver.resolve(`${current.path}/${name}`, { followSymlinks: follow });
      });
      if (current.attributes.type === 'symlink') throw new NfsSymlinkError(path, current.path, 'not-followed');
      if (current.attributes.type !== 'directory') throw new NfsError(Nfs3Status.NFS3ERR_NOTDIR, 'MKDIR', path);
    }
  }

  async readFile(path: string, options: ReadOptions = {}): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const chunk of this.readChunks(path, options)) parts.push(chunk);
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** A file's bytes in order, with a window of READs in flight. */
  async *readChunks(path: string, options: ReadOptions = {}): AsyncGenerator<Buffer, void, undefined> {
    const node = await this.resolver.resolve(path, options);
    if (node.attributes.type === 'symlink') throw new NfsSymlinkError(path, node.path, 'not-followed');
    if (node.attributes.type === 'directory') throw new NfsError(Nfs3Status.NFS3ERR_ISDIR, 'READ', path);
    const chunks = readWindow(this.nfs, node.handle, {
      ...(options.start !== undefined && { start: options.start }),
      ...(options.end !== undefined && { end: options.end }),
      chunkSize: this.readChunkSize,
      window: options.window ?? this.readWindowSize,
      sizeHint: node.attributes.size,
    });
    try {
      for (;;) {
        const next = await withPath(path, chunks.next());
        if (next.done) return;
        yield next.value;
      }
    } finally {
      await chunks.return();
    }
  }

  /** A Readable of the file; it buffers up to a window of chunks so READs keep flowing while the consumer is busy. */
  createReadStream(path: string, options: ReadOptions = {}): Readable {
    const highWaterMark = this.readChunkSize * (options.window ?? this.readWindowSize);
    return Readable.from(this.readChunks(path, options), { objectMode: false, highWaterMark });
  }

  /** Creates or truncates `path` and writes `data` to it. */
  async writeFile(path: string, data: Buffer | Uint8Array | string, options: WriteFileOptions = {}): Promise<void> {
    const window = await this.openForWrite(path, options);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    await withPath(path, window.write(bytes));
    await withPath(path, window.finish());
  }

  /** A Writable that creates or truncates `path`, keeps a window of WRITEs in flight, and COMMITs when it ends. */
  createWriteStream(path: string, options: WriteFileOptions = {}): Writable {
    let window: WriteWindow | undefined;
    const errorOf = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));
    // A window's worth of buffering lets the source keep reading while WRITEs are on the wire.
    const highWaterMark = this.writeChunkSize * (options.window ?? this.writeWindowSize);
    return new Writable({
      highWaterMark,
      construct: (callback) => {
        this.openForWrite(path, options).then(
          (opened) => {
            window = opened;
            callback();
          },
          (error: unknown) => callback(errorOf(error)),
        );
      },
      write: (chunk: Buffer, _encoding, callback) => {
        withPath(path, window!.write(chunk)).then(() => callback(), (error: unknown) => callback(errorOf(error)));
      },
      final: (callback) => {
        withPath(path, window!.finish()).then(() => callback(), (error: unknown) => callback(errorOf(error)));
      },
    });
  }

  /** Finds or creates the regular file at `path`, truncates it, and returns a write window on it. */
  private async openForWrite(path: string, options: WriteFileOptions): Promise<WriteWindow> {
    const { dir, name } = await this.resolver.resolveParent(path, options);
    const handle = await this.createOrTruncate(path, dir.handle, name, options);
    return new WriteWindow(this.nfs, handle, {
      chunkSize: this.writeChunkSize,
      window: options.window ?? this.writeWindowSize,
      stable: options.stable ?? 'unstable',
    });
  }

  private async createOrTruncate(path: string, dir: Buffer, name: string, options: WriteFileOptions): Promise<Buffer> {
    try {
      const created = await this.nfs.create(dir, name, { mode: 'guarded', attributes: { mode: options.mode ?? 0o644 } });
      return created.handle ?? (await withPath(path, this.nfs.lookup(dir, name))).handle;
    } catch (error) {
      if (!isNfsError(error, Nfs3Status.NFS3ERR_EXIST) || options.exclusive) throw isNfsError(error) ? new NfsError(error.status, error.procedure, path) : error;
    }
    const existing = await this.resolver.resolve(path, options);
    if (existing.attributes.type === 'symlink') throw new NfsSymlinkError(path, existing.path, 'not-followed');
    if (existing.attributes.type === 'directory') throw new NfsError(Nfs3Status.NFS3ERR_ISDIR, 'CREATE', path);
    if (existing.attributes.type !== 'file') throw new NfsError(Nfs3Status.NFS3ERR_INVAL, 'CREATE', path);
    if (existing.attributes.size !== 0) await withPath(path, this.nfs.setattr(existing.handle, { size: 0 }));
    return existing.handle;
  }

  /** Removes a file or link (never what a link points to); a directory needs `recursive`. */
  async rm(path: string, options: RmOptions = {}): Promise<void> {
    if (pathComponents(path).length === 0) throw new NfsPathError(path, 'is the export root, which cannot be removed');
    let target: { dir: ResolvedNode; name: string; handle: Buffer; attributes: Fattr3 };
    try {
      const { dir, name } = await this.resolver.resolveParent(path);
      // The last component is looked up, never followed: a link is removed, not its target.
      const found = await withPath(path, this.nfs.lookup(dir.handle, name));
      const attributes = found.attributes ?? (await withPath(path, this.nfs.getattr(found.handle)));
      target = { dir, name, handle: found.handle, attributes };
    } catch (error) {
      if (options.force && isNfsError(error, Nfs3Status.NFS3ERR_NOENT)) return;
      throw error;
    }
    const { dir, name, handle, attributes } = target;
    if (attributes.type === 'directory') {
      if (!options.recursive) throw new NfsError(Nfs3Status.NFS3ERR_ISDIR, 'REMOVE', path);
      await this.emptyDirectory(handle, dir.path === '/' ? `/${name}` : `${dir.path}/${name}`);
      await withPath(path, this.nfs.rmdir(dir.handle, name));
      return;
    }
    await withPath(path, this.nfs.remove(dir.handle, name));
  }

  /** Removes an empty directory; NFS3ERR_NOTEMPTY otherwise. */
  async rmdir(path: string): Promise<void> {
    const { dir, name } = await this.resolver.resolveParent(path);
    await withPath(path, this.nfs.rmdir(dir.handle, name));
  }

  private async emptyDirectory(handle: Buffer, path: string): Promise<void> {
    const entries = await this.listDirectory(handle, path);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < entries.length) {
        const entry = entries[next++]!;
        const entryPath = `${path === '/' ? '' : path}/${entry.name}`;
        if (entry.type === 'directory') {
          await this.emptyDirectory(entry.handle, entryPath);
          await withPath(entryPath, this.nfs.rmdir(handle, entry.name));
        } else {
          await withPath(entryPath, this.nfs.remove(handle, entry.name));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(REMOVE_CONCURRENCY, entries.length) }, worker));
  }

  async rename(from: string, to: string): Promise<void> {
    const source = await this.resolver.resolveParent(from);
    const target = await this.resolver.resolveParent(to);
    await withPath(from, this.nfs.rename(source.dir.handle, source.name, target.dir.handle, target.name));
  }

  /** Creates a symbolic link at `path` whose content is `target` (which is not checked or resolved). */
  async symlink(target: string, path: string): Promise<void> {
    const { dir, name } = await this.resolver.resolveParent(path);
    await withPath(path, this.nfs.symlink(dir.handle, name, target));
  }

  async setattr(path: string, attributes: Sattr3, options: ResolveOptions = {}): Promise<void> {
    const node = await this.resolver.resolve(path, options);
    await withPath(path, this.nfs.setattr(node.handle, attributes));
  }

  async chmod(path: string, mode: number, options: ResolveOptions = {}): Promise<void> {
    await this.setattr(path, { mode }, options);
  }

  fsstat(): Promise<FsStat> {
    return this.nfs.fsstat(this.rootHandle);
  }

  async pathconf(path = '/'): Promise<PathConf> {
    const node = await this.resolver.resolve(path);
    return withPath(path, this.nfs.pathconf(node.handle));
  }

  /** Unmounts (UMNT) and closes the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.mount.umnt(this.exportPath);
    } catch {
      // The server forgets mounts on its own; a failed UMNT must not keep the connections open.
    }
    await Promise.all(this.connections.map((connection) => connection.close()));
  }
}
