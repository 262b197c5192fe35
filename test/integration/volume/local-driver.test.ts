import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { localVolumePath } from '../../../sdk/volume/local-path';
import { VolumeDriverClient, VolumeDriverError } from '../../../sdk/volume/protocol/client';
import { startLocalDriver, type RunningLocalDriver } from '../../../platform/drivers/local/main';

const logger = pino({ level: 'silent' });

interface Fixture {
  workDir: string;
  volumesRoot: string;
  stateFile: string;
  listen: string;
}

const transports: Array<[string, (workDir: string) => string]> = [
  ['a unix socket', (workDir) => `unix://${join(workDir, 'run', 'localdriver.sock')}`],
  ['loopback TCP', () => 'tcp://127.0.0.1:0'],
];

describe.each(transports)('local driver over %s', (_label, listenAddress) => {
  let fixture: Fixture;
  let running: RunningLocalDriver | undefined;
  let client: VolumeDriverClient;

  async function start(): Promise<void> {
    running = await startLocalDriver({
      volumesRoot: fixture.volumesRoot,
      stateFile: fixture.stateFile,
      listen: fixture.listen,
      logger,
    });
    client = new VolumeDriverClient({ address: running.address, timeoutMs: 10_000 });
  }

  async function stop(): Promise<void> {
    await running?.close();
    running = undefined;
  }

  /** What the local broker does on provision. */
  async function provision(volumeId: string): Promise<string> {
    const directory = localVolumePath(fixture.volumesRoot, volumeId);
    await mkdir(directory, { recursive: true });
    return directory;
  }

  async function expectDriverError(call: Promise<unknown>): Promise<VolumeDriverError> {
    const error: unknown = await call.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(VolumeDriverError);
    return error as VolumeDriverError;
  }

  beforeEach(async () => {
    const workDir = await mkdtemp(join(tmpdir(), 'osbkit-ld-'));
    fixture = {
      workDir,
      volumesRoot: join(workDir, 'volumes'),
      stateFile: join(workDir, 'state', 'localdriver.json'),
      listen: listenAddress(workDir),
    };
    await mkdir(fixture.volumesRoot, { recursive: true });
    await start();
  });

  afterEach(async () => {
    await stop();
    await rm(fixture.workDir, { recursive: true, force: true });
  });

  it('activates as a volume driver with local scope', async () => {
    expect(await client.activate()).toEqual(['VolumeDriver']);
    expect(await client.capabilities()).toEqual({ scope: 'local' });
  });

  it('mounts one volume into two containers and counts each container once', async () => {
    const directory = await provision('vol-1');
    await client.create('vol-1', {});

    expect(await client.mount('vol-1', 'container-a')).toBe(directory);
    expect(await client.mount('vol-1', 'container-b')).toBe(directory);
    expect(await client.mount('vol-1', 'container-a')).toBe(directory);
    expect(await client.get('vol-1')).toEqual({ name: 'vol-1', mountpoint: directory, mountCount: 2 });
    expect(await client.path('vol-1')).toBe(directory);

    await client.unmount('vol-1', 'container-a');
    expect(await client.get('vol-1')).toEqual({ name: 'vol-1', mountpoint: directory, mountCount: 1 });

    await client.unmount('vol-1', 'container-b');
    expect(await client.get('vol-1')).toEqual({ name: 'vol-1', mountpoint: '', mountCount: 0 });
    expect(await client.list()).toEqual([{ name: 'vol-1', mountpoint: '', mountCount: 0 }]);
  });

  it("lands the app's files in the broker's directory", async () => {
    const directory = await provision('shared-files');
    await client.create('shared-files', {});
    const mountpoint = await client.mount('shared-files', 'container-a');
    await writeFile(join(mountpoint, 'hello.txt'), 'from the app');
    expect(await readFile(join(directory, 'hello.txt'), 'utf8')).toBe('from the app');
  });

  it('counts mounts without a container id one by one', async () => {
    await provision('anon');
    await client.create('anon', {});
    await client.mount('anon');
    await client.mount('anon');
    await client.mount('anon', 'container-a');
    expect((await client.get('anon')).mountCount).toBe(3);
    await client.unmount('anon');
    expect((await client.get('anon')).mountCount).toBe(2);
  });

  it('keeps volumes and per-container counts across a restart', async () => {
    const directory = await provision('durable');
    await provision('idle');
    await client.create('durable', { uid: '1000' });
    await client.create('idle', {});
    await client.mount('durable', 'container-a');
    await client.mount('durable', 'container-b');
    await client.mount('durable');

    await stop();
    await start();

    expect(await client.list()).toEqual([
      { name: 'durable', mountpoint: directory, mountCount: 3 },
      { name: 'idle', mountpoint: '', mountCount: 0 },
    ]);
    // The reloaded driver still knows which containers hold the volume.
    await client.mount('durable', 'container-a');
    expect((await client.get('durable')).mountCount).toBe(3);
    await client.unmount('durable', 'container-b');
    await expect(client.unmount('durable', 'container-b')).rejects.toThrow(/not mounted by container 'container-b'/);
    expect((await client.get('durable')).mountCount).toBe(2);

    const saved = JSON.parse(await readFile(fixture.stateFile, 'utf8')) as unknown;
    expect(saved).toEqual({
      version: 1,
      volumes: [
        { name: 'durable', opts: { uid: '1000' }, containers: ['container-a'], anonymousMounts: 1 },
        { name: 'idle', opts: {}, containers: [], anonymousMounts: 0 },
      ],
    });
  });

  it.each(['../escape', '..', 'a/b', '/etc', 'a\\b', 'x..y'])('refuses the volume name %j on every call', async (name) => {
    for (const call of [
      client.create(name, {}),
      client.mount(name, 'c'),
      client.unmount(name, 'c'),
      client.remove(name),
      client.path(name),
      client.get(name),
    ]) {
      const error = await expectDriverError(call);
      expect(error.message).toMatch(/invalid volume name: /);
      expect(error.safeDescription).toBeUndefined();
    }
  });

  it('surfaces a missing broker directory as a safe error', async () => {
    const error = await expectDriverError(client.create('never-provisioned', {}));
    expect(error.safeDescription).toBe("volume 'never-provisioned' does not exist");
    expect(error.message).toContain("volume 'never-provisioned' does not exist");
    expect(error.message).not.toContain(fixture.volumesRoot);
  });

  it('refuses to mount a volume whose directory was removed after create', async () => {
    const directory = await provision('deprovisioned');
    await client.create('deprovisioned', {});
    await rm(directory, { recursive: true });
    const error = await expectDriverError(client.mount('deprovisioned', 'c'));
    expect(error.safeDescription).toBe("volume 'deprovisioned' does not exist");
  });

  it('refuses to mount a volume that was never created', async () => {
    await provision('uncreated');
    const error = await expectDriverError(client.mount('uncreated', 'c'));
    expect(error.safeDescription).toBe("volume 'uncreated' must be created before being mounted");
  });

  it('reports unknown volumes', async () => {
    await expect(client.get('ghost')).rejects.toThrow(/volume 'ghost' not found/);
    await expect(client.path('ghost')).rejects.toThrow(/volume 'ghost' not found/);
    await expect(client.unmount('ghost', 'c')).rejects.toThrow(/volume 'ghost' not found/);
  });

  it('reports unmounting what is not mounted, and Path of an unmounted volume', async () => {
    await provision('quiet');
    await client.create('quiet', {});
    await expect(client.unmount('quiet')).rejects.toThrow(/no mount without a container id/);
    await expect(client.unmount('quiet', 'c')).rejects.toThrow(/not mounted by container 'c'/);
    await expect(client.path('quiet')).rejects.toThrow(/volume 'quiet' is not mounted/);
  });

  it('forgets removed volumes, and removing an unknown one is not an error', async () => {
    await provision('gone');
    await client.create('gone', {});
    await client.mount('gone', 'c');
    await client.remove('gone');
    await client.remove('gone');
    expect(await client.list()).toEqual([]);
    await expect(client.get('gone')).rejects.toThrow(/not found/);
  });
});
