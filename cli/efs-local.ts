import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Supervisor } from './supervisor';

/**
 * `osbkit up --with-efs`: the EFS API emulator as a part of the platform, and the environment
 * that points the EFS broker at it, so the whole EFS flow runs on one machine. When the shared
 * NFS-Ganesha (scripts/nfs/start-ganesha.sh) runs here, the emulator's file systems live in a
 * directory of its export, one per OSBKIT_HOME, and bindings name that directory over NFS, so
 * the cell's NFS driver mounts them. Without it the broker still provisions and binds, but
 * nothing serves the file systems and apps bound to them cannot start.
 */

export interface LocalEfsOptions {
  /** The subnets the broker makes mount targets in; the emulator's own two by default. */
  subnetIds?: string;
  throttleRate?: string;
  errorRate?: string;
}

export interface LocalEfsPlan {
  backingDir: string;
  stateFile: string;
  /** nfs://host/path of the backing dir, when the shared NFS-Ganesha exports it. */
  nfsExport?: string;
  /** The share rule that lets the cell's NFS driver mount the file systems. */
  driverShareRule?: string;
  /** Why the file systems are not served over NFS, when they are not. */
  notServed?: string;
}

export interface LocalEfs {
  url: string;
  /** The EFS broker's environment: the emulator's endpoint, region, subnets, and keys for the default chain. */
  brokerEnv: Record<string, string>;
}

const EMULATOR_REGION = 'us-east-1';
const EMULATOR_SUBNETS = 'subnet-00000001,subnet-00000002';
/** Any well-formed id: the emulator checks the pattern, not that the group exists. */
const EMULATOR_SECURITY_GROUP = 'sg-00000000000000001';

interface NfsServerFile {
  host: string;
  export: string;
}

/** The shared NFS-Ganesha's server file (as scripts/nfs/start-ganesha.sh writes it), when it serves a directory of this machine. */
function localNfsServer(env: NodeJS.ProcessEnv): NfsServerFile | string {
  const path = env.OSBKIT_NFS_SERVER_FILE ?? join(env.OSBKIT_NFS_STATE_DIR ?? '/var/lib/osbkit-nfs', 'server.json');
  if (!existsSync(path)) return `no shared NFS-Ganesha (${path} is missing; "bash scripts/ensure-services.sh" as root starts one)`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return `${path} is not JSON`;
  }
  const { host, export: exportPath } = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  if (typeof host !== 'string' || typeof exportPath !== 'string' || !exportPath.startsWith('/')) return `${path} names no host and export`;
  if (!['127.0.0.1', 'localhost', '::1'].includes(host)) return `the NFS server in ${path} (${host}) is not on this machine`;
  try {
    if (!statSync(exportPath).isDirectory()) return `the export ${exportPath} is not a directory here`;
  } catch {
    return `the export ${exportPath} is not on this machine`;
  }
  return { host, export: exportPath };
}

/** Where the emulator keeps its state and file systems for this OSBKIT_HOME. */
export function planLocalEfs(home: string, env: NodeJS.ProcessEnv = process.env): LocalEfsPlan {
  const stateFile = join(home, 'efs-emulator', 'state.json');
  const server = localNfsServer(env);
  if (typeof server === 'string') return { backingDir: join(home, 'efs-emulator', 'file-systems'), stateFile, notServed: server };
  // One directory per home, so two platforms on one machine never share file systems.
  const name = `home-${createHash('sha256').update(home).digest('hex').slice(0, 16)}`;
  const relative = `/osbkit-efs/${name}`;
  const host = server.host.includes(':') ? `[${server.host}]` : server.host;
  return {
    backingDir: `${server.export}${relative}`,
    stateFile,
    nfsExport: `nfs://${host}${server.export}${relative}`,
    driverShareRule: `${host}${server.export}${relative}/**`,
  };
}

export async function startLocalEfs(supervisor: Supervisor, plan: LocalEfsPlan, options: LocalEfsOptions, port: number): Promise<LocalEfs> {
  const url = await supervisor.start({
    name: 'efs-emulator',
    args: [
      'efs-emulator', '--port', String(port), '--region', EMULATOR_REGION, '--backing-dir', plan.backingDir, '--state-file', plan.stateFile, '--quiet',
      ...(options.throttleRate !== undefined ? ['--throttle-rate', options.throttleRate] : []),
      ...(options.errorRate !== undefined ? ['--error-rate', options.errorRate] : []),
    ],
  });
  const brokerEnv: Record<string, string> = {
    OSBKIT_EFS_REGION: EMULATOR_REGION,
    OSBKIT_EFS_ENDPOINT: url,
    OSBKIT_EFS_SUBNET_IDS: options.subnetIds ?? EMULATOR_SUBNETS,
    OSBKIT_EFS_SECURITY_GROUP_IDS: EMULATOR_SECURITY_GROUP,
    OSBKIT_EFS_NFS_EXPORT: plan.nfsExport ?? '',
    // The emulator takes any well-formed signature: keys of its own, so the operator's real ones never reach it.
    AWS_ACCESS_KEY_ID: 'AKIDOSBKITEMULATOR',
    AWS_SECRET_ACCESS_KEY: 'osbkit-efs-emulator',
    AWS_SESSION_TOKEN: '',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  return { url, brokerEnv };
}
