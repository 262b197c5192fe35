import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cell, DEFAULT_APP_GID, DEFAULT_APP_UID } from '../../../platform/cell/cell';
import type { DesiredLrp } from '../../../platform/cell/types';
import { CaptureLogger } from './helpers/capture-logger';
import { FakeVolumeDrivers } from './helpers/fake-drivers';
import { canUseNamespaces, eventually, forceCleanup, hostMountPointsUnder, livePidsMatching } from './helpers/host';

jest.setTimeout(60_000);

const isolation = canUseNamespaces() ? 'namespaces' : 'none';

describe(`converging on desired state (isolation ${isolation})`, () => {
  const marker = `osbkit-desired-test-${randomBytes(4).toString('hex')}`;
  let root: string;
  let drivers: FakeVolumeDrivers;
  let cell: Cell;

  function lrp(overrides: Partial<DesiredLrp> = {}): DesiredLrp {
    return {
      name: 'worker',
      command: `: ${marker}; echo "version 1 on $INSTANCE_INDEX"; while true; do sleep 1; done`,
      env: {},
      instances: 1,
      volumeMounts: [{ driver: 'fakedriver', volumeId: 'work-vol', mountConfig: {}, containerDir: '/data/work', mode: 'rw' }],
      ...overrides,
    };
  }

  function runningPids(appGuid: string, count: number): number[] | undefined {
    const instances = cell.status(appGuid)?.instances ?? [];
    if (instances.length !== count || !instances.every((instance) => instance.state === 'running')) return undefined;
    return instances.map((instance) => instance.pid as number);
  }

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'osbkit-cell-desired-'));
    chmodSync(root, 0o755);
    drivers = new FakeVolumeDrivers(join(root, 'drivers'), { owner: { uid: DEFAULT_APP_UID, gid: DEFAULT_APP_GID }, bindMount: process.getuid?.() === 0 });
    cell = new Cell({ dataDir: join(root, 'cell'), drivers, logger: new CaptureLogger(), isolation, convergeIntervalMs: 100, stopGraceMs: 2_000 });
    await cell.start();
  });

  afterAll(async () => {
    await cell?.shutdown();
    forceCleanup(root, marker);
  });

  it('scales up and down, releasing the volumes of removed instances', async () => {
    const appGuid = 'scaler';
    cell.desire(appGuid, lrp({ instances: 3 }));
    await eventually('three instances', () => runningPids(appGuid, 3));
    cell.desire(appGuid, lrp({ instances: 1 }));
    await eventually('one instance', () => runningPids(appGuid, 1));
    await eventually('the removed instances to release their volumes', () => {
      const active = drivers.active().filter((call) => call.containerId.startsWith(`${appGuid}-`));
      return active.length === 1 && active[0]?.containerId === `${appGuid}-0` ? true : undefined;
    });
    await cell.stop(appGuid);
    expect(drivers.active()).toEqual([]);
  });

  it('replaces the instances when the definition changes', async () => {
    const appGuid = 'changer';
    cell.desire(appGuid, lrp());
    const [oldPid] = (await eventually('version 1', () => runningPids(appGuid, 1))) as [number];
    cell.desire(appGuid, lrp({ command: `: ${marker}; echo "version 2"; while true; do sleep 1; done` }));
    await eventually('version 2 to log', () =>
      (cell.logs(appGuid)?.recent ?? []).some((line) => line.message === 'version 2') ? true : undefined,
    );
    const [newPid] = (await eventually('the new instance to run', () => runningPids(appGuid, 1))) as [number];
    expect(newPid).not.toBe(oldPid);
    await cell.stop(appGuid);
  });

  it('undoes a start that a stop overtakes, and lets a new desire wait for the stop', async () => {
    const appGuid = 'hasty';
    cell.desire(appGuid, lrp({ instances: 2 }));
    const stopping = cell.stop(appGuid);
    cell.desire(appGuid, lrp({ instances: 1 }));
    await stopping;
    await eventually('the re-desired instance', () => runningPids(appGuid, 1));
    await cell.stop(appGuid);
    expect(drivers.active()).toEqual([]);
    expect(livePidsMatching(marker)).toEqual([]);
  });

  it('kills an app that ignores TERM once the grace period is over', async () => {
    const appGuid = 'stubborn';
    cell.desire(appGuid, lrp({ command: `: ${marker}; trap '' TERM; echo stubborn; while true; do sleep 1; done` }));
    await eventually('the stubborn app to run', () =>
      (cell.logs(appGuid)?.recent ?? []).some((line) => line.message === 'stubborn') ? true : undefined,
    );
    await cell.stop(appGuid);
    const notes = (cell.logs(appGuid)?.recent ?? []).filter((line) => line.source === 'CELL').map((line) => line.message);
    expect(notes).toContain('Process killed by SIGKILL');
    expect(livePidsMatching(marker)).toEqual([]);
    expect(drivers.active()).toEqual([]);
  });

  it('releases everything on shutdown', async () => {
    cell.desire('left-running-a', lrp({ instances: 2 }));
    cell.desire('left-running-b', lrp({ volumeMounts: [] }));
    await eventually('all to run', () => (runningPids('left-running-a', 2) && runningPids('left-running-b', 1) ? true : undefined));
    await cell.shutdown();
    expect(livePidsMatching(marker)).toEqual([]);
    expect(drivers.active()).toEqual([]);
    expect(hostMountPointsUnder(root)).toEqual([]);
    const state = JSON.parse(readFileSync(join(root, 'cell', 'cell-state.json'), 'utf8')) as { instances: unknown[] };
    expect(state.instances).toEqual([]);
    expect(() => cell.desire('too-late', lrp())).toThrow('shut-down');
  });
});
