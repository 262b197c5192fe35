import { isAbsolute } from 'node:path';

/** Where a driver can be reached, in the form node:http needs. */
export type DriverEndpoint =
  | { kind: 'unix'; socketPath: string }
  | { kind: 'http'; hostname: string; port: number; basePath: string };

export class DriverAddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DriverAddressError';
  }
}

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/s;

/**
 * Canonicalises an address found in a spec file the way volman does:
 * http and https stay, tcp becomes http, unix stays, a bare path ending in
 * `.sock` is a socket, and anything without a scheme is taken as host:port.
 * Unlike volman, an unknown scheme is refused instead of being prefixed with
 * `http://` (which only ever produced an unusable URL).
 */
export function normaliseDriverAddress(raw: string): string {
  const address = raw.trim();
  if (address === '') throw new DriverAddressError('driver address is empty');
  const match = SCHEME.exec(address);
  if (match === null) {
    return address.endsWith('.sock') ? address : `http://${address}`;
  }
  const scheme = (match[1] ?? '').toLowerCase();
  const rest = match[2] ?? '';
  switch (scheme) {
    case 'http':
    case 'https':
    case 'unix':
      return address;
    case 'tcp':
      return tcpToHttp(rest, address);
    default:
      throw new DriverAddressError(`driver address "${address}" has unsupported scheme "${scheme}"`);
  }
}

// volman keeps only host and path of a tcp:// URL; query and fragment go.
function tcpToHttp(rest: string, original: string): string {
  const url = parseUrl(`http://${rest}`, original);
  const path = url.pathname === '/' && !rest.includes('/') ? '' : url.pathname;
  return `http://${url.host}${path}`;
}

/** Turns any accepted address form into a transport target. */
export function parseDriverAddress(raw: string): DriverEndpoint {
  const address = normaliseDriverAddress(raw);
  if (!SCHEME.test(address)) return unixEndpoint(address, raw);
  const lower = address.toLowerCase();
  if (lower.startsWith('unix://')) return unixEndpoint(address.slice('unix://'.length), raw);
  if (lower.startsWith('https://')) {
    throw new DriverAddressError(`driver address "${raw}" uses TLS, which this client does not support`);
  }
  const url = parseUrl(address, raw);
  if (url.username !== '' || url.password !== '') {
    throw new DriverAddressError(`driver address "${raw}" must not carry credentials`);
  }
  if (url.hostname === '') throw new DriverAddressError(`driver address "${raw}" has no host`);
  return {
    kind: 'http',
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? 80 : Number(url.port),
    basePath: url.pathname.replace(/\/+$/, ''),
  };
}

function unixEndpoint(socketPath: string, raw: string): DriverEndpoint {
  if (!isAbsolute(socketPath)) {
    throw new DriverAddressError(`driver socket path in "${raw}" must be absolute`);
  }
  return { kind: 'unix', socketPath };
}

function parseUrl(candidate: string, original: string): URL {
  try {
    return new URL(candidate);
  } catch {
    throw new DriverAddressError(`driver address "${original}" is not a valid URL`);
  }
}

/** The canonical text form of an endpoint, e.g. for spec files and logs. */
export function formatDriverEndpoint(endpoint: DriverEndpoint): string {
  if (endpoint.kind === 'unix') return `unix://${endpoint.socketPath}`;
  const host = endpoint.hostname.includes(':') ? `[${endpoint.hostname}]` : endpoint.hostname;
  return `http://${host}:${endpoint.port}${endpoint.basePath}`;
}
