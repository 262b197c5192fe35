/**
 * The strict reader of uploaded app bits: a tar archive (ustar, pax or GNU) is read header by
 * header, before anything is unpacked, and refused at the first member that could write
 * outside the package directory or make something other than plain files, directories and
 * symbolic links that stay inside it. Only what this reader accepts is then given to tar, so
 * the two read the same members (see package-bits.ts).
 *
 * Names are kept as bytes (decoded as latin1, one character per byte): the checks below then
 * see exactly the names tar will use.
 */

export class ArchiveProblem extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveProblem';
  }
}

export interface ArchiveLimits {
  /** The most bytes the regular files of a package may hold together. */
  unpackedBytes: number;
  /** The most members (files, directories and symbolic links) a package may hold. */
  files: number;
}

export interface ArchiveSummary {
  files: number;
  directories: number;
  symlinks: number;
  /** Bytes of the regular files. */
  bytes: number;
  /** Bytes of the uncompressed archive before its end marker: all that tar is given. */
  length: number;
}

const BLOCK = 512;
/** An extended (pax) header's records; paths, link targets and a few extended attributes fit easily. */
const MAX_PAX_BYTES = 64 * 1024;
/** A GNU long name or long link target, NUL included. */
const MAX_LONG_NAME_BYTES = 4097;
/** All extended headers and long names of one archive together. */
const MAX_METADATA_BYTES = 32 * 1024 * 1024;
const MAX_PATH_BYTES = 4095;
const MAX_COMPONENT_BYTES = 255;
/** As the kernel's limit on symbolic links followed while resolving one path. */
const MAX_SYMLINK_HOPS = 40;

/** Keys GNU tar reads (without --xattrs and --acls) that change nothing we do not check; anything else is refused. */
const PAX_KEYS = new Set(['path', 'linkpath', 'size', 'mtime', 'atime', 'ctime', 'uid', 'gid', 'uname', 'gname', 'comment', 'charset', 'hdrcharset']);
/** Extended attributes other archivers record; tar runs with --no-xattrs, so they are never applied. */
const IGNORED_PAX_PREFIXES = ['SCHILY.xattr.', 'LIBARCHIVE.xattr.'];

const TYPE_NAMES: Record<string, string> = {
  '1': 'a hard link',
  '3': 'a character device',
  '4': 'a block device',
  '6': 'a FIFO',
  S: 'a sparse file',
  M: 'a multi-volume continuation',
  V: 'a volume label',
  N: 'an old GNU long-name record',
  D: 'a GNU dump directory',
  g: 'a global extended header',
};

/** A name as people read it: UTF-8 where it is, control characters escaped, long ones cut. */
export function displayName(latin1: string): string {
  const text = Buffer.from(latin1, 'latin1').toString('utf8');
  // eslint-disable-next-line no-control-regex -- control characters are what is escaped
  const escaped = text.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return escaped.length > 200 ? `${escaped.slice(0, 200)}…` : escaped;
}

type MemberKind = 'file' | 'directory' | 'symlink';

interface PendingMetadata {
  pax?: Map<string, string>;
  longName?: string;
  longLink?: string;
}

type State =
  | { kind: 'header' }
  | { kind: 'skip'; remaining: number }
  | { kind: 'collect'; remaining: number; padding: number; chunks: Buffer[]; into: 'pax' | 'longName' | 'longLink' }
  | { kind: 'end' };

function padded(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

function cString(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? field.length : end).toString('latin1');
}

/** A numeric header field: octal digits (leading spaces allowed, ended by a space or NUL), or GNU's base-256. */
function numericField(block: Buffer, start: number, length: number, what: string): number {
  const field = block.subarray(start, start + length);
  const first = field[0]!;
  if (first & 0x80) {
    if (first & 0x40) throw new ArchiveProblem(`the archive has a negative ${what}`);
    let value = first & 0x3f;
    for (const byte of field.subarray(1)) {
      value = value * 256 + byte;
      if (value > Number.MAX_SAFE_INTEGER) throw new ArchiveProblem(`the archive has a ${what} too large to read`);
    }
    return value;
  }
  const text = field.toString('latin1');
  const match = /^ *([0-7]+)[ \0]*$/.exec(text);
  if (!match) {
    if (/^[ \0]*$/.test(text)) return 0;
    throw new ArchiveProblem(`the archive has a ${what} that is not a number`);
  }
  return parseInt(match[1]!, 8);
}

function checksumMatches(block: Buffer): boolean {
  const stored = numericField(block, 148, 8, 'header checksum');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return stored === unsigned || stored === signed;
}

function parsePax(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let position = 0;
  while (position < data.length) {
    const space = data.indexOf(0x20, position);
    const lengthText = space === -1 ? '' : data.subarray(position, space).toString('latin1');
    const length = /^[1-9][0-9]{0,7}$/.test(lengthText) ? Number(lengthText) : NaN;
    const end = position + length;
    if (!Number.isFinite(length) || end > data.length || data[end - 1] !== 0x0a) throw new ArchiveProblem('the archive has a malformed extended header');
    const record = data.subarray(space + 1, end - 1);
    const equals = record.indexOf(0x3d);
    if (equals <= 0) throw new ArchiveProblem('the archive has a malformed extended header');
    const key = record.subarray(0, equals).toString('latin1');
    const value = record.subarray(equals + 1).toString('latin1');
    if (!PAX_KEYS.has(key) && !IGNORED_PAX_PREFIXES.some((prefix) => key.startsWith(prefix))) {
      throw new ArchiveProblem(`the archive has an extended header keyword this platform does not accept: '${displayName(key)}'`);
    }
    records.set(key, value);
    position = end;
  }
  return records;
}

/** The path of a member inside the package: no leading '/', no '..', no empty or '.' parts. */
function memberPath(raw: string): string {
  const shown = displayName(raw);
  if (raw.includes('\0')) throw new ArchiveProblem(`member '${shown}' has a NUL character in its name`);
  if (raw.startsWith('/')) throw new ArchiveProblem(`member '${shown}' is an absolute path`);
  const parts = raw.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw new ArchiveProblem(`member '${shown}' contains '..'`);
  if (parts.some((part) => part.length > MAX_COMPONENT_BYTES)) throw new ArchiveProblem(`member '${shown}' has a name part longer than ${MAX_COMPONENT_BYTES} bytes`);
  const path = parts.join('/');
  if (path.length > MAX_PATH_BYTES) throw new ArchiveProblem(`member '${shown}' has a path longer than ${MAX_PATH_BYTES} bytes`);
  return path;
}

function parentsOf(path: string): string[] {
  const parts = path.split('/');
  return parts.slice(0, -1).map((_, index) => parts.slice(0, index + 1).join('/'));
}

/**
 * Whether resolving `target` from the directory holding `linkPath` leaves the package,
 * following the package's own symbolic links on the way (so `a -> .` then `b -> a/..` is
 * caught whatever order they come in). Too many links followed counts as leaving.
 */
export function symlinkEscapes(linkPath: string, target: string, symlinks: ReadonlyMap<string, string>): boolean {
  if (target.startsWith('/')) return true;
  const resolved = linkPath.split('/').slice(0, -1);
  const pending = target.split('/');
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (resolved.length === 0) return true;
      resolved.pop();
      continue;
    }
    resolved.push(part);
    const next = symlinks.get(resolved.join('/'));
    if (next === undefined) continue;
    hops++;
    if (hops > MAX_SYMLINK_HOPS || next.startsWith('/')) return true;
    resolved.pop();
    pending.unshift(...next.split('/'));
  }
  return false;
}

/**
 * Reads an uncompressed tar stream as it arrives (`write` each chunk, then `finish`),
 * keeping only the members' names and kinds. Throws ArchiveProblem naming the first
 * problem; file contents are skipped, never held.
 */
export class TarScanner {
  private state: State = { kind: 'header' };
  private carry = Buffer.alloc(0);
  private position = 0;
  private headers = 0;
  private metadataBytes = 0;
  private pending: PendingMetadata = {};
  private readonly members = new Map<string, MemberKind>();
  private readonly symlinks = new Map<string, string>();
  /** Every directory some member lies in, with the first such member (for the message). */
  private readonly parents = new Map<string, string>();
  private readonly summary: ArchiveSummary = { files: 0, directories: 0, symlinks: 0, bytes: 0, length: 0 };

  constructor(private readonly limits: ArchiveLimits) {}

  /** True once the end of the archive was read; what follows it is never looked at. */
  get ended(): boolean {
    return this.state.kind === 'end';
  }

  write(chunk: Buffer): boolean {
    let offset = 0;
    while (offset < chunk.length && this.state.kind !== 'end') {
      const available = chunk.length - offset;
      const state = this.state;
      if (state.kind === 'header') {
        const take = Math.min(BLOCK - this.carry.length, available);
        this.carry = Buffer.concat([this.carry, chunk.subarray(offset, offset + take)]);
        offset += take;
        if (this.carry.length === BLOCK) {
          const block = this.carry;
          this.carry = Buffer.alloc(0);
          this.header(block);
          if (!this.ended) this.position += BLOCK;
        }
      } else if (state.kind === 'skip') {
        const take = Math.min(state.remaining, available);
        state.remaining -= take;
        offset += take;
        this.position += take;
        if (state.remaining === 0) this.state = { kind: 'header' };
      } else if (state.kind === 'collect') {
        const take = Math.min(state.remaining, available);
        state.chunks.push(chunk.subarray(offset, offset + take));
        state.remaining -= take;
        offset += take;
        this.position += take;
        if (state.remaining === 0) {
          this.keepMetadata(state.into, Buffer.concat(state.chunks));
          this.state = state.padding > 0 ? { kind: 'skip', remaining: state.padding } : { kind: 'header' };
        }
      }
    }
    return this.ended;
  }

  /** The stream ended: checks what needs every member, and says what the package holds. */
  finish(): ArchiveSummary {
    if (this.headers === 0 && this.state.kind !== 'end') {
      if (this.carry.length === 0) throw new ArchiveProblem('the upload is empty; send the app\'s files as a tar archive');
      throw new ArchiveProblem('the upload is not a tar archive (ustar, pax or GNU; gzip-compressed or not)');
    }
    if (this.state.kind !== 'end') {
      if (this.state.kind !== 'header' || this.carry.length > 0) throw new ArchiveProblem('the archive is truncated');
      this.summary.length = this.position;
    }
    if (this.pending.pax || this.pending.longName !== undefined || this.pending.longLink !== undefined) {
      throw new ArchiveProblem('the archive ends after an extended header, without the member it describes');
    }
    if (this.members.size === 0) throw new ArchiveProblem('the archive holds no files');
    for (const [path, kind] of this.members) {
      if (kind === 'directory') continue;
      const below = this.parents.get(path);
      if (below === undefined) continue;
      if (kind === 'symlink') throw new ArchiveProblem(`member '${displayName(below)}' would be written through the symbolic link '${displayName(path)}'`);
      throw new ArchiveProblem(`member '${displayName(below)}' lies below '${displayName(path)}', which is a file`);
    }
    for (const [path, target] of this.symlinks) {
      if (symlinkEscapes(path, target, this.symlinks)) {
        throw new ArchiveProblem(`member '${displayName(path)}' is a symbolic link to '${displayName(target)}', which points outside the package`);
      }
    }
    return { ...this.summary };
  }

  private header(block: Buffer): void {
    if (block.every((byte) => byte === 0)) {
      if (this.headers === 0) throw new ArchiveProblem('the archive holds no files');
      // GNU tar stops at the first zero block too; nothing after it is read or unpacked.
      this.summary.length = this.position;
      this.state = { kind: 'end' };
      return;
    }
    const first = this.headers === 0;
    const magic = block.subarray(257, 265).toString('latin1');
    const ustar = magic === 'ustar\u000000';
    if (!ustar && magic !== 'ustar  \u0000') {
      throw new ArchiveProblem(first ? 'the upload is not a tar archive (ustar, pax or GNU; gzip-compressed or not)' : `the archive is corrupt at byte ${this.position}`);
    }
    if (!checksumMatches(block)) throw new ArchiveProblem(first ? 'the upload is not a tar archive: its first header checksum is wrong' : `the archive is corrupt: a header checksum is wrong at byte ${this.position}`);
    this.headers++;
    const type = String.fromCharCode(block[156]!);
    const headerSize = numericField(block, 124, 12, 'member size');
    if (type === 'x' || type === 'L' || type === 'K') {
      const into = type === 'x' ? 'pax' : type === 'L' ? 'longName' : 'longLink';
      const max = type === 'x' ? MAX_PAX_BYTES : MAX_LONG_NAME_BYTES;
      if ((into === 'pax' && this.pending.pax) || (into !== 'pax' && this.pending[into] !== undefined)) {
        throw new ArchiveProblem(`the archive has two ${type === 'x' ? 'extended headers' : 'GNU long names'} for one member`);
      }
      if (headerSize > max) throw new ArchiveProblem(`the archive has an extended header of ${headerSize} bytes; at most ${max} are accepted`);
      this.metadataBytes += headerSize;
      if (this.metadataBytes > MAX_METADATA_BYTES) throw new ArchiveProblem(`the archive's extended headers hold more than ${MAX_METADATA_BYTES} bytes`);
      this.state = headerSize === 0 ? { kind: 'header' } : { kind: 'collect', remaining: headerSize, padding: padded(headerSize) - headerSize, chunks: [], into };
      if (headerSize === 0) this.keepMetadata(into, Buffer.alloc(0));
      return;
    }
    const pending = this.pending;
    this.pending = {};
    if ((pending.pax?.has('path') && pending.longName !== undefined) || (pending.pax?.has('linkpath') && pending.longLink !== undefined)) {
      throw new ArchiveProblem('the archive gives one member both an extended header and a GNU long name');
    }
    const prefix = ustar ? cString(block, 345, 155) : '';
    const headerName = cString(block, 0, 100);
    const rawName = pending.pax?.get('path') ?? pending.longName ?? (prefix !== '' ? `${prefix}/${headerName}` : headerName);
    const rawLink = pending.pax?.get('linkpath') ?? pending.longLink ?? cString(block, 157, 100);
    const paxSize = pending.pax?.get('size');
    if (paxSize !== undefined && !/^[0-9]{1,16}$/.test(paxSize)) throw new ArchiveProblem(`member '${displayName(rawName)}' has an extended size that is not a number`);
    const size = paxSize !== undefined ? Number(paxSize) : headerSize;
    const mode = numericField(block, 100, 8, 'member mode');
    for (const [field, start, length] of [['uid', 108, 8], ['gid', 116, 8], ['mtime', 136, 12]] as const) numericField(block, start, length, `member ${field}`);
    this.member(type, rawName, rawLink, size, mode);
  }

  private keepMetadata(into: 'pax' | 'longName' | 'longLink', data: Buffer): void {
    if (into === 'pax') {
      this.pending.pax = parsePax(data);
      return;
    }
    const end = data.indexOf(0);
    this.pending[into] = data.subarray(0, end === -1 ? data.length : end).toString('latin1');
  }

  private member(type: string, rawName: string, rawLink: string, size: number, mode: number): void {
    const shown = displayName(rawName);
    const kind: MemberKind | undefined = type === '0' || type === '\0' || type === '7' ? 'file' : type === '5' ? 'directory' : type === '2' ? 'symlink' : undefined;
    if (kind === undefined) {
      if (type === '1') throw new ArchiveProblem(`member '${shown}' is a hard link (to '${displayName(rawLink)}'); hard links are not accepted (create the archive with tar --hard-dereference)`);
      const what = TYPE_NAMES[type] ?? `of an unknown type ('${displayName(type)}')`;
      throw new ArchiveProblem(`member '${shown}' is ${what}; only files, directories and symbolic links are accepted`);
    }
    const path = memberPath(rawName);
    if (kind !== 'directory' && rawName.endsWith('/')) throw new ArchiveProblem(`member '${shown}' ends with '/' but is not a directory`);
    if (kind !== 'file' && size !== 0) throw new ArchiveProblem(`member '${shown}' is a ${kind === 'directory' ? 'directory' : 'symbolic link'} with data`);
    if (kind === 'file' && (mode & 0o6000) !== 0) throw new ArchiveProblem(`member '${shown}' has the setuid or setgid bit; such files are not accepted`);
    if (path === '') {
      if (kind !== 'directory') throw new ArchiveProblem(`member '${shown}' names the package directory itself`);
      return;
    }
    const existing = this.members.get(path);
    if (existing !== undefined) {
      if (existing === 'directory' && kind === 'directory') return;
      throw new ArchiveProblem(`the archive holds '${shown}' twice`);
    }
    if (kind === 'symlink') {
      if (rawLink === '') throw new ArchiveProblem(`member '${shown}' is a symbolic link without a target`);
      if (rawLink.includes('\0') || rawLink.length > MAX_PATH_BYTES) throw new ArchiveProblem(`member '${shown}' has a symbolic link target that cannot be used`);
      if (rawLink.startsWith('/')) throw new ArchiveProblem(`member '${shown}' is a symbolic link to '${displayName(rawLink)}', which points outside the package`);
      this.symlinks.set(path, rawLink);
      this.summary.symlinks++;
    } else if (kind === 'directory') {
      this.summary.directories++;
    } else {
      this.summary.files++;
      this.summary.bytes += size;
      if (this.summary.bytes > this.limits.unpackedBytes) {
        throw new ArchiveProblem(`member '${shown}' takes the unpacked package past ${this.limits.unpackedBytes} bytes, the most a package may hold`);
      }
    }
    this.members.set(path, kind);
    for (const parent of parentsOf(path)) if (!this.parents.has(parent)) this.parents.set(parent, path);
    if (this.members.size > this.limits.files) throw new ArchiveProblem(`the archive holds more than ${this.limits.files} members, the most a package may hold`);
    if (kind === 'file' && size > 0) this.state = { kind: 'skip', remaining: padded(size) };
  }
}
