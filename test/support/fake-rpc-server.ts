import { createServer, type Server, type Socket } from 'node:net';

/**
 * A minimal ONC RPC server over TCP for the transport's unit tests. It parses calls by hand
 * (not with the client's own XDR or record code) and lets each test decide, per call, what
 * the reply is, when it goes out, or whether the connection is dropped instead.
 */

export interface ReceivedCall {
  xid: number;
  program: number;
  version: number;
  procedure: number;
  credentialFlavor: number;
  credential: Buffer;
  args: Buffer;
  socket: Socket;
  /** Which connection (1, 2, ...) the call came on. */
  connection: number;
}

export type CallAction =
  | { reply: Buffer; delayMs?: number }
  | { raw: Buffer; delayMs?: number }
  | { ignore: true }
  | { closeConnection: true };

export interface FakeRpcServer {
  port: number;
  calls: ReceivedCall[];
  connections: number;
  close(): Promise<void>;
}

export function successReply(xid: number, results: Buffer): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32BE(xid, 0);
  header.writeUInt32BE(1, 4); // REPLY
  header.writeUInt32BE(0, 8); // MSG_ACCEPTED
  header.writeUInt32BE(0, 12); // verifier flavor AUTH_NONE
  header.writeUInt32BE(0, 16); // verifier length
  header.writeUInt32BE(0, 20); // SUCCESS
  return Buffer.concat([header, results]);
}

export function frame(record: Buffer): Buffer {
  const mark = Buffer.alloc(4);
  mark.writeUInt32BE((0x80000000 | record.length) >>> 0);
  return Buffer.concat([mark, record]);
}

export function u32(...values: number[]): Buffer {
  const out = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => out.writeUInt32BE(v >>> 0, i * 4));
  return out;
}

export async function startFakeRpcServer(handle: (call: ReceivedCall) => CallAction): Promise<FakeRpcServer> {
  const sockets = new Set<Socket>();
  const state: FakeRpcServer = { port: 0, calls: [], connections: 0, close: async () => undefined };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const connection = ++state.connections;
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4) {
        const length = buffered.readUInt32BE(0) & 0x7fffffff;
        if (buffered.length < 4 + length) break;
        const record = buffered.subarray(4, 4 + length);
        buffered = buffered.subarray(4 + length);
        const credLength = record.readUInt32BE(28);
        const credEnd = 32 + credLength + ((4 - (credLength % 4)) % 4);
        const verfLength = record.readUInt32BE(credEnd + 4);
        const argsStart = credEnd + 8 + verfLength + ((4 - (verfLength % 4)) % 4);
        const call: ReceivedCall = {
          xid: record.readUInt32BE(0),
          program: record.readUInt32BE(12),
          version: record.readUInt32BE(16),
          procedure: record.readUInt32BE(20),
          credentialFlavor: record.readUInt32BE(24),
          credential: Buffer.from(record.subarray(32, 32 + credLength)),
          args: Buffer.from(record.subarray(argsStart)),
          socket,
          connection,
        };
        state.calls.push(call);
        const action = handle(call);
        if ('closeConnection' in action) {
          socket.destroy();
          return;
        }
        if ('ignore' in action) continue;
        const bytes = frame('reply' in action ? successReply(call.xid, action.reply) : action.raw);
        if (action.delayMs) setTimeout(() => socket.destroyed || socket.write(bytes), action.delayMs);
        else socket.write(bytes);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fake RPC server has no port');
  state.port = address.port;
  state.close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return state;
}
