import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cell, DEFAULT_APP_GID, DEFAULT_APP_UID } from '../../../platform/cell/cell';
import type { AppStatus, LogLine } from '../../../platform/cell/types';
import { CaptureLogger } from './helpers/capture-logger';
import { FakeVolumeDrivers } from './helpers/fake-drivers';
import { canUseNamespaces, eventually, forceCleanup, hostMountPointsUnder, isLive, livePidsMatching, psLines } from './helpers/host';

jest.setTimeout(60_000);

const describeWithNamespaces = canUseNamespaces() ? describe : describe.skip;

/** One app that probes its container, reports on stdout/stderr and then idles. */
function probeCommand(marker: string): string {
  return [
    `: ${marker}`,
    'echo "pid=$$"',
    'echo "init=$(tr "\\0" " " < /proc/1/cmdline)"',
    'echo "visible-processes=$(ls /proc | grep -c "^[0-9]")"',
    'echo "uid=$(id -u) gid=$(id -g)"',
    'echo "home=$HOME pwd=$(pwd)"',
    'echo "index=$CF_INSTANCE_INDEX vcap=$VCAP_APPLICATION"',
    'echo "volumes=$OSBKIT_VOLUME_PATHS"',
    'echo "secret=$SECRET_TOKEN"',
    'echo "seed=$(cat /data/ro/seed.txt)"',
    'echo written > /data/rw/from-app.txt && echo "rw-write=ok"',
    'echo nope > /data/ro/nope.txt || echo "ro-write=refused"',
    'touch /usr/x || echo "usr-write=refused"',
    'echo changed >> hello.txt && echo "app-write=ok"',
    `trap 'echo "got TERM"; exit 0' TERM`,
    'echo "probe-done"',
    'while true; do sleep 1; done',
  ].join('\n');
}

function messages(lines: readonly LogLine[], source: LogLine['source']): string[] {
  return lines.filter((line) => line.source === source).map((line) => line.message);
}

function valueOf(lines: string[], key: string): string | undefined {
  const line = lines.find((candidate) => candidate.startsWith(`${key}=`));
  return line?.slice(key.length + 1);
}

describeWithNamespaces('cell with namespace isolation', () => {
  const marker = `osbkit-ns-test-${randomBytes(4).toString('hex')}`;
  const appGuid = 'ns-probe-app';
  let root: string;
  let drivers: FakeVolumeDrivers;
  let cell: Cell;
  let appDir: string;
  let status: AppStatus;
  let out: string[];
  let err: string[];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'osbkit-cell-ns-'));
    chmodSync(root, 0o755);
    appDir = join(root, 'app-source');
    mkdirSync(appDir);
    writeFileSync(join(appDir, 'hello.txt'), 'original\n');
    drivers = new FakeVolumeDrivers(join(root, 'drivers'), { owner: { uid: DEFAULT_APP_UID, gid: DEFAULT_APP_GID }, bindMount: true });
    mkdirSync(drivers.sharePath('vol-ro'), { recursive: true });
    writeFileSync(join(drivers.sharePath('vol-ro'), 'seed.txt'), 'seeded');
    cell = new Cell({ dataDir: join(root, 'cell'), drivers, logger: new CaptureLogger(), isolation: 'namespaces', convergeIntervalMs: 200, stopGraceMs: 3_000 });
    await cell.start();
    cell.desire(appGuid, {
      name: 'probe',
      command: probeCommand(marker),
      env: { SECRET_TOKEN: "s3cr3t 'quoted'" },
      instances: 1,
      appDir,
      volumeMounts: [
        { driver: 'fakedriver', volumeId: 'vol-rw', mountConfig: { uid: '2000' }, containerDir: '/data/rw', mode: 'rw' },
        { driver: 'fakedriver', volumeId: 'vol-ro', mountConfig: {}, containerDir: '/data/ro', mode: 'r' },
      ],
    });
    await eventually('the probe to finish', () => {
      const recent = cell.logs(appGuid)?.recent ?? [];
      return messages(recent, 'OUT').includes('probe-done') ? true : undefined;
    });
    status = await eventually('the instance to run', () => {
      const current = cell.status(appGuid);
      return current?.instances[0]?.state === 'running' ? current : undefined;
    });
    const recent = cell.logs(appGuid)?.recent ?? [];
    out = messages(recent, 'OUT');
    err = messages(recent, 'ERR');
  });

  afterAll(async () => {
    await cell?.shutdown();
    forceCleanup(root, marker);
  });

  it('runs the app in its own pid namespace under the contain helper', () => {
    expect(Number(valueOf(out, 'pid'))).toBeLessThan(200);
    expect(valueOf(out, 'init')).toMatch(/osbkit-contain run /);
    expect(Number(valueOf(out, 'visible-processes'))).toBeLessThan(10);
  });

  it('runs the app as the unprivileged app user in /home/vcap/app', () => {
    expect(valueOf(out, 'uid')).toBe(`${DEFAULT_APP_UID} gid=${DEFAULT_APP_GID}`);
    expect(valueOf(out, 'home')).toBe('/home/vcap pwd=/home/vcap/app');
  });

  it('gives the app its env and the Cloud Foundry instance variables', () => {
    expect(valueOf(out, 'secret')).toBe("s3cr3t 'quoted'");
    const [index, vcap] = (valueOf(out, 'index') ?? '').split(' vcap=');
    expect(index).toBe('0');
    expect(JSON.parse(vcap ?? '{}')).toMatchObject({ application_id: appGuid, application_name: 'probe', instance_index: 0 });
    expect(JSON.parse(valueOf(out, 'volumes') ?? '{}')).toEqual({ '/data/rw': '/data/rw', '/data/ro': '/data/ro' });
  });

  it('keeps secrets out of host process lists', () => {
    expect(psLines(marker).join('\n')).not.toContain('s3cr3t');
  });

  it('lets the app write to a rw volume, as the app user', () => {
    expect(out).toContain('rw-write=ok');
    const written = join(drivers.sharePath('vol-rw'), 'from-app.txt');
    expect(readFileSync(written, 'utf8')).toBe('written\n');
    expect(statSync(written).uid).toBe(DEFAULT_APP_UID);
    expect(drivers.mountConfigs[0]).toEqual({ uid: '2000' });
  });

  it('refuses writes to a mode r volume with EROFS', () => {
    expect(valueOf(out, 'seed')).toBe('seeded');
    expect(out).toContain('ro-write=refused');
    expect(err.some((line) => line.includes('/data/ro/nope.txt') && line.includes('Read-only file system'))).toBe(true);
    expect(existsSync(join(drivers.sharePath('vol-ro'), 'nope.txt'))).toBe(false);
  });

  it('keeps /usr read-only', () => {
    expect(out).toContain('usr-write=refused');
    expect(err.some((line) => line.includes('/usr/x') && line.includes('Read-only file system'))).toBe(true);
    expect(existsSync('/usr/x')).toBe(false);
  });

  it('gives the app a writable copy and leaves the original alone', () => {
    expect(out).toContain('app-write=ok');
    expect(readFileSync(join(appDir, 'hello.txt'), 'utf8')).toBe('original\n');
  });

  it('adds no container mount to the host mount table', () => {
    const expected = drivers.mounts.map((mount) => drivers.mountPoint(mount.volumeId, mount.containerId)).sort();
    expect(hostMountPointsUnder(root).sort()).toEqual(expected);
  });

  it('mounted each volume through the driver for container <guid>-<index>', () => {
    expect(drivers.mounts).toEqual([
      { driver: 'fakedriver', volumeId: 'vol-rw', containerId: `${appGuid}-0` },
      { driver: 'fakedriver', volumeId: 'vol-ro', containerId: `${appGuid}-0` },
    ]);
  });

  it('stops cleanly: no process, no mount, every driver mount released', async () => {
    const pid = status.instances[0]?.pid;
    expect(typeof pid).toBe('number');
    expect(livePidsMatching(marker).length).toBeGreaterThan(0);
    await expect(cell.stop(appGuid)).resolves.toBe(true);
    await eventually('the process tree to be gone', () => (livePidsMatching(marker).length === 0 && !isLive(pid as number) ? true : undefined));
    // Graceful: the app's TERM trap ran and it exited on its own, well within the grace period.
    const recent = cell.logs(appGuid)?.recent ?? [];
    expect(messages(recent, 'OUT')).toContain('got TERM');
    expect(messages(recent, 'CELL')).toContain('Process exited with status 0');
    expect(psLines(marker)).toEqual([]);
    expect(drivers.active()).toEqual([]);
    expect(drivers.unmounts).toEqual(expect.arrayContaining(drivers.mounts));
    expect(hostMountPointsUnder(root)).toEqual([]);
    expect(existsSync(join(root, 'cell', 'containers', `${appGuid}-0`))).toBe(false);
    expect(cell.status(appGuid)).toBeUndefined();
    const stateFile = JSON.parse(readFileSync(join(root, 'cell', 'cell-state.json'), 'utf8')) as { instances: unknown[] };
    expect(stateFile.instances).toEqual([]);
  });

  it('keeps the logs of a stopped app, also in the log file', () => {
    const recent = cell.logs(appGuid)?.recent ?? [];
    expect(messages(recent, 'CELL').some((line) => line.startsWith('Stopping container'))).toBe(true);
    const file = readFileSync(join(root, 'cell', 'logs', `${appGuid}.log`), 'utf8').trim().split('\n');
    expect(file.map((line) => (JSON.parse(line) as LogLine).message)).toContain('probe-done');
  });
});
