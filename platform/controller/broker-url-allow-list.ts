/**
 * The broker URLs an operator lets the controller call (`brokerUrlAllowList`). Registering
 * a broker makes the controller send requests to whatever URL it is given; on a host with
 * internal services (the cell, a metadata endpoint, a database's HTTP port) that is a way to
 * probe them. An entry is either
 *
 * - `host[:port]`: a host name, IPv4 address or `[IPv6]` address; `*` in a host name stands
 *   for one whole label or part of one (`*.brokers.internal`, `10.0.*.*`; in a pattern of
 *   four numeric labels, for digits only, so it matches addresses and no names), `*` alone for
 *   every host; no port, or `:*`, means every port; or
 * - an `http://` or `https://` URL prefix, which matches that URL and the paths below it
 *   (`https://brokers.example.com/osb` allows `.../osb` and `.../osb/mysql`, not `.../osbx`).
 *
 * URLs are compared after WHATWG URL normalisation (lower-case host, `127.1` read as
 * `127.0.0.1`, default port dropped, `..` resolved), the same parsing the OSB client uses. Host
 * names are not resolved: an allowed name that resolves to an internal address is still
 * allowed, so list addresses or names under your own control.
 */

interface HostRule {
  kind: 'host';
  host: RegExp;
  /** undefined: every port. */
  port: number | undefined;
}

interface PrefixRule {
  kind: 'prefix';
  /** A normalised href. */
  prefix: string;
}

type Rule = HostRule | PrefixRule;

export class BrokerUrlAllowList {
  private constructor(private readonly rules: readonly Rule[] | undefined) {}

  /** undefined allows every http(s) URL, as before the option existed. Throws on an entry it cannot read. */
  static from(entries: readonly string[] | undefined): BrokerUrlAllowList {
    if (entries === undefined) return new BrokerUrlAllowList(undefined);
    return new BrokerUrlAllowList(entries.map(parseEntry));
  }

  get restricted(): boolean {
    return this.rules !== undefined;
  }

  allows(url: string): boolean {
    if (this.rules === undefined) return true;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return false;
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return false;
    const port = parsed.port === '' ? (parsed.protocol === 'https:' ? 443 : 80) : Number(parsed.port);
    return this.rules.some((rule) => (rule.kind === 'host'
      ? rule.host.test(parsed.hostname) && (rule.port === undefined || rule.port === port)
      : parsed.href === rule.prefix || parsed.href.startsWith(rule.prefix.endsWith('/') ? rule.prefix : `${rule.prefix}/`)));
  }
}

function invalid(entry: string, why: string): Error {
  return new Error(`brokerUrlAllowList: ${JSON.stringify(entry)} ${why}; give host[:port] (host may use * for a label) or an http(s) URL prefix`);
}

function parseEntry(raw: string): Rule {
  const entry = raw.trim();
  if (entry === '') throw invalid(raw, 'is empty');
  if (entry.includes('://')) return parsePrefix(entry);
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:/?#@[\]\s]+)(?::(\d{1,5}|\*))?$/.exec(entry);
  if (!match) throw invalid(raw, 'is not host[:port]');
  const host = match[1]!;
  const port = match[2];
  if (port !== undefined && port !== '*' && (Number(port) < 1 || Number(port) > 65535)) throw invalid(raw, 'has a port outside 1-65535');
  return { kind: 'host', host: hostPattern(host, raw), port: port === undefined || port === '*' ? undefined : Number(port) };
}

function parsePrefix(entry: string): PrefixRule {
  let parsed: URL;
  try {
    parsed = new URL(entry);
  } catch {
    throw invalid(entry, 'is not a valid URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw invalid(entry, 'is not an http or https URL');
  if (parsed.username !== '' || parsed.password !== '' || parsed.search !== '' || parsed.hash !== '') {
    throw invalid(entry, 'has credentials, a query or a fragment');
  }
  return { kind: 'prefix', prefix: parsed.href };
}

/** Matches URL.hostname: normalised as a URL would normalise it, `*` within one label. */
function hostPattern(host: string, raw: string): RegExp {
  if (host === '*') return /^/;
  const labels = host.toLowerCase().split('.');
  if (!host.startsWith('[') && labels.some((label) => !/^[a-z0-9_*-]+$/.test(label))) {
    throw invalid(raw, 'has a label that is empty or not ASCII letters, digits, -, _ and *');
  }
  if (!host.includes('*')) {
    let hostname: string;
    try {
      hostname = new URL(`http://${host}/`).hostname;
    } catch {
      throw invalid(raw, 'has an invalid host');
    }
    return new RegExp(`^${escape(hostname)}$`);
  }
  if (host.startsWith('[')) throw invalid(raw, 'uses * in an IPv6 address');
  // An address pattern (10.0.*.*) matches addresses only: its * stands for digits, so a name
  // such as 10.0.evil.example, which could resolve anywhere, is not let through. (A host name
  // of four numeric labels is always an IPv4 literal after WHATWG parsing.)
  const wildcard = labels.length === 4 && labels.every((label) => /^[0-9*]+$/.test(label)) ? '\\d+' : '[^.]+';
  return new RegExp(`^${labels.map((label) => label.split('*').map(escape).join(wildcard)).join('\\.')}$`);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
