import { RpcAcceptError, RpcConnectionError, RpcDeniedError, RpcTimeoutError } from '../../../../sdk/volume/nfs/errors';
import { RpcConnection } from '../../../../sdk/volume/nfs/rpc-connection';
import { NO_AUTH, authSys } from '../../../../sdk/volume/nfs/rpc-message';
import { startFakeRpcServer, u32, type FakeRpcServer } from '../../../support/fake-rpc-server';

const ECHO = { program: 400100, version: 1, procedure: 1, name: 'ECHO' };
const SILENT = { program: 400100, version: 1, procedure: 2, name: 'SILENT' };

let server: FakeRpcServer | undefined;
let connection: RpcConnection | undefined;
afterEach(async () => {
  await connection?.close();
  await server?.close();
  connection = undefined;
  server = undefined;
});

const echo = (conn: RpcConnection, value: number, idempotent = true) =>
  conn.call(ECHO, NO_AUTH, (w) => w.uint32(value), { idempotent }).then((r) => r.uint32());

describe('RpcConnection', () => {
  it('sends AUTH_SYS credentials with uid, gid and groups', async () => {
    server = await startFakeRpcServer(() => ({ reply: Buffer.alloc(0) }));
    connection = new RpcConnection({ host: '127.0.0.1', port: server.port });
    await connection.call(ECHO, authSys({ uid: 1000, gid: 2000, groups: [3, 4], machineName: 'box' }), undefined, { idempotent: true });
    const call = server.calls[0]!;
    expect(call.credentialFlavor).toBe(1);
    // stamp, machine name "box" padded, uid, gid, two groups
    expect(call.credential.subarray(4).toString('hex')).toBe('00000003' + '626f7800' + '000003e8' + '000007d0' + '00000002' + '00000003' + '00000004');
    expect([call.program, call.version, call.procedure]).toEqual([400100, 1, 1]);
  });

  it('matches replies to calls by xid when the server answers out of order', async () => {
    // Each reply carries the argument back, after a delay that reverses the order of arrival.
    server = await startFakeRpcServer((call) => ({ reply: call.args, delayMs: 200 - (call.args.readUInt32BE(0) % 200) }));
    connection = new RpcConnection({ host: '127.0.0.1', port: server.port, maxInFlight: 500 });
    const values = Array.from({ length: 400 }, (_, i) => i * 7919);
    const answers = await Promise.all(values.map((v) => echo(connection!, v)));
    expect(answers).toEqual(values);
    expect(new Set(server.calls.map((c) => c.xid)).size).toBe(400);
    expect(server.connections).toBe(1);
  });

  it('keeps at most maxInFlight calls on the wire and sends the rest as replies come back', async () => {
    let outstanding = 0;
    let peak = 0;
    server = await startFakeRpcServer((call) => {
      outstanding += 1;
      peak = Math.max(peak, outstanding);
      setTimeout(() => (outstanding -= 1), 9);
      return { reply: call.args, delayMs: 10 };
    });
    connection = new RpcConnection({ host: '127.0.0.1', port: server.port, maxInFlight: 4 });
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => echo(connection!, i)));
    expect(answers).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(peak).toBeLessThanOrEqual(4);
    expect(peak).toBeGreaterThan(1);
  });

  it('times a call out when no reply comes, drops the late reply, and keeps serving other calls', async () => {
    server = await startFakeRpcServer((call) => (call.procedure === SILENT.procedure ? { reply: u32(1), delayMs: 300 } : { reply: call.args }));
    connection = new RpcConnection({ host: '127.0.0.1', port: server.port });
    const silent = connection.call(SILENT, NO_AUTH, undefined, { idempotent: true, timeoutMs: 100 });
    await expect(silent).rejects.toBeInstanceOf(RpcTimeoutError);
    await expect(silent).rejects.toMatchObject({ procedure: 'SILENT', timeoutMs: 100 });
    expect(await echo(connection, 5)).toBe(5);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(connection.lateReplies).toBe(1);
    expect(await echo(connection, 6)).toBe(6);
  });

  it('reconnects after the connection drops, resending idempotent calls with the same xid', async () => {
    let dropped = false;
    server = await startFakeRpcServer((call) => {
      if (!dropped && call.args.readUInt32BE(0) === 3) {
        dropped = true;
        return { closeConnection: true };
      }
      return { reply: call.args, delayMs: 20 };
    });
    connection = new RpcConnection({ host: '127.0.0.1', port: server.port });
    const answers = await Promise.all([1, 2, 3, 4].map((v) => echo(connection!, v)));
    expect(answers).toEqual([1, 2, 3, 4]);
    expect(server.connections).toBe(2);
    expect(connection.connections).toBe(2);
    const threes = server.calls.filter((c) => c.args.readUInt32BE(0) === 3);
    expect(threes).toHaveLength(2);
    expect(threes[0]!.xid).toBe(threes[1]!.xid);
    expect(threes.map((c) => c.connection)).toEqual([1, 2]);
  });

  it('fails a non-idempotent call that was outstanding when the connection broke, and reconnects for the next one', async () => {
    let dropped = false;
    server = await startFakeRpcServer((call) => {
      if (!dropped) {
        dropped = true;
        return { closeConnection: true };
      }
      return { reply: call.args };
    });
    connection = new RpcConnection({ host: '127.0.0.1', port: server.port });
    await expect(echo(connection, 9, false)).rejects.toBeInstanceOf(RpcConnectionError);
    expect(server.calls).toHaveLength(1);
    expect(await echo(connection, 10, false)).toBe(10);
    expect(server.connections).toBe(2);
  });

  it('gives up on an idempotent call once its retransmits are used', async () => {
    server = await startFakeRpcServer(() => ({ closeConnection: true }));
    connection = new RpcConnection({ host: '127.0.0.1', port: server.port, retransmits: 2 });
    await expect(echo(connection, 1)).rejects.toBeInstanceOf(RpcConnectionError);
    expect(server.calls).toHaveLength(3);
  });

  it('fails with RpcConnectionError naming ECONNREFUSED when nothing listens', async () => {
    server = await startFakeRpcServer(() => ({ reply: Buffer.alloc(0) }));
    const port = server.port;
    await server.close();
    server = undefined;
    connection = new RpcConnection({ host: '127.0.0.1', port });
    await expect(echo(connection, 1)).rejects.toMatchObject({ name: 'RpcConnectionError', causeCode: 'ECONNREFUSED', endpoint: `127.0.0.1:${port}` });
  });

  it('turns PROG_MISMATCH, PROC_UNAVAIL and AUTH_ERROR replies into typed errors', async () => {
    const header = (xid: number, ...rest: number[]) => u32(xid, 1, ...rest);
    server = await startFakeRpcServer((call) => {
      const kind = call.args.readUInt32BE(0);
      if (kind === 1) return { raw: header(call.xid, 0, 0, 0, 2, 3, 3) };
      if (kind === 2) return { raw: header(call.xid, 0, 0, 0, 3) };
      return { raw: header(call.xid, 1, 1, 5) };
    });
    connection = new RpcConnection({ host: '127.0.0.1', port: server.port });
    await expect(echo(connection, 1)).rejects.toMatchObject({ name: 'RpcAcceptError', code: 'PROG_MISMATCH', supported: { low: 3, high: 3 } });
    await expect(echo(connection, 2)).rejects.toMatchObject({ name: 'RpcAcceptError', code: 'PROC_UNAVAIL' });
    const denied = echo(connection, 3);
    await expect(denied).rejects.toBeInstanceOf(RpcDeniedError);
    await expect(denied).rejects.toMatchObject({ rejectStat: 'AUTH_ERROR', authStat: 5, code: 'AUTH_TOOWEAK' });
    await expect(echo(connection, 2)).rejects.toBeInstanceOf(RpcAcceptError);
  });

  it('fails calls made after close', async () => {
    server = await startFakeRpcServer((call) => ({ reply: call.args }));
    connection = new RpcConnection({ host: '127.0.0.1', port: server.port });
    expect(await echo(connection, 1)).toBe(1);
    await connection.close();
    await expect(echo(connection, 2)).rejects.toBeInstanceOf(RpcConnectionError);
  });
});
