import { isIPv4, isIPv6 } from 'node:net';

/**
 * NFS shares as Cloud Foundry's nfsbroker takes them (and as the NFS driver reads the `source`
 * nfs://server/path that the broker makes of them), "server/path" (never "server:/path"),
 * brought into one canonical form before anything compares, checks or stores them: the
 * allow-list, the reachability check and the bind's `source` all see the same text, so no
 * second spelling of a share can slip past a rule the first one would meet.
 */

export class ShareSyntaxError extends Error {
  constructor(readonly problem: string) {
    super(problem);
    this.name = 'ShareSyntaxError';
  }
}

export type ShareHostKind = 'ipv4' | 'ipv6' | 'name';

export interface NfsShare {
  /** A lower-case host name, a dotted IPv4 address, or an IPv6 address in its compressed form (no brackets). */
  host: string;
  hostKind: ShareHostKind;
  /** "/" or "/a/b": no empty, "." or ".." segment and no trailing slash. */
  path: string;
}

export const MAX_SHARE_LENGTH = 1024;
const MAX_SEGMENT_LENGTH = 255;
/**
 * What a path segment may hold. Everything else (white space, "%", "?", "#", "*", "\", quotes,
 * non-ASCII) is refused, so a share means the same to every tool that reads it: in an nfs://
 * URL none of these characters needs, or gets, percent-decoding.
 */
export const SEGMENT_CHARACTERS = 'A-Z a-z 0-9 . _ ~ - + = , @ :';
const SEGMENT_PATTERN = /^[A-Za-z0-9._~+=,@:-]+$/;
const LABEL_PATTERN = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
// eslint-disable-next-line no-control-regex -- control characters are exactly what is being refused
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
const MAX_NAME_LENGTH = 253;

/** Turns what a user wrote as `share` into its canonical form, or says what is wrong with it. */
export function parseShare(text: string): NfsShare {
  if (text === '') throw new ShareSyntaxError('must not be empty');
  if (text.length > MAX_SHARE_LENGTH) throw new ShareSyntaxError(`must be at most ${MAX_SHARE_LENGTH} characters`);
  if (CONTROL_CHARACTERS.test(text)) throw new ShareSyntaxError('must not contain control characters');
  if (/\s/.test(text)) throw new ShareSyntaxError('must not contain spaces or other white space');
  // nfsbroker's own rule: the colon form is the kernel's, the share form has none after the server.
  if (/^[^/]+:\//.test(text)) throw new ShareSyntaxError('no colon allowed after the server: write server/path (for example 10.0.0.5/exports/data), not server:/path or nfs://server/path');
  const slash = text.indexOf('/');
  if (slash < 0) throw new ShareSyntaxError('must be server/path: it names no path on the server');
  if (slash === 0) throw new ShareSyntaxError('must be server/path: it names no server');
  const { host, hostKind } = parseShareHost(text.slice(0, slash));
  return { host, hostKind, path: canonicalSharePath(text.slice(slash)) };
}

/** The share as nfsbroker users write it: "server/path", with an IPv6 address in brackets. */
export function shareText(share: NfsShare): string {
  return `${share.hostKind === 'ipv6' ? `[${share.host}]` : share.host}${share.path}`;
}

/** The bind's `source`: nfsbroker's prefix on the share, which Cloud Foundry's drivers expect. */
export function shareSource(share: NfsShare): string {
  return `nfs://${shareText(share)}`;
}

/** Whether `inner` is `outer` or a directory under it, on the same server name. */
export function shareWithin(inner: NfsShare, outer: NfsShare): boolean {
  if (inner.host !== outer.host) return false;
  return outer.path === '/' || inner.path === outer.path || inner.path.startsWith(`${outer.path}/`);
}

function parseShareHost(raw: string): { host: string; hostKind: ShareHostKind } {
  const shown = JSON.stringify(raw);
  if (raw.startsWith('[')) {
    const inner = raw.endsWith(']') ? raw.slice(1, -1) : '';
    if (!isIPv6(inner)) throw new ShareSyntaxError(`the server ${shown} is not an IPv6 address in brackets`);
    return { host: new URL(`http://[${inner}]/`).hostname.slice(1, -1), hostKind: 'ipv6' };
  }
  if (raw.includes(':')) throw new ShareSyntaxError(`the server ${shown} must not contain a colon: a share has no port, and an IPv6 address goes in brackets`);
  if (isIPv4(raw)) return { host: raw, hostKind: 'ipv4' };
  const name = raw.toLowerCase();
  const problem = hostNameProblem(name);
  if (problem !== undefined) throw new ShareSyntaxError(`the server ${shown} ${problem}`);
  return { host: name, hostKind: 'name' };
}

/**
 * Why a lower-cased host name is refused. A name that ends in a number ("10.0.0.05", "127.1",
 * "0x7f000001") is refused too: the system resolver reads such names as IPv4 addresses in
 * forms a rule written for names or dotted addresses would never anticipate.
 */
export function hostNameProblem(name: string): string | undefined {
  if (name.length > MAX_NAME_LENGTH) return `must be at most ${MAX_NAME_LENGTH} characters`;
  const labels = name.split('.');
  if (/^(?:\d+|0x[0-9a-f]*)$/.test(labels[labels.length - 1]!)) return 'is not a valid IPv4 address (four decimal numbers 0-255 without leading zeros) or host name';
  for (const label of labels) {
    if (label === '') return 'has an empty label (two dots in a row, or a dot at either end)';
    if (!LABEL_PATTERN.test(label)) return 'is not a host name: labels are 1 to 63 of a-z 0-9 - _ and do not start or end with -';
  }
  return undefined;
}

/**
 * The canonical server path: repeated slashes, "." segments and a trailing slash are tidied;
 * ".." is refused rather than resolved, since what it climbs to is the server's business.
 */
function canonicalSharePath(raw: string): string {
  const segments: string[] = [];
  for (const segment of raw.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') throw new ShareSyntaxError("the path must not contain '..' segments");
    if (segment.length > MAX_SEGMENT_LENGTH) throw new ShareSyntaxError(`a path segment must be at most ${MAX_SEGMENT_LENGTH} characters`);
    if (!SEGMENT_PATTERN.test(segment)) {
      const bad = [...segment].find((character) => !SEGMENT_PATTERN.test(character))!;
      throw new ShareSyntaxError(`the path must not contain ${JSON.stringify(bad)} (allowed: ${SEGMENT_CHARACTERS} and /)`);
    }
    segments.push(segment);
  }
  return `/${segments.join('/')}`;
}
