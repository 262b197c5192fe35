import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VolumeDriverClient } from '../../../sdk/volume/protocol/client';
import { VolumeDriverError } from '../../../sdk/volume/protocol/errors';
import { makeNfsRunDir, type NfsRunDir } from '../../support/nfs-server';
import { startNfsProxy, type NfsProxy } from '../../support/nfs-proxy';
import { startNode, waitFor, type RunningProcess } from '../../support/process';

/**
 * The NFS volume driver as `osbkit driver nfs` runs it, against the shared NFS-Ganesha: FUSE
 * mounts with uid/gid mapping, read-only, the cell's allow-list, one mount per container,
 * servers that go away, and the clean-up after a crash.
 */

jest.setTimeout(120_000);

const APP_UID = 2000;
let run: NfsRunDir;
let work: string;

interface Driver {
  process: RunningProcess;
  client: VolumeDriverClient;
  stateFile: string;
  mountRoot: string;
}

const drivers: Driver[] = [];

/** A directory the app user can pass through (mkdtemp makes them 0700), as the cell's app user must reach host paths without isolation. */
function openDir(prefix: string): string {
  const dir = mkdtempSync(prefix);
  chmodSync(dir, 0o755);
  return dir;
}

async function startDriver(extra: string[] = [], dir = openDir(join(work, 'driver-'))): Promise<Driver> {
  const socket = join(dir, 'nfs.sock');
  const stateFile = join(dir, 'state.json');
  const mountRoot = join(dir, 'mounts');
  const driverProcess = startNode('bin/osbkit', [
    'driver', 'nfs', '--allowed-shares', `127.0.0.1${run.serverPath}/allowed/**`, '--mount-root', mountRoot, '--state', stateFile,
    '--listen', `unix://${socket}`, '--spec-dir', join(dir, 'specs'), '--op-timeout', '2', '--mount-timeout', '4', ...extra,
  ], { OSBKIT_HOME: dir, OSBKIT_LOG_LEVEL: 'debug' });
  const client = new VolumeDriverClient({ address: `unix://${socket}`, timeoutMs: 30_000 });
  await waitFor(async () => (driverProcess.child.exitCode === null ? (await client.activate()).includes('VolumeDriver') : Promise.reject(new Error(driverProcess.output()))), 'the NFS driver to listen');
  const driver = { process: driverProcess, client, stateFile, mountRoot };
  drivers.push(driver);
  return driver;
}

async function stopDriver(driver: Driver, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (driver.process.child.exitCode !== null || driver.process.child.signalCode !== null) return;
  driver.process.child.kill(signal);
  await driver.process.exited;
}

/** Runs a shell command as the app's user, as a container's process would be. */
function asApp(script: string, timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('setpriv', [`--reuid=${APP_UID}`, `--regid=${APP_UID}`, '--clear-groups', 'sh', '-c', script], { timeout: timeoutMs }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

function mountTable(): string {
  return readFileSync('/proc/self/mountinfo', 'utf8');
}

function mountProcesses(mountpoint: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.includes('osbkit-nfs-mount') && argv.includes(mountpoint)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

const source = (relative: string): string => `nfs://127.0.0.1${run.serverPath}/${relative}`;

beforeAll(async () => {
  run = await makeNfsRunDir('nfsdriver');
  await run.root.mkdir(`${run.path}/allowed`, { mode: 0o755 });
  await run.root.mkdir(`${run.path}/allowed/rw`, { mode: 0o770 });
  await run.root.setattr(`${run.path}/allowed/rw`, { uid: 1000, gid: 1000, mode: 0o770 });
  await run.root.mkdir(`${run.path}/outside`, { mode: 0o777 });
  await run.root.writeFile(`${run.path}/allowed/rw/hello.txt`, 'hello from the export\n', { mode: 0o644 });
  await run.root.setattr(`${run.path}/allowed/rw/hello.txt`, { uid: 1000, gid: 1000 });
  work = openDir(join(tmpdir(), 'osbkit-nfsdrv-'));
});

afterAll(async () => {
  for (const driver of drivers) await stopDriver(driver);
  rmSync(work, { recursive: true, force: true });
  await run.remove();
});

describe('osbkit driver nfs', () => {
  let driver: Driver;
  beforeAll(async () => {
    driver = await startDriver();
  });

  it('mounts a share per container where the app user writes as the bound uid: files show as the app\'s, the server has them as 1000', async () => {
    await driver.client.create('vol-rw', { source: source('allowed/rw'), uid: '1000', gid: '1000', auto_cache: 'true' });
    const mountpoint = await driver.client.mount('vol-rw', 'app-1-0');
    expect(mountTable()).toContain(` ${mountpoint} `);
    const listing = await asApp(`cat ${mountpoint}/hello.txt && echo written > ${mountpoint}/by-app.txt && mkdir ${mountpoint}/dir && stat -c '%u:%g' ${mountpoint}/by-app.txt ${mountpoint}/hello.txt`);
    expect(listing).toMatchObject({ code: 0, stderr: '' });
    expect(listing.stdout).toBe(`hello from the export\n${APP_UID}:${APP_UID}\n${APP_UID}:${APP_UID}\n`);
    const onServer = await run.root.stat(`${run.path}/allowed/rw/by-app.txt`);
    expect({ uid: onServer.uid, gid: onServer.gid }).toEqual({ uid: 1000, gid: 1000 });
    const local = statSync(`${run.serverPath}/allowed/rw/dir`);
    expect({ uid: local.uid, gid: local.gid }).toEqual({ uid: 1000, gid: 1000 });
    expect((await run.root.readFile(`${run.path}/allowed/rw/by-app.txt`)).toString()).toBe('written\n');

    await driver.client.unmount('vol-rw', 'app-1-0');
    expect(mountTable()).not.toContain(` ${mountpoint} `);
    expect(existsSync(mountpoint)).toBe(false);
    await waitFor(() => mountProcesses(mountpoint).length === 0, 'the mount process to end');
  });

  it('gives each container its own mount, and counts mounts made without a container id', async () => {
    await driver.client.create('vol-many', { source: source('allowed/rw'), uid: '1000', gid: '1000' });
    const first = await driver.client.mount('vol-many', 'app-2-0');
    const second = await driver.client.mount('vol-many', 'app-2-1');
    expect(second).not.toBe(first);
    expect(await driver.client.mount('vol-many', 'app-2-0')).toBe(first);
    await driver.client.unmount('vol-many', 'app-2-0');
    expect(mountTable()).not.toContain(` ${first} `);
    expect(await asApp(`cat ${second}/hello.txt`)).toMatchObject({ code: 0, stdout: 'hello from the export\n' });

    const shared = await driver.client.mount('vol-many');
    expect(await driver.client.mount('vol-many')).toBe(shared);
    expect((await driver.client.get('vol-many')).mountCount).toBe(3);
    await driver.client.unmount('vol-many');
    expect(mountTable()).toContain(` ${shared} `);
    await driver.client.unmount('vol-many');
    expect(mountTable()).not.toContain(` ${shared} `);
    await driver.client.unmount('vol-many', 'app-2-1');
    expect((await driver.client.get('vol-many')).mountCount).toBe(0);
  });

  it('refuses every write on a read-only volume with EROFS, and still reads', async () => {
    await driver.client.create('vol-ro', { source: source('allowed/rw'), uid: '1000', gid: '1000', readonly: 'true' });
    const mountpoint = await driver.client.mount('vol-ro', 'app-3-0');
    try {
      expect(await asApp(`cat ${mountpoint}/hello.txt`)).toMatchObject({ code: 0, stdout: 'hello from the export\n' });
      for (const attempt of [`echo x > ${mountpoint}/new.txt`, `echo x >> ${mountpoint}/hello.txt`, `mkdir ${mountpoint}/d2`, `rm ${mountpoint}/hello.txt`, `touch ${mountpoint}/hello.txt`]) {
        const result = await asApp(attempt);
        expect(result.code).not.toBe(0);
        expect(result.stderr).toContain('Read-only file system');
      }
      expect((await run.root.readFile(`${run.path}/allowed/rw/hello.txt`)).toString()).toBe('hello from the export\n');
    } finally {
      await driver.client.unmount('vol-ro', 'app-3-0');
    }
  });

  it('refuses a share outside the cell\'s allow-list with a reason the app may see, and mounts nothing', async () => {
    const refusal = await driver.client.create('vol-outside', { source: source('outside'), uid: '1000', gid: '1000' }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(VolumeDriverError);
    expect((refusal as VolumeDriverError).safeDescription).toBe(
      `The NFS share 127.0.0.1${run.serverPath}/outside is not allowed on this cell: its NFS driver mounts only the shares the operator allows (--allowed-shares), whichever broker hands them out.`,
    );
    await expect(driver.client.mount('vol-outside', 'app-4-0')).rejects.toThrow('must be created before being mounted');
    expect(mountTable()).not.toContain(`${driver.mountRoot}/`);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['uid 0', { uid: '0', gid: '0' }, 'uid must be a whole number from 1'],
    ['a uid without a gid', { uid: '1000' }, 'uid and gid go together: gid is missing'],
    ['an option outside the allow-list', { uid: '1000', gid: '1000', nolock: 'true' }, 'not allowed options: nolock'],
    ['LDAP credentials', { username: 'u', password: 'p' }, 'LDAP user names (username, password) are not supported'],
    ['NFSv4', { version: '4.1' }, 'version 4.1: this driver mounts NFS version 3 only'],
  ])('refuses %s with a safe error naming it', async (_label, extra, expected) => {
    const refusal = await driver.client.create('vol-bad', { source: source('allowed/rw'), ...extra }).catch((error: unknown) => error);
    expect((refusal as VolumeDriverError).safeDescription).toContain(expected);
  });
});

describe('a server that goes away', () => {
  let proxy: NfsProxy;
  let driver: Driver;
  beforeAll(async () => {
    proxy = await startNfsProxy(run.server);
    driver = await startDriver(['--portmap-port', String(proxy.portmapPort)]);
  });
  afterAll(async () => {
    await stopDriver(driver);
    await proxy.close();
  });

  it('answers EIO within the operation bound while mounted, and unmounts anyway', async () => {
    proxy.setMode('forward');
    await driver.client.create('vol-gone', { source: source('allowed/rw'), uid: '1000', gid: '1000' });
    const mountpoint = await driver.client.mount('vol-gone', 'app-5-0');
    expect(await asApp(`cat ${mountpoint}/hello.txt`)).toMatchObject({ code: 0 });

    proxy.setMode('silent');
    const started = Date.now();
    const hung = await asApp(`cat ${mountpoint}/hello.txt; ls ${mountpoint}/nothing-cached-here`, 60_000);
    expect(hung.code).not.toBe(0);
    expect(hung.stderr).toMatch(/Input\/output error/);
    // Generous: the operation bound is 2 s, so nothing may wait for a minute.
    expect(Date.now() - started).toBeLessThan(45_000);

    await driver.client.unmount('vol-gone', 'app-5-0');
    expect(mountTable()).not.toContain(` ${mountpoint} `);
    await waitFor(() => mountProcesses(mountpoint).length === 0, 'the mount process to end');
  });

  it('fails a mount on a server that does not answer, within the bounds and clearly, and leaves nothing', async () => {
    proxy.setMode('silent');
    await driver.client.create('vol-silent', { source: source('allowed/rw'), uid: '1000', gid: '1000' });
    const refusal = (await driver.client.mount('vol-silent', 'app-6-0').catch((error: unknown) => error)) as VolumeDriverError;
    // Its first call (the portmapper's) gives up after the operation bound, before the mount's own 4 s.
    expect(refusal.safeDescription).toBe(`cannot mount the NFS share 127.0.0.1${run.serverPath}/allowed/rw: the server gave no answer within 2 s`);
    expect(mountTable()).not.toContain(`${driver.mountRoot}/`);
    expect((await driver.client.get('vol-silent')).mountCount).toBe(0);
  });

  it('fails a mount on a server that refuses connections with that reason', async () => {
    proxy.setMode('refuse');
    const refusal = (await driver.client.mount('vol-silent', 'app-7-0').catch((error: unknown) => error)) as VolumeDriverError;
    expect(refusal.safeDescription).toMatch(new RegExp(`^cannot mount the NFS share 127\\.0\\.0\\.1${run.serverPath.replace(/\//g, '\\/')}/allowed/rw: the server (refused the connection|reset the connection|cannot be reached)`));
    expect(mountTable()).not.toContain(`${driver.mountRoot}/`);
  });
});

describe('after a crash', () => {
  it('adopts mounts whose processes still serve when only the driver was killed', async () => {
    const dir = openDir(join(work, 'crash-'));
    const first = await startDriver([], dir);
    await first.client.create('vol-adopt', { source: source('allowed/rw'), uid: '1000', gid: '1000' });
    const mountpoint = await first.client.mount('vol-adopt', 'app-8-0');
    await stopDriver(first, 'SIGKILL');

    const second = await startDriver([], dir);
    expect(mountTable()).toContain(` ${mountpoint} `);
    expect(await asApp(`cat ${mountpoint}/hello.txt`)).toMatchObject({ code: 0, stdout: 'hello from the export\n' });
    await second.client.unmount('vol-adopt', 'app-8-0');
    expect(mountTable()).not.toContain(` ${mountpoint} `);
    await waitFor(() => mountProcesses(mountpoint).length === 0, 'the mount process to end');
    await stopDriver(second);
  });

  it('cleans up stale mounts (driver and mount process killed) at the next start', async () => {
    const dir = openDir(join(work, 'crash-'));
    const first = await startDriver([], dir);
    await first.client.create('vol-stale', { source: source('allowed/rw'), uid: '1000', gid: '1000' });
    const mountpoint = await first.client.mount('vol-stale', 'app-9-0');
    await stopDriver(first, 'SIGKILL');
    for (const pid of mountProcesses(mountpoint)) process.kill(pid, 'SIGKILL');
    await waitFor(() => mountProcesses(mountpoint).length === 0, 'the mount process to die');
    // The kernel still lists the mount; using it fails (ENOTCONN) until someone detaches it.
    expect(mountTable()).toContain(` ${mountpoint} `);

    const second = await startDriver([], dir);
    expect(mountTable()).not.toContain(` ${mountpoint} `);
    expect(existsSync(mountpoint)).toBe(false);
    expect((await second.client.get('vol-stale')).mountCount).toBe(0);
    // The cell's purge after a restart asks to release what it recorded: that is not an error.
    await second.client.unmount('vol-stale', 'app-9-0');
    await stopDriver(second);
  });
});

