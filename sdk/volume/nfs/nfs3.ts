import { NfsError, XdrError } from './errors';
import {
  NFS3_VERIFIER_SIZE,
  readFattr3,
  readFileHandle,
  readNfsTime,
  readPostOpAttr,
  readPostOpFileHandle,
  readWccData,
  writeDirOpArgs,
  writeFileHandle,
  writeNfsTime,
  writeSattr3,
  type DirEntryPlus,
  type Fattr3,
  type FsInfo,
  type FsStat,
  type NfsTime,
  type PathConf,
  type Sattr3,
  type StableHow,
  type WccData,
} from './nfs3-types';
import type { RpcConnection } from './rpc-connection';
import type { OpaqueAuth } from './rpc-message';
import type { XdrReader, XdrWriter } from './xdr';

/**
 * The NFSv3 procedures (RFC 1813, program 100003 version 3) as typed calls on file handles.
 * A non-zero nfsstat3 becomes an NfsError; anything else is returned as the server sent it.
 * Paths, symlinks and windows are the business of NfsClient, which is built on this.
 */

export const NFS_PROGRAM = 100003;
export const NFS_V3 = 3;

const PROC = {
  NULL: 0,
  GETATTR: 1,
  SETATTR: 2,
  LOOKUP: 3,
  ACCESS: 4,
  READLINK: 5,
  READ: 6,
  WRITE: 7,
  CREATE: 8,
  MKDIR: 9,
  SYMLINK: 10,
  REMOVE: 12,
  RMDIR: 13,
  RENAME: 14,
  READDIRPLUS: 17,
  FSSTAT: 18,
  FSINFO: 19,
  PATHCONF: 20,
  COMMIT: 21,
} as const;
type ProcedureName = keyof typeof PROC;

/** Procedures whose second run does what the first did, so they may be sent again after a reconnect. */
const IDEMPOTENT: ReadonlySet<ProcedureName> = new Set<ProcedureName>([
  'NULL',
  'GETATTR',
  'SETATTR',
  'LOOKUP',
  'ACCESS',
  'READLINK',
  'READ',
  'WRITE',
  'READDIRPLUS',
  'FSSTAT',
  'FSINFO',
  'PATHCONF',
  'COMMIT',
]);

/** createhow3: UNCHECKED (0) and GUARDED (1) carry attributes; EXCLUSIVE (2) a verifier. */
export type CreateHow = { mode: 'unchecked' | 'guarded'; attributes: Sattr3 } | { mode: 'exclusive'; verifier: Buffer };

export interface LookupResult {
  handle: Buffer;
  attributes?: Fattr3;
  dirAttributes?: Fattr3;
}

export interface ReadResult {
  data: Buffer;
  eof: boolean;
  attributes?: Fattr3;
}

export interface WriteResult {
  count: number;
  committed: StableHow;
  verifier: Buffer;
  wcc: WccData;
}

export interface CreateResult {
  /** The server may leave the handle out; then a LOOKUP finds it. */
  handle?: Buffer;
  attributes?: Fattr3;
  dirWcc: WccData;
}

export interface ReaddirPlusResult {
  entries: DirEntryPlus[];
  eof: boolean;
  cookieVerifier: Buffer;
  dirAttributes?: Fattr3;
}

export const ZERO_VERIFIER: Buffer = Buffer.alloc(NFS3_VERIFIER_SIZE);

export class Nfs3 {
  constructor(
    private readonly connection: RpcConnection,
    private readonly credential: OpaqueAuth,
    /** Per call; undefined keeps the connection's default. */
    private readonly timeoutMs?: number,
  ) {}

  private async call(name: ProcedureName, writeArgs?: (w: XdrWriter) => void): Promise<XdrReader> {
    return this.connection.call(
      { program: NFS_PROGRAM, version: NFS_V3, procedure: PROC[name], name },
      this.credential,
      writeArgs,
      { idempotent: IDEMPOTENT.has(name), ...(this.timeoutMs !== undefined && { timeoutMs: this.timeoutMs }) },
    );
  }

  /** Reads the nfsstat3 that starts every result; the failure arm's attributes are not needed by callers. */
  private async callOk(name: ProcedureName, writeArgs?: (w: XdrWriter) => void): Promise<XdrReader> {
    const reader = await this.call(name, writeArgs);
    const status = reader.uint32();
    if (status !== 0) throw new NfsError(status, name);
    return reader;
  }

  async null(): Promise<void> {
    (await this.call('NULL')).end();
  }

  async getattr(handle: Buffer): Promise<Fattr3> {
    const r = await this.callOk('GETATTR', (w) => writeFileHandle(w, handle));
    return readFattr3(r);
  }

  /** With `guardCtime`, the server changes nothing unless the file's ctime still equals it (NFS3ERR_NOT_SYNC). */
  async setattr(handle: Buffer, attributes: Sattr3, guardCtime?: NfsTime): Promise<WccData> {
    const r = await this.callOk('SETATTR', (w) => {
      writeFileHandle(w, handle);
      writeSattr3(w, attributes);
      w.optional(guardCtime, writeNfsTime);
    });
    return readWccData(r);
  }

  async lookup(dir: Buffer, name: string): Promise<LookupResult> {
    const r = await this.callOk('LOOKUP', (w) => writeDirOpArgs(w, dir, name));
    const handle = readFileHandle(r);
    const attributes = readPostOpAttr(r);
    const dirAttributes = readPostOpAttr(r);
    return { handle, ...(attributes && { attributes }), ...(dirAttributes && { dirAttributes }) };
  }

  /** Which of the `mask` bits (Access3) the caller's credential is granted on the object. */
  async access(handle: Buffer, mask: number): Promise<{ access: number; attributes?: Fattr3 }> {
    const r = await this.callOk('ACCESS', (w) => {
      writeFileHandle(w, handle);
      w.uint32(mask);
    });
    const attributes = readPostOpAttr(r);
    return { access: r.uint32(), ...(attributes && { attributes }) };
  }

  async readlink(handle: Buffer): Promise<string> {
    const r = await this.callOk('READLINK', (w) => writeFileHandle(w, handle));
    readPostOpAttr(r);
    return r.string();
  }

  /** The data is a view of the reply record, not a copy. */
  async read(handle: Buffer, offset: number, count: number): Promise<ReadResult> {
    const r = await this.callOk('READ', (w) => {
      writeFileHandle(w, handle);
      w.uint64(offset).uint32(count);
    });
    const attributes = readPostOpAttr(r);
    r.uint32();
    const eof = r.bool();
    const data = r.opaque();
    return { data, eof, ...(attributes && { attributes }) };
  }

  /** The data is sent from the caller's buffer without a copy; the server may write fewer bytes than given. */
  async write(handle: Buffer, offset: number, data: Buffer, stable: StableHow): Promise<WriteResult> {
    const r = await this.callOk('WRITE', (w) => {
      writeFileHandle(w, handle);
      w.uint64(offset).uint32(data.length).enum(stable).opaque(data);
    });
    const wcc = readWccData(r);
    const count = r.uint32();
    const committed = r.enum();
    if (committed !== 0 && committed !== 1 && committed !== 2) throw new XdrError(`unknown stable_how ${committed}`);
    const verifier = Buffer.from(r.fixedOpaque(NFS3_VERIFIER_SIZE));
    return { count, committed, verifier, wcc };
  }

  async create(dir: Buffer, name: string, how: CreateHow): Promise<CreateResult> {
    return this.readCreated(
      await this.callOk('CREATE', (w) => {
        writeDirOpArgs(w, dir, name);
        if (how.mode === 'exclusive') w.union(2, () => w.fixedOpaque(how.verifier, NFS3_VERIFIER_SIZE));
        else w.union(how.mode === 'guarded' ? 1 : 0, () => writeSattr3(w, how.attributes));
      }),
    );
  }

  async mkdir(dir: Buffer, name: string, attributes: Sattr3): Promise<CreateResult> {
    return this.readCreated(
      await this.callOk('MKDIR', (w) => {
        writeDirOpArgs(w, dir, name);
        writeSattr3(w, attributes);
      }),
    );
  }

  async symlink(dir: Buffer, name: string, target: string, attributes: Sattr3 = {}): Promise<CreateResult> {
    return this.readCreated(
      await this.callOk('SYMLINK', (w) => {
        writeDirOpArgs(w, dir, name);
        writeSattr3(w, attributes);
        w.string(target);
      }),
    );
  }

  private readCreated(r: XdrReader): CreateResult {
    const handle = readPostOpFileHandle(r);
    const attributes = readPostOpAttr(r);
    return { ...(handle && { handle }), ...(attributes && { attributes }), dirWcc: readWccData(r) };
  }

  async remove(dir: Buffer, name: string): Promise<WccData> {
    return readWccData(await this.callOk('REMOVE', (w) => writeDirOpArgs(w, dir, name)));
  }

  async rmdir(dir: Buffer, name: string): Promise<WccData> {
    return readWccData(await this.callOk('RMDIR', (w) => writeDirOpArgs(w, dir, name)));
  }

  async rename(fromDir: Buffer, fromName: string, toDir: Buffer, toName: string): Promise<{ fromDirWcc: WccData; toDirWcc: WccData }> {
    const r = await this.callOk('RENAME', (w) => {
      writeDirOpArgs(w, fromDir, fromName);
      writeDirOpArgs(w, toDir, toName);
    });
    return { fromDirWcc: readWccData(r), toDirWcc: readWccData(r) };
  }

  /**
   * One batch of a directory's entries with their attributes and handles. Start with cookie 0
   * and the zero verifier; continue with the last entry's cookie and the returned verifier.
   */
  async readdirplus(dir: Buffer, cookie: bigint, cookieVerifier: Buffer, dirCount: number, maxCount: number): Promise<ReaddirPlusResult> {
    const r = await this.callOk('READDIRPLUS', (w) => {
      writeFileHandle(w, dir);
      w.uint64(cookie).fixedOpaque(cookieVerifier, NFS3_VERIFIER_SIZE).uint32(dirCount).uint32(maxCount);
    });
    const dirAttributes = readPostOpAttr(r);
    const verifier = Buffer.from(r.fixedOpaque(NFS3_VERIFIER_SIZE));
    const entries: DirEntryPlus[] = [];
    while (r.bool()) {
      const fileid = r.uint64();
      const name = r.string();
      const entryCookie = r.uint64();
      const attributes = readPostOpAttr(r);
      const handle = readPostOpFileHandle(r);
      entries.push({ fileid, name, cookie: entryCookie, ...(attributes && { attributes }), ...(handle && { handle }) });
    }
    const eof = r.bool();
    return { entries, eof, cookieVerifier: verifier, ...(dirAttributes && { dirAttributes }) };
  }

  async fsstat(root: Buffer): Promise<FsStat> {
    const r = await this.callOk('FSSTAT', (w) => writeFileHandle(w, root));
    const attributes = readPostOpAttr(r);
    return {
      ...(attributes && { attributes }),
      totalBytes: r.uint64(),
      freeBytes: r.uint64(),
      availableBytes: r.uint64(),
      totalFiles: r.uint64(),
      freeFiles: r.uint64(),
      availableFiles: r.uint64(),
      invarSeconds: r.uint32(),
    };
  }

  async fsinfo(root: Buffer): Promise<FsInfo> {
    const r = await this.callOk('FSINFO', (w) => writeFileHandle(w, root));
    const attributes = readPostOpAttr(r);
    return {
      ...(attributes && { attributes }),
      rtmax: r.uint32(),
      rtpref: r.uint32(),
      rtmult: r.uint32(),
      wtmax: r.uint32(),
      wtpref: r.uint32(),
      wtmult: r.uint32(),
      dtpref: r.uint32(),
      maxFileSize: r.uint64(),
      timeDelta: readNfsTime(r),
      properties: r.uint32(),
    };
  }

  async pathconf(handle: Buffer): Promise<PathConf> {
    const r = await this.callOk('PATHCONF', (w) => writeFileHandle(w, handle));
    const attributes = readPostOpAttr(r);
    return {
      ...(attributes && { attributes }),
      linkMax: r.uint32(),
      nameMax: r.uint32(),
      noTrunc: r.bool(),
      chownRestricted: r.bool(),
      caseInsensitive: r.bool(),
      casePreserving: r.bool(),
    };
  }

  /** Makes UNSTABLE writes in [offset, offset+count) durable; count 0 means "to the end of the file". */
  async commit(handle: Buffer, offset = 0, count = 0): Promise<{ verifier: Buffer; wcc: WccData }> {
    const r = await this.callOk('COMMIT', (w) => {
      writeFileHandle(w, handle);
      w.uint64(offset).uint32(count);
    });
    const wcc = readWccData(r);
    return { verifier: Buffer.from(r.fixedOpaque(NFS3_VERIFIER_SIZE)), wcc };
  }
}
