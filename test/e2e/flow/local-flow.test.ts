import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { descendantsOf, isLivePid, waitFor } from '../../support/process';
import { appDir, hostMountsUnder, startPlatform, type Platform } from '../support';

/**
 * The mission's flow on one machine, driven through the CLI exactly as a user would:
 * register (done by `osbkit up`), create-service, push, bind-service, start; the app sees
 * its volume, a read-only binding refuses writes, unbind unmounts, delete-service removes.
 */
jest.setTimeout(240_000);

describe('local volume flow through osbkit up and the CLI', () => {
  let platform: Platform;

  beforeAll(async () => {
    platform = await startPlatform();
  });

  afterAll(async () => {
    await platform?.stop();
  });

  const volumesRoot = (): string => join(platform.home, 'volumes', 'local');
  const instanceDir = (guid: string): string | undefined => {
    const dir = readdirSync(volumesRoot()).find((d) => d.includes(guid));
    return dir ? join(volumesRoot(), dir) : undefined;
  };
  const logs = (app: string): Promise<string> => platform.ok(['logs', app, '--recent']);
  const guidOf = async (service: string): Promise<string> => (JSON.parse(await platform.ok(['--json', 'service', service])) as { guid: string }).guid;

  test('register, create, bind, write, read-only, unbind, delete', async () => {
    expect(await platform.ok(['service-brokers'])).toMatch(/local\s+http:\/\/127\.0\.0\.1:\d+/);
    expect(await platform.ok(['marketplace'])).toContain('local-volume');

    await platform.ok(['create-service', 'local-volume', 'free', 'vol']);
    const guid = await guidOf('vol');
    expect(await platform.ok(['service', 'vol'])).toMatch(/create succeeded/);
    const dir = instanceDir(guid);
    expect(dir && existsSync(dir)).toBeTruthy();

    const writer = appDir(platform, 'writer', { 'app.sh': '#!/bin/sh\necho "id=$(id -u)"\ndate > /data/hello.txt && echo WROTE\nexec sleep 3600\n' });
    await platform.ok(['push', 'writer', '--command', 'sh app.sh', '--path', writer, '--no-start']);
    await platform.ok(['bind-service', 'writer', 'vol', '-c', '{"mount":"/data"}']);
    const env = await platform.ok(['--json', 'env', 'writer']);
    const vcap = (JSON.parse(env) as { system_env_json: { VCAP_SERVICES: Record<string, Array<Record<string, unknown>>> } }).system_env_json.VCAP_SERVICES;
    expect(vcap['local-volume']?.[0]).toMatchObject({
      name: 'vol',
      instance_name: 'vol',
      label: 'local-volume',
      plan: 'free',
      volume_mounts: [{ container_dir: '/data', mode: 'rw', device_type: 'shared' }],
    });
    expect(JSON.stringify(vcap)).not.toContain('localdriver');

    await platform.ok(['start', 'writer']);
    await waitFor(async () => (await logs('writer')).includes('WROTE'), 'the app to write into its volume', 30_000);
    expect(await logs('writer')).toMatch(/id=2000/);
    expect(readFileSync(join(dir!, 'hello.txt'), 'utf8')).toMatch(/\d{4}/);

    const reader = appDir(platform, 'reader', { 'app.sh': '#!/bin/sh\ncat /data/hello.txt >/dev/null && echo READ\necho x > /data/other.txt || echo REFUSED\nexec sleep 3600\n' });
    await platform.ok(['push', 'reader', '--command', 'sh app.sh', '--path', reader, '--no-start']);
    await platform.ok(['bind-service', 'reader', 'vol', '-c', '{"mount":"/data","readonly":true}']);
    await platform.ok(['start', 'reader']);
    await waitFor(async () => (await logs('reader')).includes('REFUSED'), 'the read-only app to be refused', 30_000);
    expect(await logs('reader')).toContain('READ');
    expect(await logs('reader')).toMatch(/Read-only file system/);
    expect(existsSync(join(dir!, 'other.txt'))).toBe(false);

    const refused = await platform.cli(['delete-service', 'vol']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/bindings.*must first be deleted/i);

    await platform.ok(['unbind-service', 'reader', 'vol']);
    await platform.ok(['unbind-service', 'writer', 'vol']);
    await platform.ok(['restart', 'writer']);
    await waitFor(async () => (await logs('writer')).includes('/data/hello.txt: Directory nonexistent'), 'the restarted app to have no volume', 30_000);
    await platform.ok(['delete', 'reader']);
    await platform.ok(['delete', 'writer']);
    expect(hostMountsUnder(platform.home)).toEqual([]);

    await platform.ok(['delete-service', 'vol']);
    expect(existsSync(dir!)).toBe(false);
    expect(await platform.ok(['services'])).not.toMatch(/\bvol\b/);
  });

  test('an app that crashes is restarted', async () => {
    const crasher = appDir(platform, 'crasher', { 'app.sh': '#!/bin/sh\necho "run at $(date +%s%N)"\nexit 3\n' });
    await platform.ok(['push', 'crasher', '--command', 'sh app.sh', '--path', crasher]);
    await waitFor(async () => ((await logs('crasher')).match(/run at/g) ?? []).length >= 3, 'three runs of the crashing app', 60_000);
    const shown = JSON.parse(await platform.ok(['--json', 'app', 'crasher'])) as { processes: unknown };
    expect(JSON.stringify(shown.processes)).toMatch(/crash/i);
    await platform.ok(['delete', 'crasher']);
  });

  test('a cell that dies is restarted and leaves no stale mount or process', async () => {
    await platform.ok(['create-service', 'local-volume', 'free', 'survivor-vol']);
    const app = appDir(platform, 'survivor', { 'app.sh': '#!/bin/sh\necho "up $(date +%s%N)"\nexec sleep 3600\n' });
    await platform.ok(['push', 'survivor', '--command', 'sh app.sh', '--path', app, '--no-start']);
    await platform.ok(['bind-service', 'survivor', 'survivor-vol', '-c', '{"mount":"/data"}']);
    await platform.ok(['start', 'survivor']);
    await waitFor(async () => (await logs('survivor')).includes('up '), 'the app to run', 30_000);
    const runs = async (): Promise<number> => ((await logs('survivor')).match(/OUT up \d+/g) ?? []).length;
    // This platform's own processes only: a Quick Start app elsewhere on the machine runs sleep 3600 too.
    const cellPattern = new RegExp(`cell --port [0-9]+ --data-dir ${join(platform.home, 'cell')}`);
    const cellPids = descendantsOf(platform.upProcess.pid!, cellPattern);
    expect(cellPids).toHaveLength(1);
    const sleepersBefore = descendantsOf(cellPids[0]!, /^sleep 3600$/);
    expect(sleepersBefore.length).toBeGreaterThan(0);
    process.kill(cellPids[0]!, 'SIGKILL');

    // The supervisor restarts the cell; its start-up purge kills the orphaned instances.
    const newCell = await waitFor(() => {
      const now = descendantsOf(platform.upProcess.pid!, cellPattern);
      return now.length === 1 && now[0] !== cellPids[0] ? now[0] : undefined;
    }, 'a new cell process', 30_000);
    await waitFor(() => sleepersBefore.every((pid) => !isLivePid(pid)), 'the old instances to be gone', 30_000);
    expect(hostMountsUnder(join(platform.home, 'cell'))).toEqual([]);
    expect(platform.upLog()).toMatch(/cell stopped unexpectedly/);
    // The controller notices the new cell does not run the started app and desires it again.
    // The new cell's log buffer starts empty, so a fresh "up" line and a fresh process show the rerun.
    await waitFor(async () => (await runs()) >= 1 && descendantsOf(newCell, /^sleep 3600$/).length > 0, 'the app to run again on the new cell', 30_000);

    await platform.ok(['delete', 'survivor']);
    await platform.ok(['delete-service', 'survivor-vol']);
  });
});
