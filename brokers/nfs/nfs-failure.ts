import {
  MountError, NfsClientError, NfsError, NfsSymlinkError, PortmapError, RpcAcceptError, RpcConnectionError, RpcDeniedError, RpcTimeoutError,
} from '../../sdk/volume';

/**
 * What went wrong talking to an NFS server, in words a user or operator can act on. The
 * client's own message follows in parentheses for whoever has to dig further.
 */

/** Work that did not finish within the broker's own bound on it. */
export class DeadlineError extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${formatSeconds(ms)}`);
    this.name = 'DeadlineError';
  }
}

/**
 * Settles with `work` or rejects with DeadlineError after `ms`, whichever is first. The work
 * itself goes on (each of its calls has its own timeout) and tidies up after itself; its late
 * outcome is dropped.
 */
export async function withinDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(ms)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } catch (error) {
    if (error instanceof DeadlineError) work.catch(() => undefined);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

const CONNECT_REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'the server name does not resolve',
  EAI_AGAIN: 'the server name could not be resolved (DNS did not answer)',
  EHOSTUNREACH: 'no route to the server',
  ENETUNREACH: 'no route to the server',
  ETIMEDOUT: 'the connection timed out',
  ECONNRESET: 'the server reset the connection',
};

/** The reason for an NFS failure, or undefined when `error` did not come from talking NFS (a bug). */
export function nfsFailureReason(error: unknown): string | undefined {
  if (error instanceof DeadlineError) return `the server gave no answer within ${formatSeconds(error.ms)}`;
  if (!(error instanceof NfsClientError)) return undefined;
  const detail = ` (${error.message})`;
  if (error instanceof RpcConnectionError) return `${(error.causeCode && CONNECT_REASONS[error.causeCode]) ?? 'cannot connect'}${detail}`;
  if (error instanceof RpcTimeoutError) return `the server gave no answer within ${formatSeconds(error.timeoutMs)}${detail}`;
  if (error instanceof PortmapError) return `the server's portmapper offers no NFSv3 or MOUNTv3 service over TCP${detail}`;
  if (error instanceof MountError) {
    if (error.code === 'MNT3ERR_NOENT') return `export not found${detail}`;
    if (error.code === 'MNT3ERR_ACCES' || error.code === 'MNT3ERR_PERM') return `permission denied: the server does not export this path to the broker's host, or has no such export${detail}`;
    return `the server refused to mount it${detail}`;
  }
  if (error instanceof NfsError) {
    if (error.code === 'NFS3ERR_NOENT') return `the path does not exist on the server${detail}`;
    if (error.code === 'NFS3ERR_ACCES' || error.code === 'NFS3ERR_PERM') return `permission denied${detail}`;
    if (error.code === 'NFS3ERR_NOTDIR') return `a part of the path is not a directory${detail}`;
    return `the server answered with an error${detail}`;
  }
  if (error instanceof NfsSymlinkError) return `the path passes through a symbolic link, which the broker does not follow${detail}`;
  if (error instanceof RpcDeniedError) return `the server refused the broker's credentials${detail}`;
  if (error instanceof RpcAcceptError) return `the server does not serve NFSv3 as expected${detail}`;
  return error.message;
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}
