import { lstat, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { safeVolumeError } from '../../../sdk/volume/protocol/errors';
import { VolumeDriverClient, VolumeDriverError } from '../../../sdk/volume/protocol/client';
import {
  createVolumeDriverHandler,
  listenVolumeDriver,
  type ListeningVolumeDriver,
  type VolumeDriver,
} from '../../../sdk/volume/protocol/server';
import type { DriverCapabilities, VolumeInfo } from '../../../sdk/volume/protocol/types';
import type { VolumeLogger } from '../../../sdk/volume/logger';

/** Records what reached the driver and fails on the names it is told to. */
class ScriptedDriver implements VolumeDriver {
  readonly calls: Array<[string, ...unknown[]]> = [];

  async create(name: string, opts: Record<string, unknown>): Promise<void> {
    this.calls.push(['create', name, opts]);
    if (name === 'safe') throw safeVolumeError('share is not reachable', 'mount.nfs: connection refused to 10.0.0.5');
    if (name === 'plain') throw new Error('internal detail');
    if (name === 'odd') throw 'a thrown string' as unknown as Error;
  }
  async remove(name: string): Promise<void> {
    this.calls.push(['remove', name]);
  }
  async mount(name: string, id?: string): Promise<string> {
    this.calls.push(['mount', name, id]);
    return `/volumes/${name}`;
  }
  async unmount(name: string, id?: string): Promise<void> {
    this.calls.push(['unmount', name, id]);
  }
  async path(name: string): Promise<string> {
    return `/volumes/${name}`;
  }
  async get(name: string): Promise<VolumeInfo> {
    return { name, mountpoint: `/volumes/${name}`, mountCount: 1 };
  }
  async list(): Promise<VolumeInfo[]> {
    return [{ name: 'a', mountpoint: '' }];
  }
  async capabilities(): Promise<DriverCapabilities> {
    return { scope: 'global' };
  }
}

interface RawReply {
  status: number;
  body: string;
}

let workDir: string;
let driver: ScriptedDriver;
let listening: ListeningVolumeDriver;
let socketPath: string;
const extraServers: Server[] = [];
const loggedErrors: object[] = [];

const recordingLogger: VolumeLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (fields) => loggedErrors.push(fields),
  error: (fields) => loggedErrors.push(fields),
};

function raw(path: string, body: string, method = 'POST'): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ socketPath, path, method, agent: false }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

async function serveFake(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  extraServers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return `http://127.0.0.1:${address.port}`;
}

beforeEach(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'osbkit-proto-'));
  socketPath = join(workDir, 'driver.sock');
  driver = new ScriptedDriver();
  loggedErrors.length = 0;
  listening = await listenVolumeDriver(createVolumeDriverHandler(driver, recordingLogger, { maxBodyBytes: 1024 }), socketPath);
});

afterEach(async () => {
  await listening.close();
  await Promise.all(extraServers.splice(0).map((server) => new Promise<void>((done) => server.close(() => done()))));
  await rm(workDir, { recursive: true, force: true });
});

describe('the server side of the protocol', () => {
  it('answers Activate with an empty body', async () => {
    expect(await raw('/Plugin.Activate', '')).toEqual({ status: 200, body: '{"Implements":["VolumeDriver"],"Err":""}' });
  });

  it('passes Name, Opts and the container ID through to the driver', async () => {
    await raw('/VolumeDriver.Create', '{"Name":"v","Opts":{"uid":"1000"}}');
    await raw('/VolumeDriver.Create', '{"Name":"w","Opts":null}');
    expect(await raw('/VolumeDriver.Mount', '{"Name":"v","ID":"c1"}')).toEqual({
      status: 200,
      body: '{"Mountpoint":"/volumes/v","Err":""}',
    });
    await raw('/VolumeDriver.Mount', '{"Name":"v","ID":""}');
    await raw('/VolumeDriver.Unmount', '{"Name":"v"}');
    expect(driver.calls).toEqual([
      ['create', 'v', { uid: '1000' }],
      ['create', 'w', {}],
      ['mount', 'v', 'c1'],
      ['mount', 'v', undefined],
      ['unmount', 'v', undefined],
    ]);
  });

  it('answers Get, List and Capabilities with capitalised keys', async () => {
    expect(JSON.parse((await raw('/VolumeDriver.Get', '{"Name":"v"}')).body)).toEqual({
      Volume: { Name: 'v', Mountpoint: '/volumes/v', MountCount: 1 },
      Err: '',
    });
    expect(JSON.parse((await raw('/VolumeDriver.List', '')).body)).toEqual({ Volumes: [{ Name: 'a', Mountpoint: '' }], Err: '' });
    expect(JSON.parse((await raw('/VolumeDriver.Capabilities', '')).body)).toEqual({ Capabilities: { Scope: 'global' }, Err: '' });
  });

  it('answers a body nested past the depth limit with Err naming the limit, and calls nothing', async () => {
    const deep = `{"Name":"v","Opts":{"x":${'['.repeat(300)}${']'.repeat(300)}}}`;
    const reply = await raw('/VolumeDriver.Create', deep);
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ Err: 'request body nests objects and arrays more than 64 levels deep, which is the limit' });
    expect(driver.calls).toEqual([]);
  });

  it('answers malformed JSON with Err and status 200', async () => {
    expect(await raw('/VolumeDriver.Create', '{"Name":')).toEqual({ status: 200, body: '{"Err":"malformed JSON request body"}' });
    expect(driver.calls).toEqual([]);
  });

  it.each([
    ['a missing Name', '{}', 'request field Name must be a non-empty string'],
    ['an empty Name', '{"Name":""}', 'request field Name must be a non-empty string'],
    ['a numeric Name', '{"Name":5}', 'request field Name must be a non-empty string'],
    ['an array body', '[]', 'request body must be a JSON object'],
    ['a string Opts', '{"Name":"v","Opts":"x"}', 'request field Opts must be a JSON object'],
  ])('answers %s with Err', async (_label, body, err) => {
    expect(await raw('/VolumeDriver.Create', body)).toEqual({ status: 200, body: JSON.stringify({ Err: err }) });
    expect(driver.calls).toEqual([]);
  });

  it('refuses a non-string container ID', async () => {
    expect(JSON.parse((await raw('/VolumeDriver.Mount', '{"Name":"v","ID":7}')).body)).toEqual({ Err: 'request field ID must be a string' });
  });

  it('answers unknown endpoints with 404 and non-POST methods with 405', async () => {
    const unknown = await raw('/VolumeDriver.Explode', '{}');
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toEqual({ Err: 'unknown plugin endpoint /VolumeDriver.Explode' });
    expect((await raw('/__proto__', '{}')).status).toBe(404);
    expect((await raw('/Plugin.Activate', '', 'GET')).status).toBe(405);
  });

  it('refuses a body over the limit, whether declared or streamed', async () => {
    const big = JSON.stringify({ Name: 'v', Opts: { blob: 'x'.repeat(4096) } });
    expect(await raw('/VolumeDriver.Create', big)).toEqual({ status: 200, body: '{"Err":"request body exceeds 1024 bytes"}' });

    const streamed = await new Promise<RawReply>((resolve, reject) => {
      const outgoing = request(
        { socketPath, path: '/VolumeDriver.Create', method: 'POST', agent: false, headers: { 'Transfer-Encoding': 'chunked' } },
        (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      outgoing.on('error', reject);
      outgoing.end(big);
    });
    expect(streamed).toEqual({ status: 200, body: '{"Err":"request body exceeds 1024 bytes"}' });
    expect(driver.calls).toEqual([]);
  });

  it('sends a safe error as JSON inside Err, and nothing else of the failure', async () => {
    const reply = JSON.parse((await raw('/VolumeDriver.Create', '{"Name":"safe"}')).body) as { Err: string };
    expect(JSON.parse(reply.Err)).toEqual({ SafeDescription: 'share is not reachable' });
    expect(reply.Err).not.toContain('10.0.0.5');
  });

  it('sends other errors as their message only, never a stack', async () => {
    expect(await raw('/VolumeDriver.Create', '{"Name":"plain"}')).toEqual({ status: 200, body: '{"Err":"internal detail"}' });
    expect(await raw('/VolumeDriver.Create', '{"Name":"odd"}')).toEqual({ status: 200, body: '{"Err":"internal volume driver error"}' });
    expect(loggedErrors.length).toBeGreaterThanOrEqual(2);
  });
});

describe('the client side of the protocol', () => {
  it('speaks to the server over a bare socket path and a unix URL', async () => {
    for (const address of [socketPath, `unix://${socketPath}`]) {
      const client = new VolumeDriverClient({ address });
      expect(await client.activate()).toEqual(['VolumeDriver']);
      expect(await client.mount('v', 'c9')).toBe('/volumes/v');
      expect(await client.list()).toEqual([{ name: 'a', mountpoint: '' }]);
      expect(await client.capabilities()).toEqual({ scope: 'global' });
    }
    expect(driver.calls).toContainEqual(['mount', 'v', 'c9']);
  });

  it('exposes a safe error as safeDescription', async () => {
    const client = new VolumeDriverClient({ address: socketPath });
    const error = await client.create('safe', {}).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(VolumeDriverError);
    expect((error as VolumeDriverError).safeDescription).toBe('share is not reachable');
    expect((error as VolumeDriverError).address).toBe(socketPath);
  });

  it('throws plain driver errors without a safeDescription', async () => {
    const client = new VolumeDriverClient({ address: socketPath });
    const error = (await client.create('plain', {}).catch((thrown: unknown) => thrown)) as VolumeDriverError;
    expect(error).toBeInstanceOf(VolumeDriverError);
    expect(error.message).toBe(`volume driver at ${socketPath} failed /VolumeDriver.Create: internal detail`);
    expect(error.safeDescription).toBeUndefined();
  });

  it('names the address when nothing is listening', async () => {
    const missing = join(workDir, 'nobody-home.sock');
    await expect(new VolumeDriverClient({ address: missing }).activate()).rejects.toThrow(
      new RegExp(`volume driver at ${missing} is unreachable \\(/Plugin.Activate\\): connect ENOENT`),
    );
    const closedPort = await serveFake((_req, res) => res.end());
    const server = extraServers.pop();
    await new Promise<void>((done) => server?.close(() => done()));
    const error = await new VolumeDriverClient({ address: closedPort }).activate().catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(VolumeDriverError);
    expect((error as Error).message).toContain(`volume driver at ${closedPort} is unreachable`);
  });

  it('gives up on a driver that never answers', async () => {
    const silent = await serveFake(() => undefined);
    const client = new VolumeDriverClient({ address: silent, timeoutMs: 50 });
    await expect(client.activate()).rejects.toThrow(`volume driver at ${silent} did not answer /Plugin.Activate within 50 ms`);
  });

  it.each<[string, number, string, RegExp]>([
    ['a non-JSON body', 200, 'hello', /a body that is not JSON/],
    ['a JSON array', 200, '[]', /reply body must be a JSON object/],
    ['a numeric Err', 200, '{"Err":1}', /reply field Err must be a string/],
    ['a missing Implements', 200, '{"Err":""}', /Implements must be an array of strings/],
    ['an Implements of numbers', 200, '{"Implements":[1],"Err":""}', /Implements must be an array of strings/],
    ['an HTML error page', 502, '<html>bad gateway</html>', /HTTP 502/],
    ['a 500 with empty Err', 500, '{"Err":""}', /HTTP 500/],
  ])('rejects %s', async (_label, status, body, message) => {
    const address = await serveFake((_req, res) => {
      res.statusCode = status;
      res.end(body);
    });
    await expect(new VolumeDriverClient({ address }).activate()).rejects.toThrow(message);
  });

  it('refuses a reply nested past the depth limit', async () => {
    const address = await serveFake((_req, res) => res.end(`{"Err":"","Extra":${'['.repeat(10_000)}${']'.repeat(10_000)}}`));
    await expect(new VolumeDriverClient({ address }).activate()).rejects.toThrow(/nested more than 64 levels deep/);
  });

  it('stops reading a reply that is far too large', async () => {
    const address = await serveFake((_req, res) => res.end(`{"Err":"${'x'.repeat(5 * 1024 * 1024)}"}`));
    await expect(new VolumeDriverClient({ address }).activate()).rejects.toThrow(/unreadable \/Plugin.Activate reply: reply larger than/);
  });

  it('reports Err from a non-200 reply as the driver error', async () => {
    const address = await serveFake((_req, res) => {
      res.statusCode = 500;
      res.end('{"Err":"exploded"}');
    });
    await expect(new VolumeDriverClient({ address }).remove('v')).rejects.toThrow(/failed \/VolumeDriver.Remove: exploded/);
  });

  it.each<[string, string, (client: VolumeDriverClient) => Promise<unknown>, RegExp]>([
    ['Mount with an empty Mountpoint', '{"Mountpoint":"","Err":""}', (c) => c.mount('v'), /Mountpoint must be a non-empty string/],
    ['Path with a numeric Mountpoint', '{"Mountpoint":3,"Err":""}', (c) => c.path('v'), /Mountpoint must be a string/],
    ['Get without a Volume', '{"Err":""}', (c) => c.get('v'), /reply Volume must be a JSON object/],
    [
      'Get with a negative MountCount',
      '{"Volume":{"Name":"v","Mountpoint":"","MountCount":-1},"Err":""}',
      (c) => c.get('v'),
      /MountCount must be a non-negative integer/,
    ],
    ['List with a non-array', '{"Volumes":{},"Err":""}', (c) => c.list(), /Volumes must be an array/],
    ['List with a nameless volume', '{"Volumes":[{"Mountpoint":""}],"Err":""}', (c) => c.list(), /Volumes\[0\] field Name/],
    ['Capabilities without Scope', '{"Capabilities":{},"Err":""}', (c) => c.capabilities(), /Scope must be a non-empty string/],
  ])('validates the shape of %s', async (_label, body, call, message) => {
    const address = await serveFake((_req, res) => res.end(body));
    await expect(call(new VolumeDriverClient({ address }))).rejects.toThrow(message);
  });

  it('accepts a null Volumes list, as Go sends for an empty slice', async () => {
    const address = await serveFake((_req, res) => res.end('{"Volumes":null,"Err":""}'));
    expect(await new VolumeDriverClient({ address }).list()).toEqual([]);
  });

  it('refuses unusable addresses and timeouts up front', () => {
    expect(() => new VolumeDriverClient({ address: 'https://127.0.0.1:1' })).toThrow(VolumeDriverError);
    expect(() => new VolumeDriverClient({ address: 'relative.sock' })).toThrow(/absolute/);
    expect(() => new VolumeDriverClient({ address: '/x.sock', timeoutMs: 0 })).toThrow(/timeoutMs/);
  });
});

describe('listenVolumeDriver', () => {
  const handler = createVolumeDriverHandler(new ScriptedDriver());

  it('replaces a stale socket file left by a crashed driver', async () => {
    const stalePath = join(workDir, 'stale.sock');
    // Renaming a bound socket and then closing it leaves a socket file nobody listens on,
    // which is what a driver killed with SIGKILL leaves behind.
    const boundPath = join(workDir, 'bound.sock');
    const crashed = createNetServer();
    await new Promise<void>((resolve) => crashed.listen(boundPath, () => resolve()));
    await rename(boundPath, stalePath);
    await new Promise<void>((done) => crashed.close(() => done()));
    expect((await lstat(stalePath)).isSocket()).toBe(true);

    const replacement = await listenVolumeDriver(handler, stalePath);
    expect(await new VolumeDriverClient({ address: replacement.address }).activate()).toEqual(['VolumeDriver']);
    await replacement.close();
  });

  it('will not steal a socket another driver is serving on', async () => {
    await expect(listenVolumeDriver(handler, socketPath)).rejects.toThrow(/already listening/);
    expect(await new VolumeDriverClient({ address: socketPath }).activate()).toEqual(['VolumeDriver']);
  });

  it('will not delete a file that is not a socket', async () => {
    const regular = join(workDir, 'regular.sock');
    await writeFile(regular, 'precious');
    await expect(listenVolumeDriver(handler, regular)).rejects.toThrow(/not a socket/);
  });

  it('binds only loopback TCP and reports the chosen port', async () => {
    const tcp = await listenVolumeDriver(handler, 'http://127.0.0.1:0');
    expect(tcp.address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(tcp.address).not.toBe('http://127.0.0.1:0');
    expect(await new VolumeDriverClient({ address: tcp.address }).activate()).toEqual(['VolumeDriver']);
    await tcp.close();
    await expect(listenVolumeDriver(handler, 'tcp://0.0.0.0:0')).rejects.toThrow(/loopback/);
  });

  it('removes its socket file on close', async () => {
    const path = join(workDir, 'closing.sock');
    const server = await listenVolumeDriver(handler, path);
    await server.close();
    await expect(lstat(path)).rejects.toThrow(/ENOENT/);
  });
});
