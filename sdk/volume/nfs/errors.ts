/**
 * Everything the NFS client throws. Three families, kept apart so a caller can tell "the server
 * answered NFS3ERR_NOENT" from "the RPC never got an answer":
 * - NfsError / MountError: the server ran the procedure and answered with a status;
 * - RpcError and its subclasses: the call failed at the ONC RPC level (timeout, connection,
 *   a denied or unaccepted call, a reply that does not parse);
 * - NfsUrlError, NfsSymlinkError, NfsPathError: the client refused before asking the server.
 */

export class NfsClientError extends Error {
  override readonly name: string = 'NfsClientError';
}

/** nfsstat3 (RFC 1813, section 2.6): every non-zero status a server may send. */
export const NFS3_STATUS_NAMES: Readonly<Record<number, string>> = {
  1: 'NFS3ERR_PERM',
  2: 'NFS3ERR_NOENT',
  5: 'NFS3ERR_IO',
  6: 'NFS3ERR_NXIO',
  13: 'NFS3ERR_ACCES',
  17: 'NFS3ERR_EXIST',
  18: 'NFS3ERR_XDEV',
  19: 'NFS3ERR_NODEV',
  20: 'NFS3ERR_NOTDIR',
  21: 'NFS3ERR_ISDIR',
  22: 'NFS3ERR_INVAL',
  27: 'NFS3ERR_FBIG',
  28: 'NFS3ERR_NOSPC',
  30: 'NFS3ERR_ROFS',
  31: 'NFS3ERR_MLINK',
  63: 'NFS3ERR_NAMETOOLONG',
  66: 'NFS3ERR_NOTEMPTY',
  69: 'NFS3ERR_DQUOT',
  70: 'NFS3ERR_STALE',
  71: 'NFS3ERR_REMOTE',
  10001: 'NFS3ERR_BADHANDLE',
  10002: 'NFS3ERR_NOT_SYNC',
  10003: 'NFS3ERR_BAD_COOKIE',
  10004: 'NFS3ERR_NOTSUPP',
  10005: 'NFS3ERR_TOOSMALL',
  10006: 'NFS3ERR_SERVERFAULT',
  10007: 'NFS3ERR_BADTYPE',
  10008: 'NFS3ERR_JUKEBOX',
};

/** The numeric nfsstat3 values by name, for comparisons such as `error.status === Nfs3Status.NFS3ERR_NOENT`. */
export const Nfs3Status = {
  NFS3_OK: 0,
  NFS3ERR_PERM: 1,
  NFS3ERR_NOENT: 2,
  NFS3ERR_IO: 5,
  NFS3ERR_NXIO: 6,
  NFS3ERR_ACCES: 13,
  NFS3ERR_EXIST: 17,
  NFS3ERR_XDEV: 18,
  NFS3ERR_NODEV: 19,
  NFS3ERR_NOTDIR: 20,
  NFS3ERR_ISDIR: 21,
  NFS3ERR_INVAL: 22,
  NFS3ERR_FBIG: 27,
  NFS3ERR_NOSPC: 28,
  NFS3ERR_ROFS: 30,
  NFS3ERR_MLINK: 31,
  NFS3ERR_NAMETOOLONG: 63,
  NFS3ERR_NOTEMPTY: 66,
  NFS3ERR_DQUOT: 69,
  NFS3ERR_STALE: 70,
  NFS3ERR_REMOTE: 71,
  NFS3ERR_BADHANDLE: 10001,
  NFS3ERR_NOT_SYNC: 10002,
  NFS3ERR_BAD_COOKIE: 10003,
  NFS3ERR_NOTSUPP: 10004,
  NFS3ERR_TOOSMALL: 10005,
  NFS3ERR_SERVERFAULT: 10006,
  NFS3ERR_BADTYPE: 10007,
  NFS3ERR_JUKEBOX: 10008,
} as const;

export function nfs3StatusName(status: number): string {
  return NFS3_STATUS_NAMES[status] ?? `NFS3ERR_UNKNOWN_${status}`;
}

/** The server answered an NFSv3 procedure with a non-zero nfsstat3. */
export class NfsError extends NfsClientError {
  override readonly name = 'NfsError';
  /** The symbolic name, e.g. "NFS3ERR_NOENT". */
  readonly code: string;

  constructor(
    /** The numeric nfsstat3, e.g. 2. */
    readonly status: number,
    /** The procedure that failed, e.g. "LOOKUP". */
    readonly procedure: string,
    /** The path the high-level API was working on, when there is one. */
    readonly path?: string,
  ) {
    const code = nfs3StatusName(status);
    super(`${procedure}${path === undefined ? '' : ` ${path}`}: ${code} (${status})`);
    this.code = code;
  }
}

export function isNfsError(error: unknown, status?: number): error is NfsError {
  return error instanceof NfsError && (status === undefined || error.status === status);
}

/** mountstat3 (RFC 1813, section 5.1.5). */
export const MOUNT3_STATUS_NAMES: Readonly<Record<number, string>> = {
  1: 'MNT3ERR_PERM',
  2: 'MNT3ERR_NOENT',
  5: 'MNT3ERR_IO',
  13: 'MNT3ERR_ACCES',
  20: 'MNT3ERR_NOTDIR',
  22: 'MNT3ERR_INVAL',
  63: 'MNT3ERR_NAMETOOLONG',
  10004: 'MNT3ERR_NOTSUPP',
  10006: 'MNT3ERR_SERVERFAULT',
};

/** The MOUNT service refused to hand out a root file handle for a path. */
export class MountError extends NfsClientError {
  override readonly name = 'MountError';
  readonly code: string;

  constructor(
    readonly status: number,
    readonly exportPath: string,
  ) {
    const code = MOUNT3_STATUS_NAMES[status] ?? `MNT3ERR_UNKNOWN_${status}`;
    super(`MNT ${exportPath}: ${code} (${status})`);
    this.code = code;
  }
}

/** Base of the ONC RPC failures: the procedure's own status was never read. */
export class RpcError extends NfsClientError {
  override readonly name: string = 'RpcError';
}

/** No reply arrived within the call's timeout. The call may still have run on the server. */
export class RpcTimeoutError extends RpcError {
  override readonly name = 'RpcTimeoutError';
  constructor(
    readonly procedure: string,
    readonly timeoutMs: number,
  ) {
    super(`${procedure}: no reply within ${timeoutMs} ms`);
  }
}

/** The TCP connection could not be made or broke while the call was outstanding. */
export class RpcConnectionError extends RpcError {
  override readonly name = 'RpcConnectionError';
  constructor(
    readonly endpoint: string,
    /** The system error code when there was one (ECONNREFUSED, ECONNRESET, ...). */
    readonly causeCode: string | undefined,
    detail: string,
  ) {
    super(`${endpoint}: ${detail}`);
  }
}

/** accept_stat (RFC 5531, section 9) for replies that were accepted but did not succeed. */
export const RPC_ACCEPT_STAT_NAMES: Readonly<Record<number, string>> = {
  1: 'PROG_UNAVAIL',
  2: 'PROG_MISMATCH',
  3: 'PROC_UNAVAIL',
  4: 'GARBAGE_ARGS',
  5: 'SYSTEM_ERR',
};

/** The server accepted the call but could not run it (wrong program, version or procedure, bad arguments). */
export class RpcAcceptError extends RpcError {
  override readonly name = 'RpcAcceptError';
  readonly code: string;
  constructor(
    readonly procedure: string,
    readonly acceptStat: number,
    /** For PROG_MISMATCH: the versions the server supports. */
    readonly supported?: { low: number; high: number },
  ) {
    const code = RPC_ACCEPT_STAT_NAMES[acceptStat] ?? `ACCEPT_STAT_${acceptStat}`;
    super(`${procedure}: RPC ${code}${supported ? ` (server supports ${supported.low}-${supported.high})` : ''}`);
    this.code = code;
  }
}

/** auth_stat (RFC 5531, section 9). */
export const RPC_AUTH_STAT_NAMES: Readonly<Record<number, string>> = {
  0: 'AUTH_OK',
  1: 'AUTH_BADCRED',
  2: 'AUTH_REJECTEDCRED',
  3: 'AUTH_BADVERF',
  4: 'AUTH_REJECTEDVERF',
  5: 'AUTH_TOOWEAK',
  6: 'AUTH_INVALIDRESP',
  7: 'AUTH_FAILED',
  13: 'RPCSEC_GSS_CREDPROBLEM',
  14: 'RPCSEC_GSS_CTXPROBLEM',
};

/** The server refused the call: RPC version mismatch, or the credentials were not good enough. */
export class RpcDeniedError extends RpcError {
  override readonly name = 'RpcDeniedError';
  readonly code: string;
  constructor(
    readonly procedure: string,
    readonly rejectStat: 'RPC_MISMATCH' | 'AUTH_ERROR',
    readonly authStat?: number,
  ) {
    const code = rejectStat === 'AUTH_ERROR' ? (RPC_AUTH_STAT_NAMES[authStat ?? -1] ?? `AUTH_STAT_${authStat}`) : 'RPC_MISMATCH';
    super(`${procedure}: call denied, ${code}`);
    this.code = code;
  }
}

/** A reply or record that does not follow RFC 5531 / RFC 4506 (truncated, oversized, wrong message type). */
export class RpcProtocolError extends RpcError {
  override readonly name: string = 'RpcProtocolError';
}

/** The portmapper has no TCP port for the program and version. */
export class PortmapError extends RpcError {
  override readonly name = 'PortmapError';
  constructor(
    readonly program: number,
    readonly version: number,
    host: string,
  ) {
    super(`the portmapper on ${host} has no TCP port for program ${program} version ${version}`);
  }
}

/** An XDR value could not be encoded or decoded (underflow, a length past its bound, a bad enum). */
export class XdrError extends RpcProtocolError {
  override readonly name = 'XdrError';
}

/** An nfs:// URL that cannot be used; `problem` names what is wrong with it. */
export class NfsUrlError extends NfsClientError {
  override readonly name = 'NfsUrlError';
  constructor(readonly problem: string) {
    super(`invalid NFS URL: ${problem}`);
  }
}

/** A path handed to the high-level API that it will not resolve (empty component, NUL, escaping the export). */
export class NfsPathError extends NfsClientError {
  override readonly name = 'NfsPathError';
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
  }
}

/**
 * Resolution met a symbolic link where following it was not asked for (or, when it was, met
 * more links than the hop limit). Nothing on the server was changed.
 */
export class NfsSymlinkError extends NfsClientError {
  override readonly name = 'NfsSymlinkError';
  constructor(
    readonly path: string,
    /** The component, from the root, that is the link. */
    readonly linkPath: string,
    readonly reason: 'not-followed' | 'too-many-links',
  ) {
    super(reason === 'not-followed' ? `${path}: ${linkPath} is a symbolic link (not followed)` : `${path}: too many symbolic links`);
  }
}
