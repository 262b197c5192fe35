import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where the shared NFS-Ganesha serves its export: scripts/nfs/start-ganesha.sh writes it to
 * STATE_DIR/server.json (default /var/lib/osbkit-nfs). Benches and tests read it here.
 */

export interface NfsServerFile {
  host: string;
  /** The exported server path. */
  export: string;
  nfsPort: number;
  mountPort: number;
}

export const NFS_SERVER_FILE = process.env.OSBKIT_NFS_SERVER_FILE ?? join(process.env.OSBKIT_NFS_STATE_DIR ?? '/var/lib/osbkit-nfs', 'server.json');

export function readNfsServerFile(path = NFS_SERVER_FILE): NfsServerFile {
  if (!existsSync(path)) {
    throw new Error(`no NFS server: ${path} is missing; run "bash scripts/ensure-services.sh" (as root) or set OSBKIT_NFS_SERVER_FILE`);
  }
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (typeof parsed !== 'object' || parsed === null) throw new Error(`${path} does not hold a JSON object`);
  const { host, export: exportPath, nfsPort, mountPort } = parsed as Record<string, unknown>;
  if (typeof host !== 'string' || typeof exportPath !== 'string' || typeof nfsPort !== 'number' || typeof mountPort !== 'number') {
    throw new Error(`${path} lacks host, export, nfsPort or mountPort`);
  }
  return { host, export: exportPath, nfsPort, mountPort };
}
