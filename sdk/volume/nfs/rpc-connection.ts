import { randomInt } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { RpcConnectionError, RpcError, RpcTimeoutError } from './errors';
import { RecordDecoder, recordHeader } from './record-marking';
import { readReply, replyXid, writeCallHeader, type OpaqueAuth } from './rpc-message';
import { XdrWriter, type XdrReader } from './xdr';

/**
 * ONC RPC over one TCP connection: many calls outstanding at once, each reply matched to its
 * call by xid; a timeout per call; and reconnection. When the connection breaks, calls not yet
 * sent wait for the next connection, and idempotent calls that were outstanding are sent again
 * with the same xid (so a server's duplicate request cache can recognise them); other
 * outstanding calls fail with RpcConnectionError, because running them twice could differ
 * from running them once.
 */

export interface RpcConnectionOptions {
  host: string;
  port: number;
  /** How long a call may wait for its reply, queueing and reconnecting included. Default 30 s. */
  timeoutMs?: number;
  /** How long making the TCP connection may take. Default 10 s. */
  connectTimeoutMs?: number;
  /** How often an idempotent call is sent again after its connection broke. Default 2. */
  retransmits?: number;
  /** Calls outstanding on the wire at once; more wait in order. Default 64. */
  maxInFlight?: number;
  /** Largest reply record accepted. Default 16 MiB. */
  maxRecordBytes?: number;
}

export interface RpcCallOptions {
  /** Safe to run twice (reads, lookups, writes at an offset): sent again after a reconnect. */
  idempotent: boolean;
  timeoutMs?: number;
}

/** One RPC procedure of one program version, with the name used in errors. */
export interface RpcProcedure {
  program: number;
  version: number;
  procedure: number;
  name: string;
}

const READ_BUFFER_BYTES = 256 * 1024;
/** A record body with at least this much still to come is read into directly. */
const DIRECT_READ_BYTES = 64 * 1024;

interface PendingCall {
  xid: number;
  name: string;
  message: Buffer[];
  idempotent: boolean;
  sendsLeft: number;
  /** The connection generation the call was last written to; undefined while it waits to be sent. */
  sentOn: number | undefined;
  timer: NodeJS.Timeout;
  resolve: (reader: XdrReader) => void;
  reject: (error: Error) => void;
}

export class RpcConnection {
  readonly endpoint: string;
  private readonly timeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly retransmits: number;
  private readonly maxInFlight: number;
  private readonly maxRecordBytes: number;
  private socket: Socket | undefined;
  private connecting = false;
  private generation = 0;
  private closed = false;
  private nextXid = randomInt(0, 0x1_0000_0000);
  private readonly pending = new Map<number, PendingCall>();
  private readonly waiting: PendingCall[] = [];
  private inFlight = 0;
  /** Connections made so far, and replies that came after their call had given up: for tests and diagnostics. */
  connections = 0;
  lateReplies = 0;

  constructor(private readonly options: RpcConnectionOptions) {
    this.endpoint = `${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.retransmits = options.retransmits ?? 2;
    this.maxInFlight = options.maxInFlight ?? 64;
    this.maxRecordBytes = options.maxRecordBytes ?? 16 * 1024 * 1024;
  }

  /** Calls a procedure; `writeArgs` encodes its arguments. Resolves with a reader at the start of the results. */
  call(procedure: RpcProcedure, credential: OpaqueAuth, writeArgs: ((writer: XdrWriter) => void) | undefined, options: RpcCallOptions): Promise<XdrReader> {
    if (this.closed) return Promise.reject(new RpcConnectionError(this.endpoint, undefined, `${procedure.name}: the connection was closed`));
    const xid = this.allocateXid();
    const writer = writeCallHeader(new XdrWriter(), { xid, ...procedure, credential });
    writeArgs?.(writer);
    const body = writer.toBuffers();
    const message = [recordHeader(writer.length), ...body];
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    return new Promise<XdrReader>((resolve, reject) => {
      const call: PendingCall = {
        xid,
        name: procedure.name,
        message,
        idempotent: options.idempotent,
        sendsLeft: 1 + (options.idempotent ? this.retransmits : 0),
        sentOn: undefined,
        timer: setTimeout(() => this.fail(call, new RpcTimeoutError(procedure.name, timeoutMs)), timeoutMs),
        resolve,
        reject,
      };
      this.pending.set(xid, call);
      this.waiting.push(call);
      this.pump();
    });
  }

  /** Fails every call still waiting or outstanding and closes the socket. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const call of [...this.pending.values()]) this.fail(call, new RpcConnectionError(this.endpoint, undefined, `${call.name}: the connection was closed`));
    const socket = this.socket;
    this.socket = undefined;
    if (socket && !socket.destroyed) {
      await new Promise<void>((resolve) => {
        socket.ref();
        socket.once('close', () => resolve());
        socket.end();
        // A peer that never answers the FIN must not hold close() up.
        setTimeout(() => socket.destroy(), 1000).unref();
      });
    }
  }

  private allocateXid(): number {
    let xid = this.nextXid;
    while (this.pending.has(xid)) xid = (xid + 1) >>> 0;
    this.nextXid = (xid + 1) >>> 0;
    return xid;
  }

  /** Sends waiting calls while the window has room, connecting first if needed. */
  private pump(): void {
    if (this.closed || this.waiting.length === 0) return;
    const socket = this.socket;
    if (!socket) {
      if (!this.connecting) this.openSocket();
      return;
    }
    if (this.inFlight >= this.maxInFlight) return;
    socket.ref();
    socket.cork();
    while (this.waiting.length > 0 && this.inFlight < this.maxInFlight) {
      const call = this.waiting.shift()!;
      call.sentOn = this.generation;
      call.sendsLeft -= 1;
      this.inFlight += 1;
      for (const part of call.message) socket.write(part);
    }
    process.nextTick(() => socket.uncork());
  }

  private openSocket(): void {
    this.connecting = true;
    const generation = ++this.generation;
    const decoder = new RecordDecoder(this.maxRecordBytes);
    // The body of a large reply (a READ's data) is read by the socket straight into its record
    // buffer, with no copy in between; everything else is read into one reused buffer and
    // copied out once by the decoder.
    const readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
    let protocolError: Error | undefined;
    let readingDirect = false;
    const socket = connect({
      host: this.options.host,
      port: this.options.port,
      onread: {
        buffer: () => {
          const direct = decoder.directTarget(DIRECT_READ_BYTES);
          readingDirect = direct !== undefined;
          return direct ?? readBuffer;
        },
        callback: (bytes: number, buffer: Uint8Array): boolean => {
          if (protocolError) return false;
          let records: Buffer[];
          try {
            records = readingDirect ? decoder.filled(bytes) : decoder.push(buffer.subarray(0, bytes));
          } catch (error) {
            protocolError = error instanceof Error ? error : new Error(String(error));
            socket.destroy(protocolError);
            return false;
          }
          for (const record of records) this.deliver(record);
          return true;
        },
      },
    });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    const connectTimer = setTimeout(() => socket.destroy(Object.assign(new Error(`no connection within ${this.connectTimeoutMs} ms`), { code: 'ETIMEDOUT' })), this.connectTimeoutMs);
    let established = false;
    let lastError: NodeJS.ErrnoException | undefined;
    socket.once('connect', () => {
      clearTimeout(connectTimer);
      established = true;
      this.connecting = false;
      this.connections += 1;
      if (this.closed) {
        socket.destroy();
        return;
      }
      this.socket = socket;
      this.pump();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      lastError = error;
    });
    socket.once('close', () => {
      clearTimeout(connectTimer);
      if (this.socket === socket) this.socket = undefined;
      if (!established) {
        this.connecting = false;
        this.connectFailed(lastError);
        return;
      }
      this.connectionLost(generation, lastError);
    });
  }

  private deliver(record: Buffer): void {
    let xid: number;
    try {
      xid = replyXid(record);
    } catch {
      this.lateReplies += 1;
      return;
    }
    const call = this.pending.get(xid);
    if (!call || call.sentOn === undefined) {
      this.lateReplies += 1;
      return;
    }
    this.settle(call);
    try {
      call.resolve(readReply(record, call.name));
    } catch (error) {
      call.reject(error instanceof Error ? error : new RpcError(String(error)));
    }
    this.pump();
  }

  /** The connection could not be made: everything waiting fails now rather than retrying blindly. */
  private connectFailed(error: NodeJS.ErrnoException | undefined): void {
    for (const call of [...this.waiting]) {
      this.fail(call, new RpcConnectionError(this.endpoint, error?.code, `${call.name}: cannot connect${error ? `: ${error.message}` : ''}`));
    }
  }

  private connectionLost(generation: number, error: NodeJS.ErrnoException | undefined): void {
    const resend: PendingCall[] = [];
    for (const call of this.pending.values()) {
      if (call.sentOn !== generation) continue;
      this.inFlight -= 1;
      call.sentOn = undefined;
      if (call.idempotent && call.sendsLeft > 0) resend.push(call);
      else {
        this.fail(call, new RpcConnectionError(this.endpoint, error?.code, `${call.name}: the connection broke before the reply${error ? ` (${error.message})` : ''}`));
      }
    }
    // The map iterates in the order the calls were made, so resent calls keep their order and
    // go before calls that were never sent.
    this.waiting.unshift(...resend);
    this.pump();
  }

  /** Forgets a call that has its answer (or its error). */
  private settle(call: PendingCall): void {
    clearTimeout(call.timer);
    this.pending.delete(call.xid);
    if (call.sentOn !== undefined) this.inFlight -= 1;
    else {
      const index = this.waiting.indexOf(call);
      if (index >= 0) this.waiting.splice(index, 1);
    }
    if (this.pending.size === 0) this.socket?.unref();
  }

  private fail(call: PendingCall, error: Error): void {
    if (this.pending.get(call.xid) !== call) return;
    this.settle(call);
    call.reject(error);
    this.pump();
  }
}
