import { gzipSync } from 'node:zlib';

/**
 * Tar archives built byte by byte, so tests can send exactly the hostile members a real
 * archiver would refuse to make: absolute names, '..', links out, devices, lying sizes.
 */

export interface TarMember {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'hardlink' | 'character-device' | 'fifo';
  content?: string | Buffer;
  /** The size the header claims; defaults to the content's. */
  size?: number;
  linkname?: string;
  mode?: number;
  /** Put the name in a pax extended header instead of the ustar name field. */
  paxPath?: boolean;
}

const TYPE_FLAGS: Record<NonNullable<TarMember['type']>, string> = {
  file: '0', directory: '5', symlink: '2', hardlink: '1', 'character-device': '3', fifo: '6',
};

function octal(value: number, length: number): string {
  return `${value.toString(8).padStart(length - 1, '0')}\0`;
}

function header(name: string, typeflag: string, size: number, options: { mode?: number; linkname?: string } = {}): Buffer {
  const block = Buffer.alloc(512);
  block.write(name, 0, 100, 'utf8');
  block.write(octal(options.mode ?? 0o644, 8), 100, 'latin1');
  block.write(octal(0, 8), 108, 'latin1');
  block.write(octal(0, 8), 116, 'latin1');
  block.write(octal(size, 12), 124, 'latin1');
  block.write(octal(1_700_000_000, 12), 136, 'latin1');
  block.write(typeflag, 156, 'latin1');
  if (options.linkname) block.write(options.linkname, 157, 100, 'utf8');
  block.write('ustar\u000000', 257, 'latin1');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

function padded(data: Buffer): Buffer {
  const rest = data.length % 512;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(512 - rest)]);
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = body.length + 1;
  while (`${length}${body}`.length !== length) length++;
  return `${length}${body}`;
}

export function tarArchive(members: TarMember[]): Buffer {
  const parts: Buffer[] = [];
  for (const member of members) {
    const type = member.type ?? (member.name.endsWith('/') ? 'directory' : 'file');
    const content = Buffer.from(member.content ?? '');
    const mode = member.mode ?? (type === 'directory' ? 0o755 : 0o644);
    if (member.paxPath || Buffer.byteLength(member.name) > 100) {
      const pax = Buffer.from(paxRecord('path', member.name));
      parts.push(header('PaxHeader', 'x', pax.length), padded(pax));
    }
    parts.push(header(member.name.slice(0, 100), TYPE_FLAGS[type], member.size ?? content.length, { mode, ...(member.linkname ? { linkname: member.linkname } : {}) }));
    if (content.length > 0) parts.push(padded(content));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export function gzipTarArchive(members: TarMember[]): Buffer {
  return gzipSync(tarArchive(members));
}

/** A plain archive of files (and the directories their names imply). */
export function tarOfFiles(files: Record<string, string>, mode = 0o755): Buffer {
  return tarArchive(Object.entries(files).map(([name, content]) => ({ name, content, mode })));
}
