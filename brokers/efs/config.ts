import { parseNfsUrl, NfsUrlError } from '../../sdk/volume';
import { DEFAULT_MAX_ATTEMPTS } from './efs-api';

/**
 * The operator's configuration, checked once at start-up: a broker that cannot create a mount
 * target (no subnets, no security groups) or would sign for no region refuses to start, naming
 * what is missing, instead of failing every provision later.
 */

export interface EfsBrokerConfig {
  /** --region, OSBKIT_EFS_REGION, then AWS_REGION. */
  region?: string;
  /** Comma-separated subnet ids: one mount target in each (--subnet-ids, OSBKIT_EFS_SUBNET_IDS). */
  subnetIds?: string;
  /** Comma-separated security group ids for every mount target (--security-group-ids, OSBKIT_EFS_SECURITY_GROUP_IDS). */
  securityGroupIds?: string;
  /** Another EFS endpoint, e.g. the emulator (--endpoint, OSBKIT_EFS_ENDPOINT). */
  endpoint?: string;
  /**
   * nfs://host/path under which file system fs-X is the directory fs-X (--nfs-export,
   * OSBKIT_EFS_NFS_EXPORT): the emulator's backing directory as an NFS server exports it.
   * Without it, bindings name AWS's mount address and NFSv4.1.
   */
  nfsExport?: string;
  driver?: string;
  maxAttempts?: number;
  waitInitialMs?: number;
  waitMaxMs?: number;
}

export interface ResolvedEfsConfig {
  region: string;
  subnetIds: string[];
  securityGroupIds: string[];
  endpoint?: string;
  nfsExport?: NfsExport;
  driver: string;
  maxAttempts: number;
  waits: WaitPolicy;
}

/** The NFS location of the emulator's file systems; no query, no trailing slash. */
export interface NfsExport {
  host: string;
  path: string;
}

export interface WaitPolicy {
  /** The first wait for AWS to finish something; each further wait in a row doubles it. */
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_EFS_DRIVER = 'nfsv3driver';
export const DEFAULT_WAITS: WaitPolicy = { initialMs: 1_000, maxMs: 15_000 };
/** AWS allows five security groups per mount target. */
export const MAX_SECURITY_GROUPS = 5;

const SUBNET_ID = /^subnet-[0-9a-f]{8,40}$/;
const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8,40}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

export class EfsConfigError extends Error {
  override readonly name = 'EfsConfigError';
}

/** The flags given, and for those not given the environment. Empty values count as not set. */
export function efsBrokerConfig(flags: EfsBrokerConfig, env: NodeJS.ProcessEnv = process.env): EfsBrokerConfig {
  const pick = (flag: string | undefined, ...names: string[]): string | undefined => {
    if (flag !== undefined && flag.trim() !== '') return flag.trim();
    for (const name of names) {
      const value = env[name]?.trim();
      if (value) return value;
    }
    return undefined;
  };
  const region = pick(flags.region, 'OSBKIT_EFS_REGION', 'AWS_REGION');
  const subnetIds = pick(flags.subnetIds, 'OSBKIT_EFS_SUBNET_IDS');
  const securityGroupIds = pick(flags.securityGroupIds, 'OSBKIT_EFS_SECURITY_GROUP_IDS');
  const endpoint = pick(flags.endpoint, 'OSBKIT_EFS_ENDPOINT');
  const nfsExport = pick(flags.nfsExport, 'OSBKIT_EFS_NFS_EXPORT');
  return {
    ...flags,
    ...(region !== undefined ? { region } : {}),
    ...(subnetIds !== undefined ? { subnetIds } : {}),
    ...(securityGroupIds !== undefined ? { securityGroupIds } : {}),
    ...(endpoint !== undefined ? { endpoint } : {}),
    ...(nfsExport !== undefined ? { nfsExport } : {}),
  };
}

/** Checks everything and reports every problem at once. */
export function resolveEfsConfig(config: EfsBrokerConfig): ResolvedEfsConfig {
  const problems: string[] = [];
  const region = config.region;
  if (region === undefined) problems.push('--region (or OSBKIT_EFS_REGION or AWS_REGION) is required: the AWS region the file systems are made in');
  else if (!REGION.test(region)) problems.push(`--region ${JSON.stringify(region)} is not an AWS region name such as us-east-1`);

  const subnetIds = idList(config.subnetIds, '--subnet-ids', SUBNET_ID, 'subnet-0123456789abcdef0', problems);
  if (config.subnetIds === undefined) {
    problems.push('--subnet-ids (or OSBKIT_EFS_SUBNET_IDS) is required: the subnets to make a mount target in, one per availability zone, in the VPC of the cells');
  }
  const securityGroupIds = idList(config.securityGroupIds, '--security-group-ids', SECURITY_GROUP_ID, 'sg-0123456789abcdef0', problems);
  if (config.securityGroupIds === undefined) {
    problems.push('--security-group-ids (or OSBKIT_EFS_SECURITY_GROUP_IDS) is required: the security groups of the mount targets, which must let the cells reach NFS (TCP 2049)');
  } else if (securityGroupIds.length > MAX_SECURITY_GROUPS) {
    problems.push(`--security-group-ids names ${securityGroupIds.length} groups; AWS allows at most ${MAX_SECURITY_GROUPS} per mount target`);
  }

  let endpoint: string | undefined;
  if (config.endpoint !== undefined) {
    endpoint = config.endpoint;
    let url: URL | undefined;
    try {
      url = new URL(endpoint);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
      problems.push(`--endpoint ${JSON.stringify(endpoint)} must be an http:// or https:// URL without credentials, query or fragment`);
    }
  }

  let nfsExport: NfsExport | undefined;
  if (config.nfsExport !== undefined) {
    try {
      nfsExport = readNfsExport(config.nfsExport);
    } catch (error) {
      if (!(error instanceof EfsConfigError)) throw error;
      problems.push(error.message);
    }
  }

  const driver = config.driver ?? DEFAULT_EFS_DRIVER;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(driver)) problems.push(`--driver ${JSON.stringify(driver)} is not a volume driver name`);
  const maxAttempts = config.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 20) problems.push('--max-attempts must be a whole number from 1 to 20');
  const waits: WaitPolicy = { initialMs: config.waitInitialMs ?? DEFAULT_WAITS.initialMs, maxMs: config.waitMaxMs ?? DEFAULT_WAITS.maxMs };
  if (!Number.isFinite(waits.initialMs) || waits.initialMs < 10) problems.push('--wait-initial-ms must be at least 10');
  if (!Number.isFinite(waits.maxMs) || waits.maxMs < waits.initialMs) problems.push('--wait-max-ms must be at least --wait-initial-ms');

  if (problems.length > 0) throw new EfsConfigError(`The EFS broker's configuration is incomplete or invalid:\n  - ${problems.join('\n  - ')}`);
  return {
    region: region!,
    subnetIds,
    securityGroupIds,
    ...(endpoint !== undefined ? { endpoint } : {}),
    ...(nfsExport !== undefined ? { nfsExport } : {}),
    driver,
    maxAttempts,
    waits,
  };
}

function idList(text: string | undefined, flag: string, pattern: RegExp, example: string, problems: string[]): string[] {
  if (text === undefined) return [];
  const ids = text.split(',').map((id) => id.trim());
  if (ids.some((id) => id === '')) {
    problems.push(`${flag} has an empty entry: give comma-separated ids such as ${example}`);
    return [];
  }
  const bad = ids.filter((id) => !pattern.test(id));
  if (bad.length > 0) problems.push(`${flag}: ${bad.map((id) => JSON.stringify(id)).join(', ')} ${bad.length === 1 ? 'is' : 'are'} not ${flag === '--subnet-ids' ? 'a subnet id' : 'a security group id'} such as ${example}`);
  const repeated = ids.filter((id, index) => ids.indexOf(id) !== index);
  if (repeated.length > 0) problems.push(`${flag} names ${[...new Set(repeated)].join(', ')} more than once`);
  return ids;
}

function readNfsExport(text: string): NfsExport {
  const refuse = (why: string): never => {
    throw new EfsConfigError(`--nfs-export ${JSON.stringify(text)} ${why}`);
  };
  if (!/^nfs:\/\//i.test(text)) refuse('must be an nfs://host/path URL');
  if (text.includes('?') || text.includes('#')) refuse('must have no query or fragment: the driver adds its own options');
  let parsed: { host: string; path: string };
  try {
    parsed = parseNfsUrl(text);
  } catch (error) {
    if (error instanceof NfsUrlError) return refuse(`is not a valid NFS URL: ${error.message}`);
    throw error;
  }
  // The characters the NFS broker allows in a share, so the source reads the same in every tool.
  if (parsed.path === '/' || !parsed.path.split('/').slice(1).every((segment) => /^[A-Za-z0-9._~\-+=,@:]+$/.test(segment))) {
    refuse('must name a directory below the export root, each segment of A-Z a-z 0-9 . _ ~ - + = , @ : only');
  }
  return { host: parsed.host, path: parsed.path };
}
