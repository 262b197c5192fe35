import { MountError } from './errors';
import { NFS3_FHSIZE } from './nfs3-types';
import type { RpcConnection } from './rpc-connection';
import type { OpaqueAuth } from './rpc-message';
import type { XdrReader } from './xdr';

/** MOUNT version 3 (RFC 1813, section 5, program 100005): root handles for exported paths. */

export const MOUNT_PROGRAM = 100005;
export const MOUNT_V3 = 3;
/** dirpath is string<MNTPATHLEN>, name string<MNTNAMLEN>. */
const MNTPATHLEN = 1024;
const MNTNAMLEN = 255;

const procedure = (number: number, name: string) => ({ program: MOUNT_PROGRAM, version: MOUNT_V3, procedure: number, name });
const MOUNTPROC3_MNT = procedure(1, 'MNT');
const MOUNTPROC3_UMNT = procedure(3, 'UMNT');
const MOUNTPROC3_EXPORT = procedure(5, 'EXPORT');

export interface MountResult {
  /** The root file handle of the mounted path. */
  handle: Buffer;
  /** The auth flavors the server accepts for it (1 is AUTH_SYS). */
  authFlavors: number[];
}

export interface ExportEntry {
  path: string;
  /** Host or netgroup names allowed to mount it; empty means everyone. */
  groups: string[];
}

export class MountClient {
  constructor(
    private readonly connection: RpcConnection,
    private readonly credential: OpaqueAuth,
  ) {}

  async mnt(path: string): Promise<MountResult> {
    const r = await this.connection.call(MOUNTPROC3_MNT, this.credential, (w) => w.string(path, MNTPATHLEN), { idempotent: true });
    const status = r.uint32();
    if (status !== 0) throw new MountError(status, path);
    return { handle: Buffer.from(r.opaque(NFS3_FHSIZE)), authFlavors: r.array((x) => x.int32()) };
  }

  /** Tells the server the client no longer uses `path`; the reply carries nothing. */
  async umnt(path: string): Promise<void> {
    await this.connection.call(MOUNTPROC3_UMNT, this.credential, (w) => w.string(path, MNTPATHLEN), { idempotent: true });
  }

  async exports(): Promise<ExportEntry[]> {
    const r = await this.connection.call(MOUNTPROC3_EXPORT, this.credential, undefined, { idempotent: true });
    const entries: ExportEntry[] = [];
    while (r.bool()) {
      const path = r.string(MNTPATHLEN);
      entries.push({ path, groups: readGroups(r) });
    }
    r.end();
    return entries;
  }
}

function readGroups(r: XdrReader): string[] {
  const groups: string[] = [];
  while (r.bool()) groups.push(r.string(MNTNAMLEN));
  return groups;
}
