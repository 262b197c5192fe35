import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverDriverSpecs, removeDriverSpec, writeDriverSpec } from '../../../sdk/volume/discovery';
import type { VolumeLogger } from '../../../sdk/volume/logger';

let workDir: string;
const servers: Server[] = [];

beforeEach(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'osbkit-disc-'));
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise<void>((done) => server.close(() => done()))));
  await rm(workDir, { recursive: true, force: true });
});

async function dir(name: string): Promise<string> {
  const path = join(workDir, name);
  await mkdir(path, { recursive: true });
  return path;
}

async function listenOnSocket(path: string): Promise<void> {
  const server = createServer((socket) => socket.destroy());
  servers.push(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
}

function recordingLogger(): VolumeLogger & { warnings: object[] } {
  const warnings: object[] = [];
  const ignore = (): void => undefined;
  return { warnings, debug: ignore, info: ignore, error: ignore, warn: (fields) => warnings.push(fields) };
}

describe('discoverDriverSpecs: the three formats', () => {
  it('reads a .json spec with Go field names', async () => {
    const drivers = await dir('drivers');
    await writeFile(
      join(drivers, 'nfsv3driver.json'),
      JSON.stringify({
        Name: 'nfsv3driver',
        Addr: 'http://127.0.0.1:7589',
        TLSConfig: { InsecureSkipVerify: true, CAFile: '/ca.crt', CertFile: '/c.crt', KeyFile: '/c.key' },
        UniqueVolumeIds: true,
      }),
    );
    expect(await discoverDriverSpecs([drivers])).toEqual([
      {
        name: 'nfsv3driver',
        address: 'http://127.0.0.1:7589',
        format: 'json',
        specFile: join(drivers, 'nfsv3driver.json'),
        tlsConfig: { insecureSkipVerify: true, caFile: '/ca.crt', certFile: '/c.crt', keyFile: '/c.key' },
        uniqueVolumeIds: true,
      },
    ]);
  });

  it('defaults TLSConfig to null and UniqueVolumeIds to false, and normalises Addr', async () => {
    const drivers = await dir('drivers');
    await writeFile(join(drivers, 'local.json'), JSON.stringify({ Addr: 'tcp://127.0.0.1:9750' }));
    const [spec] = await discoverDriverSpecs([drivers]);
    expect(spec).toMatchObject({ name: 'local', address: 'http://127.0.0.1:9750', tlsConfig: null, uniqueVolumeIds: false });
  });

  it('takes the first line of a .spec file as the address', async () => {
    const drivers = await dir('drivers');
    await writeFile(join(drivers, 'smbdriver.spec'), 'tcp://localhost:8589\r\nignored second line\n');
    expect(await discoverDriverSpecs([drivers])).toEqual([
      {
        name: 'smbdriver',
        address: 'http://localhost:8589',
        format: 'spec',
        specFile: join(drivers, 'smbdriver.spec'),
        tlsConfig: null,
        uniqueVolumeIds: false,
      },
    ]);
  });

  it('uses a .sock file as the socket itself', async () => {
    const drivers = await dir('drivers');
    const socketPath = join(drivers, 'sockdriver.sock');
    await listenOnSocket(socketPath);
    expect(await discoverDriverSpecs([drivers])).toEqual([
      { name: 'sockdriver', address: socketPath, format: 'sock', specFile: socketPath, tlsConfig: null, uniqueVolumeIds: false },
    ]);
  });

  it('names a driver after the file, not the Name inside it', async () => {
    const drivers = await dir('drivers');
    await writeFile(join(drivers, 'on-disk.json'), JSON.stringify({ Name: 'inside', Addr: 'http://127.0.0.1:1' }));
    expect((await discoverDriverSpecs([drivers])).map((spec) => spec.name)).toEqual(['on-disk']);
  });

  it('ignores other files, temporary files and missing directories', async () => {
    const drivers = await dir('drivers');
    await writeFile(join(drivers, 'README.md'), 'not a spec');
    await writeFile(join(drivers, '.a.json.123.abc.tmp'), '{"Addr":"http://127.0.0.1:1"}');
    await writeFile(join(drivers, 'real.json'), '{"Addr":"http://127.0.0.1:2"}');
    const specs = await discoverDriverSpecs([join(workDir, 'absent'), drivers]);
    expect(specs.map((spec) => spec.name)).toEqual(['real']);
  });
});

describe('discoverDriverSpecs: precedence and bad specs', () => {
  it('prefers .json over .spec over .sock within a directory', async () => {
    const drivers = await dir('drivers');
    await listenOnSocket(join(drivers, 'both.sock'));
    await writeFile(join(drivers, 'both.spec'), 'http://127.0.0.1:2\n');
    await writeFile(join(drivers, 'both.json'), '{"Addr":"http://127.0.0.1:1"}');
    await writeFile(join(drivers, 'two.spec'), 'http://127.0.0.1:3\n');
    await listenOnSocket(join(drivers, 'two.sock'));
    const specs = await discoverDriverSpecs([drivers]);
    expect(specs.map((spec) => [spec.name, spec.format, spec.address])).toEqual([
      ['both', 'json', 'http://127.0.0.1:1'],
      ['two', 'spec', 'http://127.0.0.1:3'],
    ]);
  });

  it('lets an earlier directory win over a later one', async () => {
    const first = await dir('first');
    const second = await dir('second');
    await writeFile(join(first, 'd.spec'), 'http://127.0.0.1:1');
    await writeFile(join(second, 'd.json'), '{"Addr":"http://127.0.0.1:2"}');
    await writeFile(join(second, 'e.json'), '{"Addr":"http://127.0.0.1:3"}');
    const specs = await discoverDriverSpecs([first, second]);
    expect(specs.map((spec) => [spec.name, spec.address])).toEqual([
      ['d', 'http://127.0.0.1:1'],
      ['e', 'http://127.0.0.1:3'],
    ]);
  });

  it('falls back to the next format when the preferred spec is unusable, and logs why', async () => {
    const drivers = await dir('drivers');
    await writeFile(join(drivers, 'd.json'), '{ not json');
    await writeFile(join(drivers, 'd.spec'), 'http://127.0.0.1:2');
    const logger = recordingLogger();
    const specs = await discoverDriverSpecs([drivers], logger);
    expect(specs.map((spec) => [spec.name, spec.format])).toEqual([['d', 'spec']]);
    expect(logger.warnings).toHaveLength(1);
  });

  it.each<[string, string, string]>([
    ['invalid JSON', 'bad.json', '{'],
    ['a JSON array', 'bad.json', '[]'],
    ['a missing Addr', 'bad.json', '{"Name":"bad"}'],
    ['an empty Addr', 'bad.json', '{"Addr":"  "}'],
    ['a numeric Addr', 'bad.json', '{"Addr":7589}'],
    ['a string UniqueVolumeIds', 'bad.json', '{"Addr":"http://a:1","UniqueVolumeIds":"yes"}'],
    ['a TLSConfig array', 'bad.json', '{"Addr":"http://a:1","TLSConfig":[]}'],
    ['a numeric CAFile', 'bad.json', '{"Addr":"http://a:1","TLSConfig":{"CAFile":1}}'],
    ['an unknown scheme', 'bad.json', '{"Addr":"ftp://a:1"}'],
    ['an empty .spec', 'bad.spec', ''],
    ['a blank first line', 'bad.spec', '\nhttp://a:1'],
    ['a regular file named .sock', 'bad.sock', 'not a socket'],
  ])('skips a spec with %s', async (_label, fileName, contents) => {
    const drivers = await dir('drivers');
    await writeFile(join(drivers, fileName), contents);
    await writeFile(join(drivers, 'good.json'), '{"Addr":"http://127.0.0.1:1"}');
    const logger = recordingLogger();
    const specs = await discoverDriverSpecs([drivers], logger);
    expect(specs.map((spec) => spec.name)).toEqual(['good']);
    expect(logger.warnings).toHaveLength(1);
  });

  it('skips an oversized spec without reading it whole', async () => {
    const drivers = await dir('drivers');
    await writeFile(join(drivers, 'huge.spec'), `http://127.0.0.1:1\n${'#'.repeat(128 * 1024)}`);
    expect(await discoverDriverSpecs([drivers])).toEqual([]);
  });
});

describe('writeDriverSpec and removeDriverSpec', () => {
  it('writes a .json spec that volman and discoverDriverSpecs both read', async () => {
    const drivers = join(workDir, 'not-yet-created');
    const specFile = await writeDriverSpec(drivers, 'localdriver', 'tcp://127.0.0.1:9750');
    expect(specFile).toBe(join(drivers, 'localdriver.json'));
    expect(JSON.parse(await readFile(specFile, 'utf8'))).toEqual({
      Name: 'localdriver',
      Addr: 'http://127.0.0.1:9750',
      TLSConfig: null,
      UniqueVolumeIds: false,
    });
    expect(await discoverDriverSpecs([drivers])).toEqual([
      { name: 'localdriver', address: 'http://127.0.0.1:9750', format: 'json', specFile, tlsConfig: null, uniqueVolumeIds: false },
    ]);
  });

  it('writes socket addresses as unix URLs', async () => {
    const drivers = await dir('drivers');
    await writeDriverSpec(drivers, 'local', '/run/osbkit/local.sock');
    const [spec] = await discoverDriverSpecs([drivers]);
    expect(spec?.address).toBe('unix:///run/osbkit/local.sock');
  });

  it('replaces an existing spec and leaves no temporary files behind', async () => {
    const drivers = await dir('drivers');
    await writeDriverSpec(drivers, 'd', 'http://127.0.0.1:1');
    await writeDriverSpec(drivers, 'd', 'http://127.0.0.1:2');
    expect(await readdir(drivers)).toEqual(['d.json']);
    const [spec] = await discoverDriverSpecs([drivers]);
    expect(spec?.address).toBe('http://127.0.0.1:2');
  });

  it.each(['', '../escape', 'a/b', '.hidden', 'with.dot', 'space name', 'x'.repeat(101)])('refuses the driver name %j', async (name) => {
    const drivers = await dir('drivers');
    await expect(writeDriverSpec(drivers, name, 'http://127.0.0.1:1')).rejects.toThrow(/driver name/);
    await expect(removeDriverSpec(drivers, name)).rejects.toThrow(/driver name/);
    expect(await readdir(drivers)).toEqual([]);
  });

  it.each(['', 'ftp://x:1', 'https://127.0.0.1:1', 'relative.sock'])('refuses the address %j', async (address) => {
    const drivers = await dir('drivers');
    await expect(writeDriverSpec(drivers, 'd', address)).rejects.toThrow(/cannot advertise driver d/);
    expect(await readdir(drivers)).toEqual([]);
  });

  it('removes a spec, and does not mind if it is already gone', async () => {
    const drivers = await dir('drivers');
    await writeDriverSpec(drivers, 'd', 'http://127.0.0.1:1');
    await removeDriverSpec(drivers, 'd');
    await removeDriverSpec(drivers, 'd');
    expect(await readdir(drivers)).toEqual([]);
  });
});
