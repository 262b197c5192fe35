import { PATTERNS } from './validation';

/**
 * The VPC the emulator pretends to have: one VPC, the subnets it was given, each in an
 * availability zone and with its own /24. Mount targets get addresses from their subnet's
 * range the way EC2 hands them out: the first four addresses and the last are reserved.
 */

export interface SubnetConfig {
  subnetId: string;
  availabilityZone: string;
}

export interface Subnet extends SubnetConfig {
  /** The third octet of 10.0.X.0/24. */
  index: number;
  cidr: string;
  vpcId: string;
}

export const DEFAULT_SUBNETS: readonly SubnetConfig[] = [
  { subnetId: 'subnet-00000001', availabilityZone: 'us-east-1a' },
  { subnetId: 'subnet-00000002', availabilityZone: 'us-east-1b' },
];

export const EMULATED_VPC_ID = 'vpc-00000001';

const AVAILABILITY_ZONE = /^[a-z]{2}(-[a-z]+)+-\d+[a-z]$/;
const FIRST_HOST = 4;
const LAST_HOST = 254;
const MAX_SUBNETS = 256;

export class SubnetConfigError extends Error {}

/** Parses `--subnets subnet-0a1b2c3d:us-east-1a,subnet-...:us-east-1b`. */
export function parseSubnets(text: string): SubnetConfig[] {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) throw new SubnetConfigError('--subnets needs at least one ID:AZ pair');
  return entries.map((entry) => {
    const [subnetId, availabilityZone, ...rest] = entry.split(':');
    if (subnetId === undefined || availabilityZone === undefined || rest.length > 0) {
      throw new SubnetConfigError(`"${entry}" is not of the form subnet-XXXXXXXX:us-east-1a`);
    }
    return { subnetId, availabilityZone };
  });
}

export function buildSubnets(configs: readonly SubnetConfig[]): Subnet[] {
  if (configs.length === 0) throw new SubnetConfigError('at least one subnet is needed');
  if (configs.length > MAX_SUBNETS) throw new SubnetConfigError(`at most ${MAX_SUBNETS} subnets are supported`);
  const seen = new Set<string>();
  return configs.map((config, index) => {
    if (!PATTERNS.subnetId.regex.test(config.subnetId) || config.subnetId.length > 47) {
      throw new SubnetConfigError(`subnet id "${config.subnetId}" must be "subnet-" and 8 to 40 lower-case hex digits, as in AWS`);
    }
    if (!AVAILABILITY_ZONE.test(config.availabilityZone)) {
      throw new SubnetConfigError(`availability zone "${config.availabilityZone}" must look like us-east-1a`);
    }
    if (seen.has(config.subnetId)) throw new SubnetConfigError(`subnet "${config.subnetId}" is listed twice`);
    seen.add(config.subnetId);
    return { ...config, index, cidr: `10.0.${index}.0/24`, vpcId: EMULATED_VPC_ID };
  });
}

/** "us-east-1a" → "use1-az1": a stable stand-in for AWS's per-account zone ids. */
export function availabilityZoneId(zone: string): string {
  const region = zone.slice(0, -1);
  const letter = zone.slice(-1);
  const compact = region
    .split('-')
    .map((part, i, parts) => (i === 0 || i === parts.length - 1 ? part : part[0]))
    .join('');
  return `${compact}-az${letter.charCodeAt(0) - 'a'.charCodeAt(0) + 1}`;
}

/** Whether `ip` can be given to a mount target in `subnet` (inside its /24, not reserved). */
export function isAssignable(subnet: Subnet, ip: string): boolean {
  const octets = ip.split('.').map(Number);
  if (octets.length !== 4 || octets.some((octet) => !Number.isInteger(octet) || octet < 0 || octet > 255)) return false;
  const [a, b, c, host] = octets as [number, number, number, number];
  return a === 10 && b === 0 && c === subnet.index && host >= FIRST_HOST && host <= LAST_HOST;
}

/** The lowest free address of the subnet, or undefined when none is left. */
export function nextFreeAddress(subnet: Subnet, inUse: ReadonlySet<string>): string | undefined {
  for (let host = FIRST_HOST; host <= LAST_HOST; host += 1) {
    const ip = `10.0.${subnet.index}.${host}`;
    if (!inUse.has(ip)) return ip;
  }
  return undefined;
}
