import { connect, createServer, type Server, type Socket } from 'node:net';
import { startFakeRpcServer, u32, type FakeRpcServer } from './fake-rpc-server';
import type { NfsTestServer } from './nfs-server';

/**
 * The shared NFS-Ganesha behind a switchable TCP proxy, so a test can make "the server" go
 * away without touching the real one: a portmapper of its own answers GETPORT with the
 * proxy's MOUNT and NFS ports, and `mode` decides what the proxies do with traffic:
 * - 'forward': pass it both ways;
 * - 'silent': keep every connection open and take what is sent, but answer nothing (a hung
 *   server or a network that drops packets);
 * - 'refuse': close every connection and refuse new ones (the server is down).
 * Listens on 127.0.0.1 ephemeral ports only.
 */

export type ProxyMode = 'forward' | 'silent' | 'refuse';

export interface NfsProxy {
  portmapPort: number;
  setMode(mode: ProxyMode): void;
  close(): Promise<void>;
}

interface Relay {
  port: number;
  setMode(mode: ProxyMode): void;
  close(): Promise<void>;
}

async function startRelay(targetPort: number, initial: ProxyMode): Promise<Relay> {
  let mode = initial;
  const pairs = new Set<{ client: Socket; upstream: Socket | undefined }>();
  const server: Server = createServer((client) => {
    client.on('error', () => undefined);
    if (mode === 'refuse') {
      client.destroy();
      return;
    }
    const pair: { client: Socket; upstream: Socket | undefined } = { client, upstream: undefined };
    pairs.add(pair);
    client.on('close', () => {
      pairs.delete(pair);
      pair.upstream?.destroy();
    });
    if (mode === 'silent') {
      client.resume();
      return;
    }
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    pair.upstream = upstream;
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => client.destroy());
    client.on('data', (chunk: Buffer) => {
      if (mode === 'forward') upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (mode === 'forward') client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('relay has no port');
  return {
    port: address.port,
    setMode: (next) => {
      mode = next;
      if (next === 'refuse') for (const pair of pairs) pair.client.destroy();
    },
    close: async () => {
      for (const pair of pairs) pair.client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function startNfsProxy(server: NfsTestServer, initial: ProxyMode = 'forward'): Promise<NfsProxy> {
  const mountRelay = await startRelay(server.mountPort, initial);
  const nfsRelay = await startRelay(server.nfsPort, initial);
  let mode = initial;
  // PMAPPROC_GETPORT's arguments start with the program number.
  const portmapper: FakeRpcServer = await startFakeRpcServer((call) => {
    if (mode !== 'forward') return mode === 'silent' ? { ignore: true } : { closeConnection: true };
    const program = call.args.readUInt32BE(0);
    return { reply: u32(program === 100005 ? mountRelay.port : program === 100003 ? nfsRelay.port : 0) };
  });
  return {
    portmapPort: portmapper.port,
    setMode: (next) => {
      mode = next;
      mountRelay.setMode(next);
      nfsRelay.setMode(next);
    },
    close: async () => {
      await Promise.all([mountRelay.close(), nfsRelay.close(), portmapper.close()]);
    },
  };
}
