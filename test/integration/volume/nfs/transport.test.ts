import { randomBytes } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { RpcTimeoutError, type NfsClient } from '../../../../sdk/volume/nfs';
import { makeNfsRunDir, type NfsRunDir } from '../../../support/nfs-server';

/**
 * The transport against the real server: many calls in flight on one connection, and a TCP
 * proxy owned by this test between client and server that can drop every connection or stop
 * passing replies on.
 */

class TcpProxy {
  private readonly server: Server;
  private readonly pairs = new Set<[Socket, Socket]>();
  port = 0;
  connections = 0;
  /** Replies from the server are held back while true. */
  blackhole = false;
  /** Bytes passed from server to client; `onReply` sees the running total. */
  replyBytes = 0;
  onReply: ((total: number) => void) | undefined;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {
    this.server = createServer((client) => {
      this.connections += 1;
      const upstream = createConnection({ host: this.targetHost, port: this.targetPort });
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      const end = () => {
        client.destroy();
        upstream.destroy();
        this.pairs.delete(pair);
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
      client.on('data', (chunk) => upstream.write(chunk));
      upstream.on('data', (chunk: Buffer) => {
        if (this.blackhole) return;
        client.write(chunk);
        this.replyBytes += chunk.length;
        this.onReply?.(this.replyBytes);
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no port');
    this.port = address.port;
  }

  dropAll(): void {
    for (const [client, upstream] of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
  }

  async stop(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let run: NfsRunDir;
let nfs: NfsClient;
let proxy: TcpProxy;
const p = (path: string): string => `${run.path}/${path}`;
const data = randomBytes(8 * 1024 * 1024);

beforeAll(async () => {
  run = await makeNfsRunDir('transport');
  nfs = run.root;
  await nfs.writeFile(p('data.bin'), data);
  proxy = new TcpProxy(run.server.host, run.server.nfsPort);
  await proxy.start();
});
afterAll(async () => {
  await proxy?.stop();
  await run?.remove();
});

describe('RPC transport against NFS-Ganesha', () => {
  it('matches hundreds of concurrent READs, LOOKUPs and GETATTRs to their replies by xid', async () => {
    await Promise.all(Array.from({ length: 50 }, (_, i) => nfs.writeFile(p(`small-${i}`), `content of ${i}`)));
    const dir = await nfs.resolve(run.path);
    const file = await nfs.resolve(p('data.bin'));
    const reads = Array.from({ length: 400 }, (_, i) => {
      const offset = (i * 20_011) % (data.length - 4096);
      return nfs.nfs.read(file.handle, offset, 4096).then((r) => r.data.equals(data.subarray(offset, offset + 4096)));
    });
    const lookups = Array.from({ length: 50 }, (_, i) => nfs.nfs.lookup(dir.handle, `small-${i}`).then((r) => r.attributes?.size === `content of ${i}`.length));
    const getattrs = Array.from({ length: 50 }, () => nfs.nfs.getattr(file.handle).then((a) => a.size === data.length));
    const results = await Promise.all([...reads, ...lookups, ...getattrs]);
    expect(results.filter((ok) => !ok)).toHaveLength(0);
    expect(results).toHaveLength(500);
  });

  it('reconnects when the connection drops in the middle of a windowed read, and the data is whole', async () => {
    const client = await run.connect({ nfsPort: proxy.port, readWindow: 8, maxTransferSize: 256 * 1024 });
    try {
      const before = proxy.connections;
      let dropped = false;
      proxy.onReply = (total) => {
        if (!dropped && total > 2 * 1024 * 1024) {
          dropped = true;
          proxy.dropAll();
        }
      };
      const read = await client.readFile(p('data.bin'));
      expect(dropped).toBe(true);
      expect(read.equals(data)).toBe(true);
      expect(proxy.connections).toBeGreaterThan(before);
    } finally {
      proxy.onReply = undefined;
      await client.close();
    }
  });

  it('times a call out when replies stop coming, then works again after a reconnect', async () => {
    const client = await run.connect({ nfsPort: proxy.port, timeoutMs: 500 });
    try {
      expect((await client.stat(p('data.bin'))).size).toBe(data.length);
      proxy.blackhole = true;
      await expect(client.stat(p('small-1'))).rejects.toBeInstanceOf(RpcTimeoutError);
      proxy.blackhole = false;
      proxy.dropAll();
      const before = proxy.connections;
      expect((await client.readFile(p('small-2'))).toString()).toBe('content of 2');
      expect(proxy.connections).toBe(before + 1);
    } finally {
      proxy.blackhole = false;
      await client.close();
    }
  });
});
