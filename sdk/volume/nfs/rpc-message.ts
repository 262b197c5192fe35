import { hostname } from 'node:os';
import { RpcAcceptError, RpcDeniedError, RpcProtocolError, XdrError } from './errors';
import { XdrReader, XdrWriter } from './xdr';

/**
 * ONC RPC version 2 messages (RFC 5531): the call header with its credential and verifier, and
 * the reply header, turned into either a reader positioned at the procedure's results or a
 * typed RpcError.
 */

const RPC_VERSION = 2;
const MSG_CALL = 0;
const MSG_REPLY = 1;
const MSG_ACCEPTED = 0;
const MSG_DENIED = 1;
const SUCCESS = 0;
const PROG_MISMATCH = 2;
const RPC_MISMATCH = 0;
const AUTH_ERROR = 1;

export const AUTH_NONE = 0;
export const AUTH_SYS = 1;
/** RFC 5531 bounds opaque_auth bodies to 400 bytes, AUTH_SYS machine names to 255 and groups to 16. */
const MAX_AUTH_BYTES = 400;
const MAX_MACHINE_NAME = 255;
export const MAX_AUTH_SYS_GROUPS = 16;

/** An opaque_auth: a flavor and its body, already encoded. */
export interface OpaqueAuth {
  flavor: number;
  body: Buffer;
}

export const NO_AUTH: OpaqueAuth = { flavor: AUTH_NONE, body: Buffer.alloc(0) };

/** The identity AUTH_SYS asserts; the server trusts it as given. */
export interface AuthSysIdentity {
  uid: number;
  gid: number;
  /** Supplementary groups, at most 16. */
  groups?: readonly number[];
  /** Defaults to this host's name (cut to 255 bytes). */
  machineName?: string;
}

/** Encodes authsys_parms (RFC 5531, appendix A) as an AUTH_SYS credential. */
export function authSys(identity: AuthSysIdentity): OpaqueAuth {
  const groups = identity.groups ?? [];
  if (groups.length > MAX_AUTH_SYS_GROUPS) throw new XdrError(`AUTH_SYS carries at most ${MAX_AUTH_SYS_GROUPS} groups, got ${groups.length}`);
  const machine = Buffer.from(identity.machineName ?? hostname(), 'utf8').subarray(0, MAX_MACHINE_NAME);
  const body = new XdrWriter(64)
    // The stamp only lets a server tell credentials apart; seconds since the epoch is customary.
    .uint32(Math.floor(Date.now() / 1000) >>> 0)
    .opaque(machine, MAX_MACHINE_NAME)
    .uint32(identity.uid)
    .uint32(identity.gid)
    .array(groups, (w, group) => w.uint32(group), MAX_AUTH_SYS_GROUPS)
    .toBuffer();
  return { flavor: AUTH_SYS, body };
}

export interface RpcCall {
  xid: number;
  program: number;
  version: number;
  procedure: number;
  credential: OpaqueAuth;
}

/** Writes rpc_msg up to and including the verifier; the procedure's arguments follow. */
export function writeCallHeader(writer: XdrWriter, call: RpcCall): XdrWriter {
  return writer
    .uint32(call.xid)
    .enum(MSG_CALL)
    .uint32(RPC_VERSION)
    .uint32(call.program)
    .uint32(call.version)
    .uint32(call.procedure)
    .enum(call.credential.flavor)
    .opaque(call.credential.body, MAX_AUTH_BYTES)
    .enum(NO_AUTH.flavor)
    .opaque(NO_AUTH.body, MAX_AUTH_BYTES);
}

/** The xid of a reply record, read before anything else so it can be matched to its call. */
export function replyXid(record: Buffer): number {
  if (record.length < 8) throw new RpcProtocolError(`a reply of ${record.length} bytes is too short for a header`);
  return record.readUInt32BE(0);
}

/**
 * Checks the reply header of a record whose xid matched `procedure`'s call, and returns a
 * reader at the start of its results. `procedure` only names the call in errors.
 */
export function readReply(record: Buffer, procedure: string): XdrReader {
  const reader = new XdrReader(record);
  reader.uint32();
  const type = reader.enum();
  if (type !== MSG_REPLY) throw new RpcProtocolError(`${procedure}: expected a reply (msg_type 1), got msg_type ${type}`);
  const replyStat = reader.enum();
  if (replyStat === MSG_DENIED) {
    const rejectStat = reader.enum();
    if (rejectStat === RPC_MISMATCH) throw new RpcDeniedError(procedure, 'RPC_MISMATCH');
    if (rejectStat === AUTH_ERROR) throw new RpcDeniedError(procedure, 'AUTH_ERROR', reader.enum());
    throw new RpcProtocolError(`${procedure}: unknown reject_stat ${rejectStat}`);
  }
  if (replyStat !== MSG_ACCEPTED) throw new RpcProtocolError(`${procedure}: unknown reply_stat ${replyStat}`);
  reader.enum();
  reader.opaque(MAX_AUTH_BYTES);
  const acceptStat = reader.enum();
  if (acceptStat === SUCCESS) return reader;
  if (acceptStat === PROG_MISMATCH) throw new RpcAcceptError(procedure, acceptStat, { low: reader.uint32(), high: reader.uint32() });
  throw new RpcAcceptError(procedure, acceptStat);
}
