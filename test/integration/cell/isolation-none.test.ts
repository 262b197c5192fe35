import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cell, DEFAULT_APP_GID, DEFAULT_APP_UID } from '../../../platform/cell/cell';
import type { LogLine } from '../../../platform/cell/types';
import { CaptureLogger } from './helpers/capture-logger';
import { FakeVolumeDrivers } from './helpers/fake-drivers';
import { eventually, forceCleanup, isLive, livePidsMatching } from './helpers/host';

jest.setTimeout(60_000);

const runsAsRoot = process.getuid?.() === 0;

function outLines(lines: readonly LogLine[]): string[] {
  return lines.filter((line) => line.source === 'OUT').map((line) => line.message);
}

describe('cell without isolation', () => {
  const marker = `osbkit-none-test-${randomBytes(4).toString('hex')}`;
  const appGuid = 'plain-app';
  let root: string;
  let appDir: string;
  let drivers: FakeVolumeDrivers;
  let logger: CaptureLogger;
  let cell: Cell;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'osbkit-cell-none-'));
    chmodSync(root, 0o755);
    appDir = join(root, 'app-source');
    mkdirSync(appDir);
    writeFileSync(join(appDir, 'hello.txt'), 'original\n');
    chmodSync(appDir, 0o755);
    drivers = new FakeVolumeDrivers(join(root, 'drivers'), runsAsRoot ? { owner: { uid: DEFAULT_APP_UID, gid: DEFAULT_APP_GID } } : {});
    logger = new CaptureLogger();
    cell = new Cell({ dataDir: join(root, 'cell'), drivers, logger, isolation: 'none', convergeIntervalMs: 200, stopGraceMs: 2_000 });
    await cell.start();
  });

  afterAll(async () => {
    await cell?.shutdown();
    forceCleanup(root, marker);
  });

  it('warns loudly at start that there is no isolation', () => {
    expect(cell.isolationMode).toBe('none');
    expect(logger.messages('warn').some((message) => message.startsWith('NO ISOLATION'))).toBe(true);
  });

  it('runs the command with sh -c, giving the app the host paths of its volumes', async () => {
    cell.desire(appGuid, {
      name: 'plain',
      command: [
        `: ${marker}`,
        'echo "uid=$(id -u)"',
        'echo "index=$INSTANCE_INDEX"',
        'echo "volumes=$OSBKIT_VOLUME_PATHS"',
        'target=$(node -e "process.stdout.write(JSON.parse(process.env.OSBKIT_VOLUME_PATHS)[\\"/data/vol\\"])")',
        'echo hello > "$target/from-plain-app.txt" && echo "write=ok"',
        'echo changed >> hello.txt && echo "app-write=ok"',
        'echo ready',
        'while true; do sleep 1; done',
      ].join('\n'),
      env: { PATH: `${process.env.PATH ?? ''}` },
      instances: 1,
      appDir,
      volumeMounts: [{ driver: 'fakedriver', volumeId: 'plain-vol', mountConfig: {}, containerDir: '/data/vol', mode: 'rw' }],
    });
    const out = await eventually('the app to report', () => {
      const lines = outLines(cell.logs(appGuid)?.recent ?? []);
      return lines.includes('ready') ? lines : undefined;
    });
    const share = drivers.sharePath('plain-vol');
    expect(out).toContain(`volumes=${JSON.stringify({ '/data/vol': share })}`);
    expect(out).toContain('write=ok');
    expect(out).toContain('app-write=ok');
    expect(out).toContain('index=0');
    expect(readFileSync(join(share, 'from-plain-app.txt'), 'utf8')).toBe('hello\n');
    expect(readFileSync(join(appDir, 'hello.txt'), 'utf8')).toBe('original\n');
    if (runsAsRoot) {
      // A root cell still drops the app to the unprivileged app user.
      expect(out).toContain(`uid=${DEFAULT_APP_UID}`);
      expect(statSync(join(share, 'from-plain-app.txt')).uid).toBe(DEFAULT_APP_UID);
    }
  });

  it('notes the missing isolation and the host paths in the app log and the cell log', () => {
    const notes = (cell.logs(appGuid)?.recent ?? []).filter((line) => line.source === 'CELL').map((line) => line.message);
    expect(notes.some((note) => note.startsWith('WARNING NO ISOLATION') && note.includes(drivers.sharePath('plain-vol')))).toBe(true);
    const warning = logger.entries.find((entry) => entry.level === 'warn' && 'volumePaths' in entry.fields);
    expect(warning?.fields).toMatchObject({ containerId: `${appGuid}-0`, volumePaths: { '/data/vol': drivers.sharePath('plain-vol') } });
  });

  it('stops the whole process group and releases the volume', async () => {
    const pid = cell.status(appGuid)?.instances[0]?.pid;
    expect(typeof pid).toBe('number');
    await cell.stop(appGuid);
    await eventually('the app processes to be gone', () => (livePidsMatching(marker).length === 0 && !isLive(pid as number) ? true : undefined));
    expect(drivers.active()).toEqual([]);
    expect(drivers.unmounts).toEqual([{ driver: 'fakedriver', volumeId: 'plain-vol', containerId: `${appGuid}-0` }]);
  });
});
