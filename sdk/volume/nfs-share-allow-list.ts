import { isIPv6 } from 'node:net';
import { hostNameProblem, SEGMENT_CHARACTERS, type NfsShare } from './nfs-share';

/**
 * An operator's allow-list of NFS servers and exports, one syntax for both sides: the NFS
 * broker checks the shares users name against its list, and the NFS volume driver checks every
 * share it is asked to mount against the cell's own list, whichever broker sent it.
 * Comma-separated rules `server/path`,
 * matched against a share only after it is in canonical form (see share.ts), so ".." and
 * other spellings never reach a rule.
 *
 * Server part, compared case-insensitively:
 * - a host name, where `*` stands for exactly one whole label (`*.nfs.example.com`);
 * - a dotted IPv4 address, where `*` stands for exactly one number 0-255 (`10.0.0.*`);
 * - an IPv6 address in brackets, matched exactly.
 * A name rule never matches an address and an address rule never matches a name, so
 * `10.0.0.*` cannot be met by a host name such as `10.0.0.evil.example.com`.
 *
 * Path part, one `/`-separated segment at a time:
 * - `*` inside a segment stands for any run of characters except `/` (`/exports/team-*`);
 * - a segment that is exactly `**` stands for zero or more whole segments, so
 *   `/exports/**` is `/exports` itself and everything below it;
 * - everything else is literal. A rule names exactly the paths it allows: `/exports/*` allows
 *   `/exports/a` but neither `/exports` nor `/exports/a/b`.
 */

export class ShareRuleError extends Error {
  constructor(
    readonly rule: string,
    readonly problem: string,
  ) {
    super(`share rule ${JSON.stringify(rule)} ${problem}`);
    this.name = 'ShareRuleError';
  }
}

type HostPattern =
  | { kind: 'ipv4'; octets: Array<number | '*'> }
  | { kind: 'ipv6'; address: string }
  | { kind: 'name'; labels: string[] };

type SegmentPattern = { kind: 'any-depth' } | { kind: 'glob'; pattern: RegExp };

export interface ShareRule {
  /** The rule as the operator wrote it. */
  text: string;
  host: HostPattern;
  path: SegmentPattern[];
}

const RULE_SEGMENT_PATTERN = /^[A-Za-z0-9._~+=,@:*-]+$/;
const OCTET_PATTERN = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]\d|\d)$/;

export function parseShareRule(text: string): ShareRule {
  const fail = (problem: string): never => {
    throw new ShareRuleError(text, problem);
  };
  if (text === '') fail('is empty');
  if (/\s/.test(text)) fail('must not contain white space');
  const slash = text.indexOf('/');
  if (slash < 0) fail(`names no path: write ${text}/** to allow every path on that server`);
  if (slash === 0) fail('names no server');
  return { text, host: parseHostPattern(text.slice(0, slash), fail), path: parsePathPattern(text.slice(slash), fail) };
}

function parseHostPattern(raw: string, fail: (problem: string) => never): HostPattern {
  if (raw.startsWith('[')) {
    const inner = raw.endsWith(']') ? raw.slice(1, -1) : '';
    if (!isIPv6(inner)) fail('has a server in brackets that is not an IPv6 address (IPv6 rules take no wildcards)');
    return { kind: 'ipv6', address: new URL(`http://[${inner}]/`).hostname.slice(1, -1) };
  }
  if (raw.includes(':')) fail('must not contain a colon in the server: rules have no port, and an IPv6 address goes in brackets');
  const labels = raw.toLowerCase().split('.');
  // Four parts of numbers and stars is an address rule, so `*.*.*.*` means every IPv4 address.
  const numeric = labels.every((label) => label === '*' || /^\d+$/.test(label));
  if (numeric && (labels.length === 4 || labels.some((label) => label !== '*'))) {
    if (labels.length !== 4 || labels.some((label) => label !== '*' && !OCTET_PATTERN.test(label))) {
      fail('has a server that is neither an IPv4 address (four numbers 0-255 without leading zeros, each may be *) nor a host name');
    }
    return { kind: 'ipv4', octets: labels.map((label) => (label === '*' ? '*' : Number(label))) };
  }
  if (labels.some((label) => label !== '*' && label.includes('*'))) fail('has a * inside a server label: a * stands for a whole label');
  const problem = hostNameProblem(labels.map((label) => (label === '*' ? 'x' : label)).join('.'));
  if (problem !== undefined) fail(`has a server that ${problem}`);
  return { kind: 'name', labels };
}

function parsePathPattern(raw: string, fail: (problem: string) => never): SegmentPattern[] {
  const segments: SegmentPattern[] = [];
  for (const segment of raw.split('/')) {
    if (segment === '') continue;
    if (segment === '.' || segment === '..') fail(`must not contain '${segment}' segments`);
    if (segment === '**') {
      segments.push({ kind: 'any-depth' });
      continue;
    }
    if (segment.includes('**')) fail('has ** inside a segment: ** must be a whole segment');
    if (!RULE_SEGMENT_PATTERN.test(segment)) fail(`has a path character outside ${SEGMENT_CHARACTERS}, * and /`);
    const source = [...segment].map((character) => (character === '*' ? '[^/]*' : character.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('');
    segments.push({ kind: 'glob', pattern: new RegExp(`^${source}$`) });
  }
  return segments;
}

function hostMatches(pattern: HostPattern, share: NfsShare): boolean {
  if (pattern.kind === 'ipv6') return share.hostKind === 'ipv6' && share.host === pattern.address;
  if (pattern.kind === 'ipv4') {
    if (share.hostKind !== 'ipv4') return false;
    const octets = share.host.split('.').map(Number);
    return pattern.octets.every((octet, i) => octet === '*' || octet === octets[i]);
  }
  if (share.hostKind !== 'name') return false;
  const labels = share.host.split('.');
  return labels.length === pattern.labels.length && pattern.labels.every((label, i) => label === '*' || label === labels[i]);
}

/** Runs the path pattern as a small automaton over segments, so several `**` never backtrack. */
function pathMatches(pattern: SegmentPattern[], path: string): boolean {
  const segments = path.split('/').filter((segment) => segment !== '');
  const close = (states: Set<number>): Set<number> => {
    for (const state of states) if (pattern[state]?.kind === 'any-depth') states.add(state + 1);
    return states;
  };
  let states = close(new Set([0]));
  for (const segment of segments) {
    const next = new Set<number>();
    for (const state of states) {
      const step = pattern[state];
      if (step?.kind === 'any-depth') next.add(state);
      else if (step?.kind === 'glob' && step.pattern.test(segment)) next.add(state + 1);
    }
    states = close(next);
    if (states.size === 0) return false;
  }
  return states.has(pattern.length);
}

export class ShareAllowList {
  constructor(readonly rules: readonly ShareRule[]) {}

  /** From the comma-separated form of --allowed-shares and OSBKIT_NFS_ALLOWED_SHARES; empty entries are ignored. */
  static parse(text: string): ShareAllowList {
    return new ShareAllowList(text.split(',').map((entry) => entry.trim()).filter(Boolean).map(parseShareRule));
  }

  get empty(): boolean {
    return this.rules.length === 0;
  }

  /** The first rule that allows `share`, which must be canonical (parseShare). */
  find(share: NfsShare): ShareRule | undefined {
    return this.rules.find((rule) => hostMatches(rule.host, share) && pathMatches(rule.path, share.path));
  }

  toString(): string {
    return this.rules.map((rule) => rule.text).join(', ');
  }
}
