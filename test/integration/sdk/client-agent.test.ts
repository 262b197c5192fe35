import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { OsbClient, OsbTransportError } from '../../../sdk/client';
import { IDLE_TIMEOUT_MS, closeOsbAgents, createOsbAgents } from '../../../sdk/client/agent';

/**
 * The client's keep-alive connections: calls to one broker share a connection, a pooled
 * connection carries the idle timeout and a busy one does not, and closing the agents ends them.
 */

let server: Server;
let url: string;
const connections: Socket[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ state: 'succeeded' }));
    });
  });
  server.on('connection', (socket: Socket) => connections.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
});

function pooled(agents: ReturnType<typeof createOsbAgents>): Socket[] {
  return Object.values(agents.http.freeSockets).flatMap((sockets) => (sockets ?? []) as Socket[]);
}

test('calls to one broker reuse one connection, which waits in the pool with the idle timeout', async () => {
  const agents = createOsbAgents();
  const before = connections.length;
  const client = new OsbClient({ url, agent: agents });
  for (let i = 0; i < 5; i++) expect((await client.instanceLastOperation(`i-${i}`)).body.state).toBe('succeeded');
  // A second client on the same agents shares the connection too.
  expect((await new OsbClient({ url, agent: agents }).instanceLastOperation('other')).status).toBe(200);
  expect(connections.length - before).toBe(1);
  const [idle] = pooled(agents);
  expect(idle).toBeDefined();
  expect(idle!.timeout).toBe(IDLE_TIMEOUT_MS);
  const closed = new Promise((resolve) => idle!.once('close', resolve));
  closeOsbAgents(agents);
  expect(idle!.destroyed).toBe(true);
  await closed;
  expect(pooled(agents)).toEqual([]);
});

test('a call in flight when the agents close fails as a transport error', async () => {
  const slow = createServer(() => undefined);
  await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', () => resolve()));
  const agents = createOsbAgents();
  try {
    const client = new OsbClient({ url: `http://127.0.0.1:${(slow.address() as AddressInfo).port}`, agent: agents, timeoutMs: 20_000 });
    const pending = client.instanceLastOperation('i').catch((e: unknown) => e);
    // Once the request holds its connection, the connection has no idle timeout.
    for (let i = 0; i < 100 && Object.keys(agents.http.sockets).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    const [busy] = Object.values(agents.http.sockets).flatMap((sockets) => (sockets ?? []) as Socket[]);
    expect(busy).toBeDefined();
    expect(busy!.timeout ?? 0).toBe(0);
    closeOsbAgents(agents);
    expect(await pending).toBeInstanceOf(OsbTransportError);
  } finally {
    await new Promise<void>((resolve) => {
      slow.close(() => resolve());
      slow.closeAllConnections();
    });
  }
});

describe("a broker's Keep-Alive: timeout=N", () => {
  async function brokerSaying(keepAlive: string): Promise<{ url: string; server: Server; connections: Socket[] }> {
    const opened: Socket[] = [];
    const announcing = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', 'keep-alive': keepAlive });
        res.end(JSON.stringify({ state: 'succeeded' }));
      });
    });
    announcing.on('connection', (socket: Socket) => opened.push(socket));
    await new Promise<void>((resolve) => announcing.listen(0, '127.0.0.1', () => resolve()));
    return { url: `http://127.0.0.1:${(announcing.address() as AddressInfo).port}`, server: announcing, connections: opened };
  }
  const stop = (announcing: Server) => new Promise<void>((resolve) => {
    announcing.close(() => resolve());
    announcing.closeAllConnections();
  });

  test('a pooled connection is dropped a second before the broker would close it', async () => {
    const broker = await brokerSaying('timeout=3');
    const agents = createOsbAgents();
    try {
      expect((await new OsbClient({ url: broker.url, agent: agents }).instanceLastOperation('i')).status).toBe(200);
      const [idle] = pooled(agents);
      expect(idle!.timeout).toBe(2000);
    } finally {
      closeOsbAgents(agents);
      await stop(broker.server);
    }
  });

  test('a broker that keeps idle connections a second or less gets a new connection per call', async () => {
    const broker = await brokerSaying('timeout=1, max=100');
    const agents = createOsbAgents();
    try {
      const client = new OsbClient({ url: broker.url, agent: agents });
      for (let i = 0; i < 3; i++) expect((await client.instanceLastOperation(`i-${i}`)).status).toBe(200);
      expect(pooled(agents)).toEqual([]);
      expect(broker.connections).toHaveLength(3);
    } finally {
      closeOsbAgents(agents);
      await stop(broker.server);
    }
  });

  test('a longer announcement keeps the client\'s own 4 s', async () => {
    const broker = await brokerSaying('timeout=60');
    const agents = createOsbAgents();
    try {
      expect((await new OsbClient({ url: broker.url, agent: agents }).instanceLastOperation('i')).status).toBe(200);
      expect(pooled(agents)[0]!.timeout).toBe(IDLE_TIMEOUT_MS);
    } finally {
      closeOsbAgents(agents);
      await stop(broker.server);
    }
  });
});
