import { connectNfs, isNfsError, Nfs3Status, NfsUrlError, parseNfsUrl, type NfsClient, type NfsUrl } from '../../sdk/volume';
import { withinDeadline } from './nfs-failure';
import { parseShare, shareText, ShareSyntaxError, type NfsShare } from '../../sdk/volume/nfs-share';

/**
 * The Managed plan's export: a directory per instance under it, made, handed to the
 * instance's uid and gid with mode 0770, and removed with everything in it, all through the
 * NFS client (so the broker needs no mount). Like Kubernetes' nfs-subdir provisioner.
 */

export const INSTANCE_DIR_MODE = 0o770;

export class ManagedShareError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'ManagedShareError';
  }
}

export class ManagedShare {
  /** The base directory as a share ("server/path"); each instance's share is a directory in it. */
  readonly share: NfsShare;

  private constructor(
    /** The URL as configured; stored with each instance so it is deleted where it was made. */
    readonly url: string,
    private readonly parsed: NfsUrl,
    private readonly connectTimeoutMs: number,
  ) {
    this.share = parseShare(`${parsed.host.includes(':') ? `[${parsed.host}]` : parsed.host}${parsed.path}`);
  }

  /**
   * From --managed-share / OSBKIT_NFS_MANAGED_SHARE: nfs://server/export/path, optionally with
   * ?uid=&gid= (the broker's identity on the server, root by default, which must not be
   * squashed since it hands directories to other users) and ?nfsport=&mountport=.
   */
  static parse(url: string, connectTimeoutMs: number): ManagedShare {
    let parsed: NfsUrl;
    try {
      parsed = parseNfsUrl(url);
    } catch (error) {
      if (error instanceof NfsUrlError) throw new ManagedShareError(`the managed share ${JSON.stringify(url)} is not usable: ${error.problem}`);
      throw error;
    }
    try {
      return new ManagedShare(url, parsed, connectTimeoutMs);
    } catch (error) {
      if (error instanceof ShareSyntaxError) throw new ManagedShareError(`the managed share ${JSON.stringify(url)} is not usable: ${error.problem}`);
      throw error;
    }
  }

  /** The share of the instance directory `name`. */
  instanceShare(name: string): NfsShare {
    return { ...this.share, path: this.instancePath(this.share.path, name) };
  }

  /**
   * Makes the directory (or adopts it when a repeated provision finds it made), then gives it
   * to uid:gid with mode 0770 and reads back that the server did so.
   */
  async createInstanceDir(name: string, owner: { uid: number; gid: number }): Promise<void> {
    await this.withClient(async (client) => {
      const path = this.instancePath(client.urlPath, name);
      await client.mkdir(path, { mode: INSTANCE_DIR_MODE }).catch((error: unknown) => {
        if (!isNfsError(error, Nfs3Status.NFS3ERR_EXIST)) throw error;
      });
      const found = await client.stat(path);
      if (found.type !== 'directory') throw new ManagedShareError(`${this.describe(name)} exists and is a ${found.type}, not a directory; the operator must remove it`);
      await client.setattr(path, { uid: owner.uid, gid: owner.gid, mode: INSTANCE_DIR_MODE });
      const made = await client.stat(path);
      if (made.uid !== owner.uid || made.gid !== owner.gid || (made.mode & 0o7777) !== INSTANCE_DIR_MODE) {
        throw new ManagedShareError(
          `the server did not give ${this.describe(name)} to ${owner.uid}:${owner.gid} with mode 0770 (it shows ${made.uid}:${made.gid}, mode ${(made.mode & 0o7777).toString(8)}); the export must not squash the broker's identity`,
        );
      }
    });
  }

  /**
   * Removes the directory and everything in it. The client removes a symbolic link as the link
   * and never descends through one, so nothing outside the directory is touched.
   * Answers false when there was nothing to remove.
   */
  async removeInstanceDir(name: string): Promise<boolean> {
    return this.withClient(async (client) => {
      const path = this.instancePath(client.urlPath, name);
      if (!(await client.exists(path))) return false;
      await client.rm(path, { recursive: true });
      return true;
    });
  }

  private describe(name: string): string {
    return `the instance directory ${shareText(this.instanceShare(name))}`;
  }

  private instancePath(base: string, name: string): string {
    return `${base === '/' ? '' : base}/${name}`;
  }

  /** Connecting is bounded as a whole; the work after it is bounded call by call. */
  private async withClient<T>(work: (client: NfsClient) => Promise<T>): Promise<T> {
    const connecting = connectNfs(this.parsed, { uid: this.parsed.uid ?? 0, gid: this.parsed.gid ?? 0, timeoutMs: this.connectTimeoutMs });
    const client = await withinDeadline(connecting, this.connectTimeoutMs).catch((error: unknown) => {
      // A connection that completes after the deadline is closed, not leaked.
      void connecting.then((late) => late.close(), () => undefined);
      throw error;
    });
    try {
      return await work(client);
    } finally {
      await client.close();
    }
  }
}
