import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A bare HTTP server that answers as a test tells it to, for brokers that misbehave on purpose.
 * Every request line is recorded, so a test can show that nothing was sent.
 */
export type RawHandle = (req: IncomingMessage, res: ServerResponse) => void;

export interface RawServer {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

const open: RawServer[] = [];

export async function startRawServer(handle: RawHandle): Promise<RawServer> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const raw: RawServer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  open.push(raw);
  return raw;
}

/** Closes every server started since the last call; for afterEach. */
export async function closeRawServers(): Promise<void> {
  await Promise.all(open.splice(0).map((server) => server.close()));
}
