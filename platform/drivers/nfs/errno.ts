import { constants } from 'node:os';
import { isNfsError, Nfs3Status, NfsClientError } from '../../../sdk/volume/nfs';

/**
 * What a FUSE operation answers the kernel for a failure: a negative errno. Every failure that
 * is not the server's own status (a timeout, a broken or refused connection, a reply that does
 * not parse) is EIO, the answer a program can handle, never a hang.
 */

const { errno } = constants;

/** NFSv3 statuses whose numbers differ from Linux's errno, or have no errno of their own. */
const FROM_NFS_STATUS: ReadonlyMap<number, number> = new Map([
  [Nfs3Status.NFS3ERR_NAMETOOLONG, errno.ENAMETOOLONG],
  [Nfs3Status.NFS3ERR_NOTEMPTY, errno.ENOTEMPTY],
  [Nfs3Status.NFS3ERR_DQUOT, errno.EDQUOT],
  [Nfs3Status.NFS3ERR_STALE, errno.ESTALE],
  // Linux's EREMOTE (66), which node's errno table leaves out.
  [Nfs3Status.NFS3ERR_REMOTE, 66],
  [Nfs3Status.NFS3ERR_BADHANDLE, errno.ESTALE],
  [Nfs3Status.NFS3ERR_NOT_SYNC, errno.EIO],
  [Nfs3Status.NFS3ERR_BAD_COOKIE, errno.EIO],
  [Nfs3Status.NFS3ERR_NOTSUPP, errno.EOPNOTSUPP],
  [Nfs3Status.NFS3ERR_TOOSMALL, errno.EIO],
  [Nfs3Status.NFS3ERR_SERVERFAULT, errno.EIO],
  [Nfs3Status.NFS3ERR_BADTYPE, errno.EINVAL],
  [Nfs3Status.NFS3ERR_JUKEBOX, errno.EAGAIN],
]);

/** The ones below 64 that RFC 1813 took from Unix and Linux numbers alike. */
const SAME_AS_ERRNO: ReadonlySet<number> = new Set([
  Nfs3Status.NFS3ERR_PERM,
  Nfs3Status.NFS3ERR_NOENT,
  Nfs3Status.NFS3ERR_IO,
  Nfs3Status.NFS3ERR_NXIO,
  Nfs3Status.NFS3ERR_ACCES,
  Nfs3Status.NFS3ERR_EXIST,
  Nfs3Status.NFS3ERR_XDEV,
  Nfs3Status.NFS3ERR_NODEV,
  Nfs3Status.NFS3ERR_NOTDIR,
  Nfs3Status.NFS3ERR_ISDIR,
  Nfs3Status.NFS3ERR_INVAL,
  Nfs3Status.NFS3ERR_FBIG,
  Nfs3Status.NFS3ERR_NOSPC,
  Nfs3Status.NFS3ERR_ROFS,
  Nfs3Status.NFS3ERR_MLINK,
]);

/** A failure the file system itself decides on (read-only, not supported, a bad argument). */
export class FsError extends Error {
  constructor(
    readonly errno: number,
    message: string,
  ) {
    super(message);
    this.name = 'FsError';
  }
}

export const fsErrors = {
  readOnly: (what: string) => new FsError(errno.EROFS, `${what}: the volume is mounted read-only`),
  timedOut: (what: string, ms: number) => new FsError(errno.EIO, `${what}: the NFS server gave no answer within ${ms} ms`),
  badDescriptor: (what: string) => new FsError(errno.EBADF, `${what}: no such open file`),
  notSupported: (what: string) => new FsError(errno.EOPNOTSUPP, `${what}: not supported over NFSv3 by this driver`),
  invalid: (what: string) => new FsError(errno.EINVAL, what),
};

/** The positive errno for anything an operation threw. */
export function errnoOf(error: unknown): number {
  if (error instanceof FsError) return error.errno;
  if (isNfsError(error)) {
    if (SAME_AS_ERRNO.has(error.status)) return error.status;
    return FROM_NFS_STATUS.get(error.status) ?? errno.EIO;
  }
  if (error instanceof NfsClientError) return errno.EIO;
  return errno.EIO;
}
