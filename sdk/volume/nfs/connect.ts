import { MountError, NfsUrlError } from './errors';
import { NfsClient } from './client';
import { MountClient, MOUNT_PROGRAM, MOUNT_V3, type ExportEntry } from './mount';
import { Nfs3, NFS_PROGRAM, NFS_V3 } from './nfs3';
import { getPort, PORTMAP_PORT } from './portmap';
import { RpcConnection } from './rpc-connection';
import { authSys } from './rpc-message';
import { parseNfsUrl, type NfsUrl } from './url';

/**
 * From an nfs:// URL to a mounted NfsClient: find the ports (fixed, or from the portmapper),
 * pick the export that holds the URL's path, MNT it, and read FSINFO and the root's attributes.
 */

export interface NfsConnectOptions {
  /** AUTH_SYS identity; the URL's uid/gid are used when these are not given, then this process's. */
  uid?: number;
  gid?: number;
  /** Supplementary groups for AUTH_SYS (at most 16). */
  groups?: readonly number[];
  /** Fixed ports; each one given (here or in the URL) skips the portmapper for that service. */
  nfsPort?: number;
  mountPort?: number;
  /** The portmapper's port. Default 111. */
  portmapPort?: number;
  /**
   * The server path to MNT. By default it is the longest export in the server's EXPORT list
   * that contains the URL's path, or else the longest prefix of the path the server mounts.
   */
  exportPath?: string;
  /** Per call, in ms. Default 30 s. */
  timeoutMs?: number;
  /** READs and WRITEs outstanding at once in readFile/writeFile and the streams. Default 4 READs, 8 WRITEs. */
  readWindow?: number;
  writeWindow?: number;
  /** Calls outstanding on the NFS connection at once. Default 64. */
  maxInFlight?: number;
  /** Largest READ or WRITE, whatever the server prefers. Default 1 MiB. */
  maxTransferSize?: number;
}

/**
 * Measured on NFS-Ganesha over loopback (bench:nfs): reads gain nothing past 2-4 outstanding,
 * and a fresh connection fills its receive buffer slower with more; writes gain up to 8.
 */
const DEFAULT_READ_WINDOW = 4;
const DEFAULT_WRITE_WINDOW = 8;
const DEFAULT_MAX_TRANSFER = 1024 * 1024;
/** Room beside the data for RPC and NFS headers, and for READDIRPLUS replies of up to 256 KiB. */
const REPLY_OVERHEAD = 512 * 1024;

export async function connectNfs(target: string | NfsUrl, options: NfsConnectOptions = {}): Promise<NfsClient> {
  const url = typeof target === 'string' ? parseNfsUrl(target) : target;
  const limits = { readWindow: options.readWindow, writeWindow: options.writeWindow, maxInFlight: options.maxInFlight, maxTransferSize: options.maxTransferSize };
  for (const [name, value] of Object.entries(limits)) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) throw new NfsUrlError(`${name} must be a positive integer, got ${value}`);
  }
  const credential = authSys({
    uid: options.uid ?? url.uid ?? process.getuid?.() ?? 0,
    gid: options.gid ?? url.gid ?? process.getgid?.() ?? 0,
    ...(options.groups && { groups: options.groups }),
  });
  const timeoutMs = options.timeoutMs ?? 30_000;
  const portmap = { port: options.portmapPort ?? PORTMAP_PORT, timeoutMs };
  const mountPort = options.mountPort ?? url.mountPort ?? (await getPort(url.host, MOUNT_PROGRAM, MOUNT_V3, portmap));
  const nfsPort = options.nfsPort ?? url.nfsPort ?? (await getPort(url.host, NFS_PROGRAM, NFS_V3, portmap));

  const mountConnection = new RpcConnection({ host: url.host, port: mountPort, timeoutMs });
  const maxTransferSize = options.maxTransferSize ?? DEFAULT_MAX_TRANSFER;
  const nfsConnection = new RpcConnection({
    host: url.host,
    port: nfsPort,
    timeoutMs,
    maxRecordBytes: maxTransferSize + REPLY_OVERHEAD,
    ...(options.maxInFlight !== undefined && { maxInFlight: options.maxInFlight }),
  });
  try {
    const mount = new MountClient(mountConnection, credential);
    const { exportPath, handle } = await mountBest(mount, url.path, options.exportPath);
    const nfs = new Nfs3(nfsConnection, credential);
    const [fsInfo, attributes] = await Promise.all([nfs.fsinfo(handle), nfs.getattr(handle)]);
    return new NfsClient({
      host: url.host,
      exportPath,
      urlPath: exportPath === '/' ? url.path : url.path.slice(exportPath.length) || '/',
      nfs,
      mount,
      connections: [nfsConnection, mountConnection],
      root: { handle, attributes },
      fsInfo,
      readWindow: options.readWindow ?? DEFAULT_READ_WINDOW,
      writeWindow: options.writeWindow ?? DEFAULT_WRITE_WINDOW,
      maxTransferSize,
    });
  } catch (error) {
    await Promise.all([mountConnection.close(), nfsConnection.close()]);
    throw error;
  }
}

/** `path` itself and each of its parents, longest first: "/a/b" gives "/a/b", "/a", "/". */
export function pathPrefixes(path: string): string[] {
  const parts = path.split('/').filter((part) => part !== '');
  return parts.map((_, i) => `/${parts.slice(0, parts.length - i).join('/')}`).concat('/');
}

/** The exports that contain `path`, the most specific first. */
export function exportsContaining(path: string, exports: readonly ExportEntry[]): string[] {
  const prefixes = new Set(pathPrefixes(path));
  return exports
    .map((entry) => (entry.path.length > 1 ? entry.path.replace(/\/+$/, '') : entry.path))
    .filter((exportPath) => prefixes.has(exportPath))
    .sort((a, b) => b.length - a.length);
}

async function mountBest(mount: MountClient, path: string, exportPath: string | undefined): Promise<{ exportPath: string; handle: Buffer }> {
  if (exportPath !== undefined) {
    if (!pathPrefixes(path).includes(exportPath)) throw new NfsUrlError(`the export ${exportPath} does not contain ${path}`);
    return { exportPath, handle: (await mount.mnt(exportPath)).handle };
  }
  const listed = await mount.exports().then(
    (exports) => exportsContaining(path, exports),
    // Some servers keep their export list to themselves; then each prefix is tried.
    () => [],
  );
  const candidates = listed.length > 0 ? listed : pathPrefixes(path);
  let firstFailure: MountError | undefined;
  for (const candidate of candidates) {
    try {
      return { exportPath: candidate, handle: (await mount.mnt(candidate)).handle };
    } catch (error) {
      if (!(error instanceof MountError)) throw error;
      firstFailure ??= error;
    }
  }
  throw firstFailure ?? new MountError(2, path);
}
