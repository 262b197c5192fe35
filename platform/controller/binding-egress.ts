import { isIPv4 } from 'node:net';
import type { CellEgressRule } from './cell-api';

/**
 * What an app may reach, derived from its bindings' credentials: the hosts and ports they name,
 * which works like an application security group that follows the bindings. A host the
 * credentials do not name stays out of reach, and so does anything on the platform itself.
 */

/** Ports of the URL schemes that brokers commonly hand out without a port. */
const DEFAULT_PORTS: Record<string, number> = {
  mysql: 3306,
  mariadb: 3306,
  postgres: 5432,
  postgresql: 5432,
  redis: 6379,
  rediss: 6379,
  amqp: 5672,
  amqps: 5671,
  mongodb: 27017,
  nats: 4222,
  mqtt: 1883,
  http: 80,
  https: 443,
};

const HOST_KEYS = ['hostname', 'host'];
const MAX_DEPTH = 4;
export const MAX_EGRESS_RULES = 64;
// The cell accepts IPv4 addresses and DNS names only; anything else in a credential is not a destination.
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function isDestination(host: string): boolean {
  return isIPv4(host) || HOST_NAME.test(host);
}

function portOf(value: unknown): number | undefined {
  const port = typeof value === 'string' && /^\d{1,5}$/.test(value) ? Number(value) : value;
  return typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535 ? port : undefined;
}

function fromUrl(text: string): CellEgressRule | undefined {
  // JDBC URLs carry their real scheme after "jdbc:".
  const candidate = text.startsWith('jdbc:') ? text.slice('jdbc:'.length) : text;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(candidate)) return undefined;
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return undefined;
  }
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  const port = url.port === '' ? DEFAULT_PORTS[scheme] : portOf(url.port);
  const host = url.hostname;
  if (port === undefined || !isDestination(host)) return undefined;
  return { destination: host, port, protocol: 'tcp' };
}

function collect(value: unknown, depth: number, rules: CellEgressRule[]): void {
  if (depth > MAX_DEPTH || typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    for (const item of value) collect(item, depth + 1, rules);
    return;
  }
  const entries = value as Record<string, unknown>;
  const port = portOf(entries.port);
  for (const key of HOST_KEYS) {
    const host = entries[key];
    if (typeof host === 'string' && port !== undefined && isDestination(host)) rules.push({ destination: host, port, protocol: 'tcp' });
  }
  for (const item of Object.values(entries)) {
    if (typeof item === 'string') {
      const rule = fromUrl(item);
      if (rule !== undefined) rules.push(rule);
    } else {
      collect(item, depth + 1, rules);
    }
  }
}

/** The destinations one binding's credentials name, without duplicates. */
export function egressFromCredentials(credentials: Record<string, unknown>): CellEgressRule[] {
  const rules: CellEgressRule[] = [];
  collect(credentials, 0, rules);
  return dedupe(rules);
}

/** All bindings' destinations together, capped at what the cell accepts. */
export function egressFromBindings(credentialsOfEach: ReadonlyArray<Record<string, unknown>>): CellEgressRule[] {
  return dedupe(credentialsOfEach.flatMap((credentials) => egressFromCredentials(credentials))).slice(0, MAX_EGRESS_RULES);
}

function dedupe(rules: readonly CellEgressRule[]): CellEgressRule[] {
  const seen = new Map<string, CellEgressRule>();
  for (const rule of rules) seen.set(`${rule.protocol}/${rule.destination.toLowerCase()}/${rule.port}`, rule);
  return [...seen.values()];
}
