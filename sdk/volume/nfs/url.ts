import { NfsUrlError } from './errors';

/**
 * nfs:// URLs in libnfs's form: nfs://host/export/path?uid=..&gid=..&nfsport=..&mountport=..&version=3.
 * The path holds the export and the path inside it together; which part is the export is
 * decided when connecting, from the server's export list.
 */

export interface NfsUrl {
  /** A host name or IP address (an IPv6 address without its brackets). */
  host: string;
  /** The absolute, decoded server path: "/" or "/a/b" with no empty, "." or ".." segment. */
  path: string;
  uid?: number;
  gid?: number;
  /** Fixed ports; each one given skips the portmapper for that service. */
  nfsPort?: number;
  mountPort?: number;
  version: 3;
}

const QUERY_KEYS = ['uid', 'gid', 'nfsport', 'mountport', 'version'] as const;
type QueryKey = (typeof QUERY_KEYS)[number];
const URL_PATTERN = /^nfs:\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?$/i;
const HOST_PATTERN = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9._-]+))$/;
const UINT32_MAX = 0xffff_ffff;

export function parseNfsUrl(text: string): NfsUrl {
  if (typeof text !== 'string') throw new NfsUrlError('expected a string');
  if (text.includes('#')) throw new NfsUrlError('a fragment (#...) has no meaning in an NFS URL');
  const match = URL_PATTERN.exec(text);
  if (!match) throw new NfsUrlError(`${JSON.stringify(text.slice(0, 80))} does not start with nfs://`);
  const [, authority = '', rawPath = '', rawQuery] = match;
  const host = parseHost(authority);
  const path = parsePath(rawPath);
  const url: NfsUrl = { host, path, version: 3 };
  if (rawQuery === undefined || rawQuery === '') return url;
  const seen = new Set<string>();
  for (const [key, value] of new URLSearchParams(rawQuery)) {
    if (!isQueryKey(key)) throw new NfsUrlError(`unknown option ${JSON.stringify(key)}; supported: ${QUERY_KEYS.join(', ')}`);
    if (seen.has(key)) throw new NfsUrlError(`option ${key} is given twice`);
    seen.add(key);
    if (key === 'uid') url.uid = integerOption(key, value, 0, UINT32_MAX);
    else if (key === 'gid') url.gid = integerOption(key, value, 0, UINT32_MAX);
    else if (key === 'nfsport') url.nfsPort = integerOption(key, value, 1, 65535);
    else if (key === 'mountport') url.mountPort = integerOption(key, value, 1, 65535);
    else if (value !== '3') throw new NfsUrlError(`version=${value} is not supported; this client speaks NFS version 3 only`);
  }
  return url;
}

function isQueryKey(key: string): key is QueryKey {
  return (QUERY_KEYS as readonly string[]).includes(key);
}

function parseHost(authority: string): string {
  if (authority === '') throw new NfsUrlError('the host is missing (nfs://HOST/path)');
  if (authority.includes('@')) throw new NfsUrlError('user information (user@host) is not supported; use ?uid= and ?gid=');
  const hostMatch = HOST_PATTERN.exec(authority);
  if (!hostMatch) {
    if (/:\d+$/.test(authority)) throw new NfsUrlError(`a port in the host (${authority}) is not supported; use ?nfsport= and ?mountport=`);
    throw new NfsUrlError(`${JSON.stringify(authority)} is not a host name or address`);
  }
  return hostMatch[1] ?? hostMatch[2]!;
}

function parsePath(rawPath: string): string {
  const segments: string[] = [];
  for (const raw of rawPath.split('/')) {
    if (raw === '') continue;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      throw new NfsUrlError(`the path segment ${JSON.stringify(raw)} is not valid percent-encoding`);
    }
    if (segment === '.' || segment === '..') throw new NfsUrlError(`the path may not contain "${segment}" segments`);
    if (segment.includes('/') || segment.includes('\0')) throw new NfsUrlError(`the path segment ${JSON.stringify(raw)} decodes to a "/" or NUL`);
    segments.push(segment);
  }
  return `/${segments.join('/')}`;
}

function integerOption(key: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value)) throw new NfsUrlError(`${key}=${JSON.stringify(value)} is not a whole number`);
  const number = Number(value);
  if (number < min || number > max) throw new NfsUrlError(`${key}=${value} is out of range (${min}-${max})`);
  return number;
}
