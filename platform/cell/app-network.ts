import { createHash } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { describeError, type CellLogger } from './logger';
import { runCommand } from './run-command';
import type { EgressRule } from './types';

/**
 * Each app instance gets a network namespace of its own, joined to the host by a veth pair.
 * What it may reach is derived from its bindings (the controller sends them as egress rules),
 * like an application security group: nothing else answers, neither the platform's own APIs nor
 * other host services nor other hosts.
 *
 * A destination on the host's loopback (a database at 127.0.0.1, as the credentials say) is
 * reached through two NATs: inside the namespace 127.0.0.1:port is rewritten to the host end of
 * the veth, and on the host that address is rewritten back to 127.0.0.1:port. The source address
 * stays the app's own, so the service sees a remote client (a root account limited to localhost
 * stays out of reach). The app cannot change any of this: the namespace belongs to the host's
 * user namespace, in which the app holds no capability.
 */

export interface NetworkTools {
  ip: string;
  nft: string;
  nsenter: string;
  sysctl: string;
}

export interface AppNetwork {
  /** The namespace's bind mount, for the container to join. */
  namespacePath: string;
  /** What the app can reach, after name resolution. */
  destinations: ResolvedEgress[];
  destroy(): Promise<void>;
}

export interface ResolvedEgress {
  address: string;
  port: number;
  protocol: 'tcp' | 'udp';
  /** 'loopback': the host's 127/8; 'host': another address of this host; 'remote': anywhere else. */
  scope: 'loopback' | 'host' | 'remote';
}

export interface AppNetworksOptions {
  tools: NetworkTools;
  /** Real path of the cell's data dir: names of this cell's namespaces, links and tables derive from it. */
  dataDir: string;
  logger: CellLogger;
  /** The /16 that container links are carved from, as a.b.0.0 (default 10.255.0.0). */
  addressPool?: string;
  /** Where address leases are kept; shared by every cell on the host (default /run/osbkit/net). */
  leaseDir?: string;
}

const NETNS_DIR = '/run/netns';
const LINK_SLOTS = 16384; // /30 links in a /16
/** A lease whose namespace does not exist this long after it was taken belongs to a crashed cell. */
const STALE_LEASE_MS = 60_000;

function shortHash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** The part of every namespace, link, table and lease name that says which cell made it. */
export function cellNetworkTag(realDataDir: string): string {
  return shortHash(realDataDir, 5);
}

function ipv4ToNumber(address: string): number {
  return address.split('.').reduce((total, octet) => total * 256 + Number(octet), 0);
}

function numberToIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

function hostAddresses(): Set<string> {
  const addresses = new Set<string>();
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) if (entry.family === 'IPv4') addresses.add(entry.address);
  }
  return addresses;
}

function scopeOf(address: string, local: Set<string>): ResolvedEgress['scope'] {
  if (address.startsWith('127.')) return 'loopback';
  return local.has(address) ? 'host' : 'remote';
}

/** Resolves rule destinations to IPv4 addresses (a name may give several); duplicates go. */
export async function resolveEgress(rules: readonly EgressRule[]): Promise<ResolvedEgress[]> {
  const local = hostAddresses();
  const resolved = new Map<string, ResolvedEgress>();
  for (const rule of rules) {
    const addresses = isIPv4(rule.destination)
      ? [rule.destination]
      : (await lookup(rule.destination, { all: true, family: 4 }).catch(() => [])).map((entry) => entry.address);
    for (const address of addresses) {
      const entry: ResolvedEgress = { address, port: rule.port, protocol: rule.protocol, scope: scopeOf(address, local) };
      resolved.set(`${entry.protocol}/${address}/${entry.port}`, entry);
    }
  }
  return [...resolved.values()];
}

interface LinkNames {
  namespace: string;
  hostLink: string;
  peerLink: string;
  table: string;
}

interface Subnet {
  hostAddress: string;
  appAddress: string;
  lease: string;
}

/** The ruleset inside the app's namespace: loopback destinations are sent to the host end of the link. */
export function renderNamespaceRules(destinations: readonly ResolvedEgress[], hostAddress: string): string {
  const rewrites = destinations
    .filter((entry) => entry.scope === 'loopback')
    .map((entry) => `    ip daddr ${entry.address} ${entry.protocol} dport ${entry.port} dnat to ${hostAddress}:${entry.port}`);
  return [
    'table ip osbkit {',
    '  chain output {',
    '    type nat hook output priority -100; policy accept;',
    ...rewrites,
    '  }',
    '  chain postrouting {',
    '    type nat hook postrouting priority 100; policy accept;',
    '    oifname "eth0" ip saddr 127.0.0.0/8 masquerade',
    '  }',
    '}',
    '',
  ].join('\n');
}

/** The host's ruleset for one app link: allowed destinations pass, everything else from the app is refused. */
export function renderHostRules(table: string, hostLink: string, subnet: Pick<Subnet, 'hostAddress' | 'appAddress'>, destinations: readonly ResolvedEgress[]): string {
  const link = `iifname "${hostLink}"`;
  const match = (entry: ResolvedEgress): string => `ip daddr ${entry.address} ${entry.protocol} dport ${entry.port}`;
  const loopback = destinations.filter((entry) => entry.scope === 'loopback');
  const onHost = destinations.filter((entry) => entry.scope === 'host');
  const remote = destinations.filter((entry) => entry.scope === 'remote');
  return [
    `table inet ${table} {`,
    '  chain prerouting {',
    '    type nat hook prerouting priority -100; policy accept;',
    ...loopback.map((entry) => `    ${link} ip daddr ${subnet.hostAddress} ${entry.protocol} dport ${entry.port} dnat ip to ${entry.address}:${entry.port}`),
    '  }',
    '  chain input {',
    '    type filter hook input priority 0; policy accept;',
    `    ${link} ct state established,related accept`,
    ...loopback.map((entry) => `    ${link} ct status dnat ${match(entry)} accept`),
    ...onHost.map((entry) => `    ${link} ${match(entry)} accept`),
    `    ${link} meta l4proto tcp reject with tcp reset`,
    `    ${link} reject with icmpx type admin-prohibited`,
    '  }',
    '  chain forward {',
    '    type filter hook forward priority 0; policy accept;',
    ...remote.map((entry) => `    ${link} ${match(entry)} accept`),
    `    ${link} meta l4proto tcp reject with tcp reset`,
    `    ${link} reject with icmpx type admin-prohibited`,
    `    oifname "${hostLink}" ct state established,related accept`,
    `    oifname "${hostLink}" drop`,
    '  }',
    '  chain postrouting {',
    '    type nat hook postrouting priority 100; policy accept;',
    `    ip saddr ${subnet.appAddress} oifname != "${hostLink}" masquerade`,
    '  }',
    '}',
    '',
  ].join('\n');
}

export class AppNetworks {
  private readonly cellTag: string;
  private readonly poolBase: number;
  private readonly leaseDir: string;
  private warnedAboutForwarding = false;

  constructor(private readonly options: AppNetworksOptions) {
    this.cellTag = cellNetworkTag(options.dataDir);
    const pool = options.addressPool ?? '10.255.0.0';
    if (!isIPv4(pool) || !pool.endsWith('.0.0')) throw new Error(`addressPool must be an IPv4 /16 written as a.b.0.0, not ${pool}`);
    this.poolBase = ipv4ToNumber(pool);
    this.leaseDir = options.leaseDir ?? '/run/osbkit/net';
  }

  private namesFor(containerId: string): LinkNames {
    const tag = shortHash(containerId, 6);
    return {
      namespace: `osbkit-${this.cellTag}-${tag}`,
      hostLink: `o${this.cellTag}${tag}`,
      peerLink: `p${this.cellTag}${tag}`,
      table: `osbkit_${this.cellTag}_${tag}`,
    };
  }

  private async run(file: string, args: string[], input?: string): Promise<void> {
    const result = await runCommand(file, args, input === undefined ? {} : { input });
    if (result.exitCode !== 0) throw new Error(`${file} ${args.join(' ')} failed: ${result.stderr.trim() || `exit ${result.exitCode}`}`);
  }

  /** Builds the namespace, the link and both rulesets; undoes what it made if any step fails. */
  async create(containerId: string, rules: readonly EgressRule[]): Promise<AppNetwork> {
    const names = this.namesFor(containerId);
    // A namespace left by an earlier life of this container would make every step below fail.
    await this.teardown(names);
    const destinations = await resolveEgress(rules);
    const subnet = await this.lease(names.namespace, containerId);
    try {
      await this.build(names, subnet, destinations);
    } catch (error) {
      await this.teardown(names);
      await unlink(subnet.lease).catch(() => undefined);
      throw error;
    }
    this.warnIfRemoteUnreachable(destinations);
    let destroyed: Promise<void> | undefined;
    return {
      namespacePath: join(NETNS_DIR, names.namespace),
      destinations,
      // Once only: a second removal of the lease could take another container's by then.
      destroy: () => {
        destroyed ??= this.teardown(names).then(() => unlink(subnet.lease).catch(() => undefined));
        return destroyed;
      },
    };
  }

  private async build(names: LinkNames, subnet: Subnet, destinations: readonly ResolvedEgress[]): Promise<void> {
    const { ip, nft, nsenter, sysctl } = this.options.tools;
    const inNamespace = [`--net=${join(NETNS_DIR, names.namespace)}`, '--'];
    await this.run(ip, ['netns', 'add', names.namespace]);
    await this.run(ip, ['link', 'add', names.hostLink, 'type', 'veth', 'peer', 'name', names.peerLink]);
    await this.run(ip, ['link', 'set', names.peerLink, 'netns', names.namespace]);
    // No IPv6 on the link at all: a link-local address would otherwise reach host services on [::].
    await writeFile(`/proc/sys/net/ipv6/conf/${names.hostLink}/disable_ipv6`, '1');
    await writeFile(`/proc/sys/net/ipv4/conf/${names.hostLink}/route_localnet`, '1');
    await this.run(ip, ['addr', 'add', `${subnet.hostAddress}/30`, 'dev', names.hostLink]);
    await this.run(ip, ['link', 'set', names.hostLink, 'up']);
    await this.run(ip, ['-n', names.namespace, 'link', 'set', names.peerLink, 'name', 'eth0']);
    await this.run(nsenter, [...inNamespace, sysctl, '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.eth0.disable_ipv6=1', 'net.ipv4.conf.eth0.route_localnet=1']);
    await this.run(ip, ['-n', names.namespace, 'link', 'set', 'lo', 'up']);
    await this.run(ip, ['-n', names.namespace, 'addr', 'add', `${subnet.appAddress}/30`, 'dev', 'eth0']);
    await this.run(ip, ['-n', names.namespace, 'link', 'set', 'eth0', 'up']);
    await this.run(ip, ['-n', names.namespace, 'route', 'add', 'default', 'via', subnet.hostAddress]);
    await this.run(nsenter, [...inNamespace, nft, '-f', '-'], renderNamespaceRules(destinations, subnet.hostAddress));
    await this.run(nft, ['-f', '-'], renderHostRules(names.table, names.hostLink, subnet, destinations));
  }

  private warnIfRemoteUnreachable(destinations: readonly ResolvedEgress[]): void {
    if (this.warnedAboutForwarding || !destinations.some((entry) => entry.scope === 'remote')) return;
    void readFile('/proc/sys/net/ipv4/ip_forward', 'utf8').then(
      (value) => {
        if (value.trim() === '1' || this.warnedAboutForwarding) return;
        this.warnedAboutForwarding = true;
        this.options.logger.warn({}, 'an app may reach a remote host, but this host does not forward IPv4 (net.ipv4.ip_forward=0); enable it for such egress to work');
      },
      () => undefined,
    );
  }

  /** Removes whatever exists of one app's network; absent pieces are not an error. */
  private async teardown(names: LinkNames): Promise<void> {
    const { ip, nft } = this.options.tools;
    await runCommand(nft, ['delete', 'table', 'inet', names.table]).catch(() => undefined);
    // Deleting the namespace destroys the link's inner end, and with it the pair.
    await runCommand(ip, ['netns', 'delete', names.namespace]).catch(() => undefined);
    await runCommand(ip, ['link', 'delete', names.hostLink]).catch(() => undefined);
  }

  /**
   * Takes a /30 from the pool with an exclusively created lease file, which other cells on the
   * host respect. The search starts at a slot derived from the names, so restarts rarely collide.
   */
  private async lease(namespace: string, containerId: string): Promise<Subnet> {
    await mkdir(this.leaseDir, { recursive: true, mode: 0o700 });
    const inUse = hostAddresses();
    const start = Number.parseInt(shortHash(`${this.cellTag}/${containerId}`, 8), 16) % LINK_SLOTS;
    for (let step = 0; step < LINK_SLOTS; step += 1) {
      const network = this.poolBase + ((start + step) % LINK_SLOTS) * 4;
      const subnet = { hostAddress: numberToIpv4(network + 1), appAddress: numberToIpv4(network + 2), lease: join(this.leaseDir, numberToIpv4(network)) };
      if (inUse.has(subnet.hostAddress) || inUse.has(subnet.appAddress)) continue;
      if (await this.tryLease(subnet.lease, namespace)) return subnet;
    }
    throw new Error(`no free /30 left in the app address pool ${numberToIpv4(this.poolBase)}/16`);
  }

  private async tryLease(path: string, namespace: string): Promise<boolean> {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
        await handle.writeFile(namespace);
        await handle.close();
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      if (!(await this.isStaleLease(path))) return false;
      await unlink(path).catch(() => undefined);
    }
    return false;
  }

  private async isStaleLease(path: string): Promise<boolean> {
    try {
      const [owner, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
      if (Date.now() - info.mtimeMs < STALE_LEASE_MS) return false;
      return !(await stat(join(NETNS_DIR, owner.trim())).then(() => true, () => false));
    } catch {
      return false;
    }
  }

  /** Removes every namespace, link, table and lease this cell's data dir ever made (a crashed predecessor's). */
  async purge(): Promise<void> {
    const { ip, nft } = this.options.tools;
    const namespacePrefix = `osbkit-${this.cellTag}-`;
    const namespaces = await readdir(NETNS_DIR).catch(() => []);
    for (const namespace of namespaces.filter((name) => name.startsWith(namespacePrefix))) {
      await runCommand(ip, ['netns', 'delete', namespace]).catch(() => undefined);
      this.options.logger.info({ namespace }, 'removed network namespace of a previous cell');
    }
    const tables = await runCommand(nft, ['list', 'tables']).catch(() => undefined);
    for (const line of tables?.stdout.split('\n') ?? []) {
      const table = /^table inet (osbkit_\w+)$/.exec(line.trim())?.[1];
      if (table?.startsWith(`osbkit_${this.cellTag}_`) === true) await runCommand(nft, ['delete', 'table', 'inet', table]).catch(() => undefined);
    }
    const links = await runCommand(ip, ['-o', 'link', 'show']).catch(() => undefined);
    for (const line of links?.stdout.split('\n') ?? []) {
      const link = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1];
      if (link !== undefined && (link.startsWith(`o${this.cellTag}`) || link.startsWith(`p${this.cellTag}`)) && link.length === 12) {
        await runCommand(ip, ['link', 'delete', link]).catch(() => undefined);
      }
    }
    for (const lease of await readdir(this.leaseDir).catch(() => [])) {
      const path = join(this.leaseDir, lease);
      const owner = await readFile(path, 'utf8').catch(() => '');
      if (owner.startsWith(namespacePrefix)) await unlink(path).catch((error: unknown) => this.options.logger.warn({ lease, err: describeError(error) }, 'cannot remove address lease'));
    }
  }
}
