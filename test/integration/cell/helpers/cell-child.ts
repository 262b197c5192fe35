/**
 * A cell in its own process, so a test can crash it for real with SIGKILL. Started by
 * `node -r ts-register.js cell-child.ts '<config json>'`; prints one JSON line once its app runs.
 */
import { Cell } from '../../../../platform/cell/cell';
import { silentCellLogger } from '../../../../platform/cell/logger';
import { FakeVolumeDrivers } from './fake-drivers';

interface ChildConfig {
  dataDir: string;
  driverRoot: string;
  appGuid: string;
  command: string;
  instances: number;
  shareOwner: { uid: number; gid: number };
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
  const drivers = new FakeVolumeDrivers(config.driverRoot, { owner: config.shareOwner, bindMount: true });
  const cell = new Cell({ dataDir: config.dataDir, drivers, logger: silentCellLogger, isolation: 'namespaces', convergeIntervalMs: 200 });
  await cell.start();
  cell.desire(config.appGuid, {
    name: 'doomed',
    command: config.command,
    env: {},
    instances: config.instances,
    volumeMounts: [{ driver: 'fakedriver', volumeId: 'shared-vol', mountConfig: {}, containerDir: '/data/shared', mode: 'rw' }],
  });
  const poll = setInterval(() => {
    const status = cell.status(config.appGuid);
    if (status !== undefined && status.instances.length === config.instances && status.instances.every((instance) => instance.state === 'running')) {
      clearInterval(poll);
      process.stdout.write(`${JSON.stringify({ status, mounts: drivers.mounts })}\n`);
    }
  }, 50);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
