import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Cell, DEFAULT_APP_GID, DEFAULT_APP_UID } from '../../../platform/cell/cell';
import { UNSHARE_ARGUMENTS } from '../../../platform/cell/namespace-launcher';
import type { AppStatus } from '../../../platform/cell/types';
import { CaptureLogger } from './helpers/capture-logger';
import { FakeVolumeDrivers, type DriverCall } from './helpers/fake-drivers';
import { canUseNamespaces, eventually, forceCleanup, hostMountPointsUnder, isLive, livePidsMatching } from './helpers/host';

jest.setTimeout(90_000);

const describeWithNamespaces = canUseNamespaces() ? describe : describe.skip;
const helpers = join(__dirname, 'helpers');

interface ChildReport {
  status: AppStatus;
  mounts: DriverCall[];
}

/** Starts a cell in another process and waits until its app runs. */
async function startDoomedCell(config: object): Promise<{ child: ChildProcess; report: ChildReport }> {
  const child = spawn(process.execPath, ['-r', join(helpers, 'ts-register.js'), join(helpers, 'cell-child.ts'), JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const report = await new Promise<ChildReport>((resolve, reject) => {
    lines.once('line', (line) => resolve(JSON.parse(line) as ChildReport));
    child.once('exit', (code) => reject(new Error(`cell child exited early with ${code}`)));
  });
  return { child, report };
}

describeWithNamespaces('a cell restarted after a crash', () => {
  const marker = `osbkit-restart-test-${randomBytes(4).toString('hex')}`;
  const appGuid = 'survivor-app';
  let root: string;
  let dataDir: string;
  let driverRoot: string;
  let successor: Cell | undefined;
  let doomed: ChildProcess | undefined;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'osbkit-cell-restart-'));
    chmodSync(root, 0o755);
    dataDir = join(root, 'cell');
    driverRoot = join(root, 'drivers');
  });

  afterAll(async () => {
    doomed?.kill('SIGKILL');
    await successor?.shutdown();
    forceCleanup(root, marker);
  });

  it('kills the old instances, releases their volumes and leaves no stale mount', async () => {
    const started = await startDoomedCell({
      dataDir,
      driverRoot,
      appGuid,
      command: `: ${marker}; echo started; while true; do sleep 1; done`,
      instances: 2,
      shareOwner: { uid: DEFAULT_APP_UID, gid: DEFAULT_APP_GID },
    });
    doomed = started.child;
    const oldPids = started.report.status.instances.map((instance) => instance.pid).filter((pid): pid is number => pid !== null);
    expect(oldPids).toHaveLength(2);
    expect(started.report.mounts).toHaveLength(2);

    // The crash: the cell process dies at once, cleaning up nothing.
    const exited = new Promise((resolve) => doomed?.once('exit', resolve));
    doomed.kill('SIGKILL');
    await exited;
    doomed = undefined;

    // What a crash leaves behind: running instances and the drivers' host mounts.
    expect(oldPids.every(isLive)).toBe(true);
    expect(livePidsMatching(marker).length).toBeGreaterThan(0);
    const driverMountPoints = started.report.mounts.map((mount) => join(driverRoot, 'mounts', `${mount.volumeId}_${mount.containerId}`)).sort();
    expect(hostMountPointsUnder(driverRoot).sort()).toEqual(driverMountPoints);
    // And a stale host mount under the data dir, as an older cell or a killed set-up could leave.
    const staleMount = join(dataDir, 'containers', `${appGuid}-0`, 'stale');
    mkdirSync(staleMount, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', 'stale', staleMount]);

    // And an instance the state file never heard of, as a cell dying right after a spawn would leave.
    const ghostScript = join(dataDir, 'containers', 'ghost-0', 'setup.sh');
    mkdirSync(join(dataDir, 'containers', 'ghost-0'), { recursive: true });
    writeFileSync(ghostScript, `exec /bin/sh -c ': ${marker}-ghost; while true; do sleep 1; done'\n`);
    const ghost = spawn('unshare', [...UNSHARE_ARGUMENTS, '/bin/sh', ghostScript], { detached: true, stdio: 'ignore' });
    await eventually('the ghost to run', () => (livePidsMatching(`${marker}-ghost`).length > 0 ? true : undefined));

    const drivers = new FakeVolumeDrivers(driverRoot, { owner: { uid: DEFAULT_APP_UID, gid: DEFAULT_APP_GID }, bindMount: true });
    const logger = new CaptureLogger();
    successor = new Cell({ dataDir, drivers, logger, isolation: 'namespaces', convergeIntervalMs: 200 });
    await successor.start();

    await eventually('the old instance processes to die', () => (livePidsMatching(marker).length === 0 && !oldPids.some(isLive) ? true : undefined));
    expect(isLive(ghost.pid as number)).toBe(false);
    expect(existsSync(join(dataDir, 'containers', 'ghost-0'))).toBe(false);
    expect(drivers.unmounts).toEqual(expect.arrayContaining(started.report.mounts));
    expect(drivers.unmounts).toHaveLength(started.report.mounts.length);
    expect(hostMountPointsUnder(root)).toEqual([]);
    expect(existsSync(join(dataDir, 'containers', `${appGuid}-0`))).toBe(false);
    const state = JSON.parse(readFileSync(join(dataDir, 'cell-state.json'), 'utf8')) as { cellPid: number; instances: unknown[] };
    expect(state).toMatchObject({ cellPid: process.pid, instances: [] });
    expect(logger.messages('error')).toEqual([]);
  });

  it('runs apps normally afterwards', async () => {
    const cell = successor as Cell;
    cell.desire(appGuid, {
      name: 'again',
      command: `: ${marker}; echo again; while true; do sleep 1; done`,
      env: {},
      instances: 1,
      volumeMounts: [{ driver: 'fakedriver', volumeId: 'shared-vol', mountConfig: {}, containerDir: '/data/shared', mode: 'rw' }],
    });
    await eventually('the app to run', () => (cell.status(appGuid)?.instances[0]?.state === 'running' ? true : undefined));
    await cell.stop(appGuid);
    expect(livePidsMatching(marker)).toEqual([]);
    expect(hostMountPointsUnder(root)).toEqual([]);
  });

  it('refuses a data dir whose cell is still alive', async () => {
    const started = await startDoomedCell({
      dataDir: join(root, 'busy-cell'),
      driverRoot: join(root, 'busy-drivers'),
      appGuid: 'busy-app',
      command: `: ${marker}; while true; do sleep 1; done`,
      instances: 1,
      shareOwner: { uid: DEFAULT_APP_UID, gid: DEFAULT_APP_GID },
    });
    doomed = started.child;
    const intruder = new Cell({ dataDir: join(root, 'busy-cell'), drivers: new FakeVolumeDrivers(join(root, 'busy-drivers')), logger: new CaptureLogger() });
    await expect(intruder.start()).rejects.toThrow(`in use by running cell process ${doomed.pid}`);
    expect(started.report.status.instances.every((instance) => instance.pid !== null && isLive(instance.pid))).toBe(true);

    // Clean up as a real operator would: kill the cell, start a successor, shut it down.
    const exited = new Promise((resolve) => doomed?.once('exit', resolve));
    doomed.kill('SIGKILL');
    await exited;
    doomed = undefined;
    const cleaner = new Cell({
      dataDir: join(root, 'busy-cell'),
      drivers: new FakeVolumeDrivers(join(root, 'busy-drivers'), { bindMount: true }),
      logger: new CaptureLogger(),
    });
    await cleaner.start();
    await cleaner.shutdown();
    await eventually('the busy cell to be cleaned', () => (livePidsMatching(marker).length === 0 ? true : undefined));
    expect(hostMountPointsUnder(root)).toEqual([]);
  });
});
