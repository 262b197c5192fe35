import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cell, DEFAULT_APP_GID, DEFAULT_APP_UID } from '../../../platform/cell/cell';
import { CaptureLogger } from './helpers/capture-logger';
import { FakeVolumeDrivers } from './helpers/fake-drivers';
import { canUseNamespaces, eventually, forceCleanup, hostMountPointsUnder, livePidsMatching } from './helpers/host';

jest.setTimeout(60_000);

/** Runs with namespaces where the machine allows it, otherwise without isolation. */
const isolation = canUseNamespaces() ? 'namespaces' : 'none';

describe(`crashing instances (isolation ${isolation})`, () => {
  const marker = `osbkit-crash-test-${randomBytes(4).toString('hex')}`;
  let root: string;
  let drivers: FakeVolumeDrivers;
  let cell: Cell;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'osbkit-cell-crash-'));
    chmodSync(root, 0o755);
    drivers = new FakeVolumeDrivers(join(root, 'drivers'), {
      owner: { uid: DEFAULT_APP_UID, gid: DEFAULT_APP_GID },
      bindMount: process.getuid?.() === 0,
    });
    cell = new Cell({ dataDir: join(root, 'cell'), drivers, logger: new CaptureLogger(), isolation, convergeIntervalMs: 100, stopGraceMs: 2_000 });
    await cell.start();
  });

  afterAll(async () => {
    await cell?.shutdown();
    forceCleanup(root, marker);
  });

  it('restarts an app that exits 1, counting crashes', async () => {
    const appGuid = 'crasher';
    cell.desire(appGuid, {
      name: 'crasher',
      command: `: ${marker}; echo "run $CF_INSTANCE_GUID"; exit 1`,
      env: {},
      instances: 1,
      volumeMounts: [{ driver: 'fakedriver', volumeId: 'crash-vol', mountConfig: {}, containerDir: '/data/crash', mode: 'rw' }],
    });
    const crashed = await eventually('three crashes', () => {
      const instance = cell.status(appGuid)?.instances[0];
      return instance !== undefined && instance.crashCount >= 3 ? instance : undefined;
    });
    expect(crashed.reason).toBe('exited with status 1');
    const runs = (cell.logs(appGuid)?.recent ?? []).filter((line) => line.source === 'OUT' && line.message.startsWith('run '));
    expect(new Set(runs.map((line) => line.message)).size).toBeGreaterThanOrEqual(3);
    // Every run mounted its volume and released it again.
    expect(drivers.mounts.filter((mount) => mount.containerId === `${appGuid}-0`).length).toBeGreaterThanOrEqual(3);

    await cell.stop(appGuid);
    expect(drivers.active()).toEqual([]);
    expect(livePidsMatching(marker)).toEqual([]);
    expect(hostMountPointsUnder(join(root, 'cell'))).toEqual([]);
  });

  it('backs off after the immediate restarts', async () => {
    const appGuid = 'slow-crasher';
    cell.desire(appGuid, { name: 'slow-crasher', command: `: ${marker}; exit 7`, env: {}, instances: 1, volumeMounts: [] });
    const backingOff = await eventually('a fourth crash', () => {
      const instance = cell.status(appGuid)?.instances[0];
      return instance !== undefined && instance.crashCount === 4 && instance.state === 'crashed' ? instance : undefined;
    });
    expect(backingOff.reason).toBe('exited with status 7');
    const notes = (cell.logs(appGuid)?.recent ?? []).filter((line) => line.source === 'CELL').map((line) => line.message);
    expect(notes).toContain('Instance crashed (exited with status 7); crash 4, restarting in 30 s');
    await cell.stop(appGuid);
  });

  it('marks an instance crashed with a clear reason when a volume cannot be mounted, leaking nothing', async () => {
    const appGuid = 'no-volume';
    drivers.failMountsOf('unreachable-vol');
    cell.desire(appGuid, {
      name: 'no-volume',
      command: `: ${marker}; sleep 100`,
      env: {},
      instances: 1,
      volumeMounts: [
        { driver: 'fakedriver', volumeId: 'fine-vol', mountConfig: {}, containerDir: '/data/fine', mode: 'rw' },
        { driver: 'fakedriver', volumeId: 'unreachable-vol', mountConfig: {}, containerDir: '/data/gone', mode: 'rw' },
      ],
    });
    // After the immediate restarts the instance rests in its back-off, so nothing is in flight.
    const crashed = await eventually('the mount failures to settle', () => {
      const instance = cell.status(appGuid)?.instances[0];
      return instance?.state === 'crashed' && instance.crashCount === 4 ? instance : undefined;
    });
    expect(crashed.reason).toBe('volume mount failed (driver fakedriver, volume unreachable-vol): share unreachable-vol is unreachable');
    expect(crashed.pid).toBeNull();
    expect(livePidsMatching(marker)).toEqual([]);
    const fineMounts = drivers.mounts.filter((mount) => mount.volumeId === 'fine-vol').length;
    const fineUnmounts = drivers.unmounts.filter((mount) => mount.volumeId === 'fine-vol').length;
    expect(fineUnmounts).toBe(fineMounts);
    expect(hostMountPointsUnder(root)).toEqual([]);
    expect(existsSync(join(root, 'cell', 'containers', `${appGuid}-0`))).toBe(false);
    await cell.stop(appGuid);
  });
});
