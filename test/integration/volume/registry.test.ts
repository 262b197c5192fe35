import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { DriverRegistry, UnknownVolumeDriverError } from '../../../sdk/volume/discovery';
import { localVolumePath } from '../../../sdk/volume/local-path';
import { startLocalDriver, type RunningLocalDriver } from '../../../platform/drivers/local/main';

const logger = pino({ level: 'silent' });

let workDir: string;
let specDir: string;
let volumesRoot: string;
const running: RunningLocalDriver[] = [];
const fakes: Server[] = [];

async function startLocal(name?: string): Promise<RunningLocalDriver> {
  const driver = await startLocalDriver({
    volumesRoot,
    stateFile: join(workDir, `${name ?? 'localdriver'}-state.json`),
    listen: `unix://${join(workDir, `${name ?? 'localdriver'}.sock`)}`,
    specDir,
    logger,
    ...(name === undefined ? {} : { name }),
  });
  running.push(driver);
  return driver;
}

/** A plugin that activates but is not a volume driver (an authorisation plugin, say). */
async function startOtherPlugin(): Promise<string> {
  const server = createServer((_req, res) => res.end('{"Implements":["authz"],"Err":""}'));
  fakes.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return `tcp://127.0.0.1:${address.port}`;
}

beforeEach(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'osbkit-reg-'));
  specDir = join(workDir, 'voldrivers');
  volumesRoot = join(workDir, 'volumes');
  await mkdir(volumesRoot, { recursive: true });
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((driver) => driver.close()));
  await Promise.all(fakes.splice(0).map((server) => new Promise<void>((done) => server.close(() => done()))));
  await rm(workDir, { recursive: true, force: true });
});

describe('DriverRegistry with the local driver', () => {
  it('finds the driver through the spec it writes, and mounts through it', async () => {
    const driver = await startLocal();
    expect(await readdir(specDir)).toEqual(['localdriver.json']);

    const registry = new DriverRegistry({ dirs: [specDir], logger });
    expect(await registry.refresh()).toEqual(['localdriver']);
    expect(registry.spec('localdriver')).toMatchObject({ name: 'localdriver', address: driver.address, format: 'json' });

    const directory = localVolumePath(volumesRoot, 'instance-1');
    await mkdir(directory);
    const client = registry.client('localdriver');
    await client.create('instance-1', {});
    expect(await client.mount('instance-1', 'container-1')).toBe(directory);
  });

  it('keeps only plugins that implement VolumeDriver and answer', async () => {
    await startLocal();
    await writeFile(join(specDir, 'authz.spec'), `${await startOtherPlugin()}\n`);
    await writeFile(join(specDir, 'gone.spec'), `unix://${join(workDir, 'nobody.sock')}\n`);
    await writeFile(join(specDir, 'tls.json'), JSON.stringify({ Addr: 'https://127.0.0.1:1' }));

    const registry = new DriverRegistry({ dirs: [specDir], logger, timeoutMs: 5_000 });
    expect(await registry.refresh()).toEqual(['localdriver']);
    expect(registry.has('authz')).toBe(false);
    expect(registry.has('gone')).toBe(false);
    expect(registry.has('tls')).toBe(false);
  });

  it('explains an unknown driver by listing the registered ones', async () => {
    await startLocal();
    const registry = new DriverRegistry({ dirs: [specDir], logger });
    expect(() => registry.client('nfsv3driver')).toThrow(
      new UnknownVolumeDriverError('nfsv3driver', []).message,
    );
    await registry.refresh();
    let thrown: unknown;
    try {
      registry.client('nfsv3driver');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UnknownVolumeDriverError);
    expect((thrown as UnknownVolumeDriverError).driverName).toBe('nfsv3driver');
    expect((thrown as Error).message).toBe(
      'volume driver "nfsv3driver" is not registered on this cell (registered: localdriver)',
    );
  });

  it('drops a driver once it stops and withdraws its spec', async () => {
    const first = await startLocal('first');
    await startLocal('second');
    const registry = new DriverRegistry({ dirs: [specDir], logger });
    expect(await registry.refresh()).toEqual(['first', 'second']);

    await first.close();
    expect(await readdir(specDir)).toEqual(['second.json']);
    expect(await registry.refresh()).toEqual(['second']);
    expect(() => registry.client('first')).toThrow(UnknownVolumeDriverError);
  });

  it('shares one refresh between overlapping callers', async () => {
    await startLocal();
    const registry = new DriverRegistry({ dirs: [specDir], logger });
    const [a, b] = await Promise.all([registry.refresh(), registry.refresh()]);
    expect(a).toEqual(['localdriver']);
    expect(b).toBe(a);
  });

  it('replaces a spec left behind by a crashed run', async () => {
    await mkdir(specDir, { recursive: true });
    await writeFile(join(specDir, 'localdriver.json'), JSON.stringify({ Addr: 'unix:///nowhere/old.sock' }));
    const driver = await startLocal();
    const registry = new DriverRegistry({ dirs: [specDir], logger });
    await registry.refresh();
    expect(registry.spec('localdriver').address).toBe(driver.address);
  });

  it('refuses a bad driver name before serving anything', async () => {
    await expect(
      startLocalDriver({
        volumesRoot,
        stateFile: join(workDir, 'state.json'),
        listen: `unix://${join(workDir, 'bad.sock')}`,
        specDir,
        name: '../evil',
        logger,
      }),
    ).rejects.toThrow(/driver name/);
    await expect(readdir(workDir)).resolves.not.toContain('bad.sock');
  });
});
