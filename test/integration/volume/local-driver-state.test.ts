import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { localVolumePath } from '../../../sdk/volume/local-path';
import { VolumeDriverError } from '../../../sdk/volume/protocol/errors';
import { LocalVolumeDriver } from '../../../platform/drivers/local/driver';
import { LocalDriverStateError } from '../../../platform/drivers/local/state';

const logger = pino({ level: 'silent' });

let workDir: string;
let volumesRoot: string;
let stateDir: string;
let stateFile: string;

function open(): Promise<LocalVolumeDriver> {
  return LocalVolumeDriver.open({ volumesRoot, stateFile, logger });
}

async function provision(volumeId: string): Promise<string> {
  const directory = localVolumePath(volumesRoot, volumeId);
  await mkdir(directory, { recursive: true });
  return directory;
}

beforeEach(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'osbkit-lds-'));
  volumesRoot = join(workDir, 'volumes');
  stateDir = join(workDir, 'state');
  stateFile = join(stateDir, 'localdriver.json');
  await mkdir(volumesRoot, { recursive: true });
});

afterEach(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('LocalVolumeDriver state file', () => {
  it('starts empty when there is no state file yet', async () => {
    expect(await (await open()).list()).toEqual([]);
  });

  it.each<[string, string]>([
    ['broken JSON', '{"version":1,'],
    ['an unknown version', '{"version":2,"volumes":[]}'],
    ['volumes that are not a list', '{"version":1,"volumes":{}}'],
    ['an unsafe volume name', '{"version":1,"volumes":[{"name":"../x","opts":{},"containers":[],"anonymousMounts":0}]}'],
    [
      'a repeated volume',
      '{"version":1,"volumes":[{"name":"a","opts":{},"containers":[],"anonymousMounts":0},{"name":"a","opts":{},"containers":[],"anonymousMounts":0}]}',
    ],
    ['a repeated container', '{"version":1,"volumes":[{"name":"a","opts":{},"containers":["c","c"],"anonymousMounts":0}]}'],
    ['a negative count', '{"version":1,"volumes":[{"name":"a","opts":{},"containers":[],"anonymousMounts":-1}]}'],
    ['non-object opts', '{"version":1,"volumes":[{"name":"a","opts":[],"containers":[],"anonymousMounts":0}]}'],
  ])('refuses to start from %s rather than forget mounts', async (_label, contents) => {
    await mkdir(stateDir, { recursive: true });
    await writeFile(stateFile, contents);
    await expect(open()).rejects.toThrow(LocalDriverStateError);
  });

  it('keeps memory and file unchanged when the state cannot be saved', async () => {
    await provision('v');
    const driver = await open();
    await driver.create('v', {});
    const before = await readFile(stateFile, 'utf8');

    // A file where the state directory should be makes every later save fail.
    await rm(stateDir, { recursive: true });
    await writeFile(stateDir, 'in the way');
    await expect(driver.mount('v', 'c')).rejects.toThrow();
    expect(await driver.get('v')).toMatchObject({ mountCount: 0 });

    await rm(stateDir);
    await mkdir(stateDir);
    await writeFile(stateFile, before);
    expect(await (await open()).get('v')).toMatchObject({ mountCount: 0 });
  });

  it('records every one of many concurrent mounts', async () => {
    await provision('busy');
    const driver = await open();
    await driver.create('busy', {});
    const containers = Array.from({ length: 25 }, (_unused, index) => `container-${index}`);
    await Promise.all(containers.map((id) => driver.mount('busy', id)));
    expect((await driver.get('busy')).mountCount).toBe(25);
    expect((await (await open()).get('busy')).mountCount).toBe(25);
  });

  it('accepts ids that are awkward but not dangerous, and reloads them', async () => {
    for (const name of ['__proto__', 'constructor', 'with space', 'ünïcödé', '.hidden']) {
      const directory = await provision(name);
      const driver = await open();
      await driver.create(name, {});
      expect(await driver.mount(name, 'c')).toBe(directory);
    }
    expect((await (await open()).list()).map((volume) => volume.name)).toEqual([
      '.hidden',
      '__proto__',
      'constructor',
      'with space',
      'ünïcödé',
    ]);
  });
});

describe('LocalVolumeDriver volume directories', () => {
  it('refuses a symlink planted in place of a volume directory', async () => {
    const elsewhere = join(workDir, 'elsewhere');
    await mkdir(elsewhere);
    await symlink(elsewhere, localVolumePath(volumesRoot, 'planted'));
    const driver = await open();
    const error = (await driver.create('planted', {}).catch((thrown: unknown) => thrown)) as VolumeDriverError;
    expect(error).toBeInstanceOf(VolumeDriverError);
    expect(error.safeDescription).toBe("volume 'planted' does not exist");
  });

  it('refuses a regular file in place of a volume directory', async () => {
    await writeFile(localVolumePath(volumesRoot, 'flat'), '');
    const driver = await open();
    await expect(driver.create('flat', {})).rejects.toThrow(/does not exist/);
  });

  it('keeps the options and mounts when a volume is created again', async () => {
    await provision('again');
    const driver = await open();
    await driver.create('again', { a: 1 });
    await driver.mount('again', 'c');
    await driver.create('again', { a: 2 });
    expect((await driver.get('again')).mountCount).toBe(1);
    const saved = JSON.parse(await readFile(stateFile, 'utf8')) as { volumes: Array<{ opts: unknown }> };
    expect(saved.volumes[0]?.opts).toEqual({ a: 2 });
  });
});
