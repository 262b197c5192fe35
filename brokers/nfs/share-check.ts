import { Access3, connectNfs, type NfsConnectOptions } from '../../sdk/volume/nfs';
import { withinDeadline } from './nfs-failure';
import { shareSource, type NfsShare } from '../../sdk/volume/nfs-share';

/**
 * The create-time check of an Existing share, so a share that cannot work fails the create,
 * not the app's start: MOUNT the export that holds it, walk to its path with LOOKUP (never
 * following a symbolic link), GETATTR it, and, when the instance names a uid, ask the server
 * whether that uid may read and search the directory. All of it within one deadline.
 */

export interface ShareCheckOptions {
  /** The bound on the whole check. */
  timeoutMs: number;
  /** The AUTH_SYS identity to ask as; the instance's uid/gid when it gives them, else root. */
  uid: number;
  gid: number;
  /** Whether a uid was given, so the server's answer to ACCESS says something about the app. */
  checkAccess: boolean;
  /** Where to find the server's portmapper; 111 unless set. */
  portmapPort?: number;
}

/** Why the share cannot be used, as thrown by the checks below; the client's own errors pass through. */
export class ShareUnusableError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'ShareUnusableError';
  }
}

export async function checkShare(share: NfsShare, options: ShareCheckOptions): Promise<void> {
  await withinDeadline(probe(share, options), options.timeoutMs);
}

async function probe(share: NfsShare, options: ShareCheckOptions): Promise<void> {
  const connect: NfsConnectOptions = { uid: options.uid, gid: options.gid, timeoutMs: options.timeoutMs };
  if (options.portmapPort !== undefined) connect.portmapPort = options.portmapPort;
  const client = await connectNfs(shareSource(share), connect);
  try {
    const attributes = await client.stat(client.urlPath);
    if (attributes.type !== 'directory') throw new ShareUnusableError(`it is a ${attributes.type} on the server, not a directory`);
    if (!options.checkAccess) return;
    const wanted = Access3.READ | Access3.LOOKUP;
    const granted = await client.access(client.urlPath, wanted);
    if ((granted & wanted) !== wanted) {
      throw new ShareUnusableError(`permission denied: uid ${options.uid} gid ${options.gid} may not read the directory (mode ${(attributes.mode & 0o7777).toString(8).padStart(4, '0')}, owner ${attributes.uid}:${attributes.gid})`);
    }
  } finally {
    await client.close();
  }
}
