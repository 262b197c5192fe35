import { MountError, NfsClientError, NfsError, PortmapError, RpcConnectionError, RpcTimeoutError } from '../../../sdk/volume/nfs';

/**
 * Why a mount failed, in words an app developer can act on. It goes into the safe error the
 * cell shows in the app's events and logs, so it names the share and the reason and nothing
 * of the cell (no host paths).
 */

const CONNECT_REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'the server refused the connection',
  ENOTFOUND: 'the server name does not resolve',
  EAI_AGAIN: 'the server name could not be resolved',
  EHOSTUNREACH: 'there is no route to the server',
  ENETUNREACH: 'there is no route to the server',
  ETIMEDOUT: 'the connection to the server timed out',
  ECONNRESET: 'the server reset the connection',
};

export function mountFailureReason(error: unknown): string {
  if (error instanceof RpcConnectionError) return (error.causeCode && CONNECT_REASONS[error.causeCode]) ?? 'the server cannot be reached';
  if (error instanceof RpcTimeoutError) return `the server gave no answer within ${seconds(error.timeoutMs)}`;
  if (error instanceof PortmapError) return "the server's portmapper offers no NFSv3 or MOUNTv3 service over TCP";
  if (error instanceof MountError) {
    if (error.code === 'MNT3ERR_NOENT') return 'the server has no such export';
    if (error.code === 'MNT3ERR_ACCES' || error.code === 'MNT3ERR_PERM') return 'the server does not export this path to this cell';
    return `the server refused the mount (${error.code})`;
  }
  if (error instanceof NfsError) {
    if (error.code === 'NFS3ERR_NOENT') return 'the directory does not exist on the server';
    if (error.code === 'NFS3ERR_ACCES' || error.code === 'NFS3ERR_PERM') return 'the bound uid and gid may not use the directory';
    return `the server answered ${error.code}`;
  }
  if (error instanceof NfsClientError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

export function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
