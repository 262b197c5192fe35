import { XdrError } from './errors';
import type { XdrReader, XdrWriter } from './xdr';

/** The NFSv3 data types (RFC 1813, section 2.5) and their XDR codecs. */

/** A file handle is opaque<NFS3_FHSIZE>. */
export const NFS3_FHSIZE = 64;
/** cookieverf3, createverf3 and writeverf3 are opaque[8]. */
export const NFS3_VERIFIER_SIZE = 8;

export type FileType = 'file' | 'directory' | 'block-device' | 'char-device' | 'symlink' | 'socket' | 'fifo';
/** ftype3: NF3REG = 1 ... NF3FIFO = 7. */
const FILE_TYPES: readonly FileType[] = ['file', 'directory', 'block-device', 'char-device', 'symlink', 'socket', 'fifo'];

export interface NfsTime {
  seconds: number;
  nseconds: number;
}

/** fattr3: a file's attributes as the server reports them. */
export interface Fattr3 {
  type: FileType;
  /** Permission and set-id bits (the low 12 bits of the mode). */
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  size: number;
  /** Bytes of disk the file uses. */
  used: number;
  rdev: { major: number; minor: number };
  fsid: bigint;
  fileid: bigint;
  atime: NfsTime;
  mtime: NfsTime;
  ctime: NfsTime;
}

/** wcc_attr: the attributes a server reports from before an operation. */
export interface WccAttr {
  size: number;
  mtime: NfsTime;
  ctime: NfsTime;
}

/** wcc_data: attributes before and after a change, each only when the server sent it. */
export interface WccData {
  before?: WccAttr;
  after?: Fattr3;
}

/** sattr3: the attributes to set; a field left out is not changed. "server" sets a time to the server's clock. */
export interface Sattr3 {
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  atime?: NfsTime | 'server';
  mtime?: NfsTime | 'server';
}

export function readNfsTime(r: XdrReader): NfsTime {
  return { seconds: r.uint32(), nseconds: r.uint32() };
}

export function writeNfsTime(w: XdrWriter, time: NfsTime): void {
  w.uint32(time.seconds).uint32(time.nseconds);
}

export function readFattr3(r: XdrReader): Fattr3 {
  const typeCode = r.enum();
  const type = FILE_TYPES[typeCode - 1];
  if (type === undefined) throw new XdrError(`unknown ftype3 ${typeCode}`);
  return {
    type,
    mode: r.uint32() & 0o7777,
    nlink: r.uint32(),
    uid: r.uint32(),
    gid: r.uint32(),
    size: r.uint64Number(),
    used: r.uint64Number(),
    rdev: { major: r.uint32(), minor: r.uint32() },
    fsid: r.uint64(),
    fileid: r.uint64(),
    atime: readNfsTime(r),
    mtime: readNfsTime(r),
    ctime: readNfsTime(r),
  };
}

/** post_op_attr */
export function readPostOpAttr(r: XdrReader): Fattr3 | undefined {
  return r.optional(readFattr3);
}

function readWccAttr(r: XdrReader): WccAttr {
  return { size: r.uint64Number(), mtime: readNfsTime(r), ctime: readNfsTime(r) };
}

export function readWccData(r: XdrReader): WccData {
  const before = r.optional(readWccAttr);
  const after = readPostOpAttr(r);
  return { ...(before && { before }), ...(after && { after }) };
}

export function readFileHandle(r: XdrReader): Buffer {
  return Buffer.from(r.opaque(NFS3_FHSIZE));
}

/** post_op_fh3 */
export function readPostOpFileHandle(r: XdrReader): Buffer | undefined {
  return r.optional(readFileHandle);
}

export function writeFileHandle(w: XdrWriter, handle: Buffer): void {
  w.opaque(handle, NFS3_FHSIZE);
}

/** diropargs3: a directory's handle and a name in it. */
export function writeDirOpArgs(w: XdrWriter, dir: Buffer, name: string): void {
  writeFileHandle(w, dir);
  w.string(name);
}

/** time_how: DONT_CHANGE = 0, SET_TO_SERVER_TIME = 1, SET_TO_CLIENT_TIME = 2. */
function writeSetTime(w: XdrWriter, time: NfsTime | 'server' | undefined): void {
  if (time === undefined) w.union(0);
  else if (time === 'server') w.union(1);
  else w.union(2, () => writeNfsTime(w, time));
}

export function writeSattr3(w: XdrWriter, attributes: Sattr3): void {
  w.optional(attributes.mode, (x, mode) => x.uint32(mode));
  w.optional(attributes.uid, (x, uid) => x.uint32(uid));
  w.optional(attributes.gid, (x, gid) => x.uint32(gid));
  w.optional(attributes.size, (x, size) => x.uint64(size));
  writeSetTime(w, attributes.atime);
  writeSetTime(w, attributes.mtime);
}

/** stable_how: how far a WRITE's data must reach before the reply. */
export const StableHow = { UNSTABLE: 0, DATA_SYNC: 1, FILE_SYNC: 2 } as const;
export type StableHow = (typeof StableHow)[keyof typeof StableHow];

/** ACCESS3 bits. */
export const Access3 = { READ: 0x01, LOOKUP: 0x02, MODIFY: 0x04, EXTEND: 0x08, DELETE: 0x10, EXECUTE: 0x20 } as const;

/** FSINFO3 properties bits. */
export const FsProperties = { LINK: 0x01, SYMLINK: 0x02, HOMOGENEOUS: 0x08, CANSETTIME: 0x10 } as const;

export interface FsInfo {
  attributes?: Fattr3;
  rtmax: number;
  rtpref: number;
  rtmult: number;
  wtmax: number;
  wtpref: number;
  wtmult: number;
  dtpref: number;
  maxFileSize: bigint;
  timeDelta: NfsTime;
  properties: number;
}

export interface FsStat {
  attributes?: Fattr3;
  totalBytes: bigint;
  freeBytes: bigint;
  availableBytes: bigint;
  totalFiles: bigint;
  freeFiles: bigint;
  availableFiles: bigint;
  /** Seconds for which the figures will not change; 0 means they may change at any time. */
  invarSeconds: number;
}

export interface PathConf {
  attributes?: Fattr3;
  linkMax: number;
  nameMax: number;
  noTrunc: boolean;
  chownRestricted: boolean;
  caseInsensitive: boolean;
  casePreserving: boolean;
}

/** entryplus3: one READDIRPLUS entry; attributes and handle only when the server sent them. */
export interface DirEntryPlus {
  fileid: bigint;
  name: string;
  cookie: bigint;
  attributes?: Fattr3;
  handle?: Buffer;
}
