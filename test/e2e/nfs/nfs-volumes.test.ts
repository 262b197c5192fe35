import { existsSync, statSync } from 'node:fs';
import type { Server } from 'node:http';
import pino from 'pino';
import { createBroker, type BrokerApp, type ServiceBroker } from '../../../sdk';
import { localVolumeDirName } from '../../../sdk/volume';
import { makeNfsRunDir, type NfsRunDir } from '../../support/nfs-server';
import { waitFor } from '../../support/process';
import { appDir, hostMountsUnder, startPlatform, type Platform } from '../support';

/**
 * NFS volumes end to end: `osbkit up` with the NFS broker configured runs the NFS driver on
 * the cell, and apps bound through the CLI write to the shared NFS-Ganesha through their
 * mounts, as the bound uid. A broker that hands out a share outside the cell's allow-list
 * (cloudfoundry/nfs-volume-release#36) gets the app's start refused by the driver.
 */
jest.setTimeout(300_000);

describe('NFS volumes through the controller and the cell', () => {
  let run: NfsRunDir;
  let platform: Platform;
  let rogue: BrokerApp | undefined;
  let rogueServer: Server | undefined;
  const logs = (app: string): Promise<string> => platform.ok(['logs', app, '--recent']);
  const guidOf = async (service: string): Promise<string> => (JSON.parse(await platform.ok(['--json', 'service', service])) as { guid: string }).guid;

  beforeAll(async () => {
    run = await makeNfsRunDir('nfsvol-e2e');
    // Only uid 1000 may write here: an app (uid 2000) writes only through the driver's mapping.
    await run.root.mkdir(`${run.path}/shares`, { mode: 0o755 });
    await run.root.mkdir(`${run.path}/shares/team-a`, { mode: 0o770 });
    await run.root.setattr(`${run.path}/shares/team-a`, { uid: 1000, gid: 1000 });
    await run.root.mkdir(`${run.path}/managed`, { mode: 0o755 });
    await run.root.mkdir(`${run.path}/victim`, { mode: 0o777 });
    await run.root.writeFile(`${run.path}/victim/secret.txt`, 'not yours\n', { mode: 0o666 });
    platform = await startPlatform({
      env: {
        OSBKIT_NFS_ALLOWED_SHARES: `${run.server.host}${run.serverPath}/shares/*`,
        OSBKIT_NFS_MANAGED_SHARE: `nfs://${run.server.host}${run.serverPath}/managed`,
      },
    });
  });

  afterAll(async () => {
    await platform?.stop();
    // The broker's own close leaves its listening socket to whoever listened: that is this test.
    rogueServer?.closeAllConnections();
    await new Promise<void>((resolve) => (rogueServer ? rogueServer.close(() => resolve()) : resolve()));
    await rogue?.close();
    await run?.remove();
  });

  test('osbkit up runs the NFS driver with the broker\'s shares as the cell\'s allow-list', () => {
    expect(platform.upLog()).toContain(`nfsv3driver at unix://`);
    expect(platform.upLog()).toContain(`allowed shares: ${run.server.host}${run.serverPath}/shares/*,${run.server.host}${run.serverPath}/managed/**`);
  });

  test('an Existing share bound with uid and gid 1000: the app writes through its mount, the file lands on the export owned by 1000', async () => {
    await platform.ok(['create-service', 'nfs', 'Existing', 'team-a', '-c', JSON.stringify({ share: `${run.server.host}${run.serverPath}/shares/team-a` })]);
    const writer = appDir(platform, 'nfs-writer', {
      'app.sh': '#!/bin/sh\necho "id=$(id -u)"\necho from-the-app > /data/hello.txt && echo WROTE\nstat -c "owner=%u:%g" /data/hello.txt\nexec sleep 3600\n',
    });
    await platform.ok(['push', 'nfs-writer', '--command', 'sh app.sh', '--path', writer, '--no-start']);
    await platform.ok(['bind-service', 'nfs-writer', 'team-a', '-c', '{"uid":1000,"gid":1000,"mount":"/data"}']);
    await platform.ok(['start', 'nfs-writer']);
    await waitFor(async () => (await logs('nfs-writer')).includes('owner='), 'the app to write into its NFS volume', 60_000);
    const output = await logs('nfs-writer');
    expect(output).toContain('id=2000');
    expect(output).toContain('WROTE');
    // Inside the app the file is its own; on the server it is the bound uid's.
    expect(output).toContain('owner=2000:2000');
    const onServer = await run.root.stat(`${run.path}/shares/team-a/hello.txt`);
    expect({ uid: onServer.uid, gid: onServer.gid }).toEqual({ uid: 1000, gid: 1000 });
    const local = statSync(`${run.serverPath}/shares/team-a/hello.txt`);
    expect({ uid: local.uid, gid: local.gid }).toEqual({ uid: 1000, gid: 1000 });
    expect((await run.root.readFile(`${run.path}/shares/team-a/hello.txt`)).toString()).toBe('from-the-app\n');
  });

  test('a read-only binding refuses writes', async () => {
    const reader = appDir(platform, 'nfs-reader', {
      'app.sh': '#!/bin/sh\ncat /data/hello.txt && echo READ\necho x > /data/other.txt || echo REFUSED\nexec sleep 3600\n',
    });
    await platform.ok(['push', 'nfs-reader', '--command', 'sh app.sh', '--path', reader, '--no-start']);
    await platform.ok(['bind-service', 'nfs-reader', 'team-a', '-c', '{"uid":1000,"gid":1000,"mount":"/data","readonly":true}']);
    await platform.ok(['start', 'nfs-reader']);
    await waitFor(async () => (await logs('nfs-reader')).includes('REFUSED'), 'the read-only app to be refused', 60_000);
    const output = await logs('nfs-reader');
    expect(output).toContain('from-the-app');
    expect(output).toContain('READ');
    expect(output).toMatch(/Read-only file system/);
    expect(await run.root.exists(`${run.path}/shares/team-a/other.txt`)).toBe(false);

    for (const app of ['nfs-reader', 'nfs-writer']) {
      await platform.ok(['stop', app]);
      await platform.ok(['unbind-service', app, 'team-a']);
      await platform.ok(['delete', app]);
    }
    await platform.ok(['delete-service', 'team-a']);
    await waitFor(() => hostMountsUnder(`${platform.home}/drivers/nfs/mounts/`).length === 0, 'the NFS mounts to be released', 30_000);
  });

  test('the Managed plan makes its directory, an app uses it, and delete-service removes it', async () => {
    await platform.ok(['create-service', 'nfs', 'Managed', 'scratch', '-c', '{"uid":1000,"gid":1000}']);
    const dir = `${run.path}/managed/${localVolumeDirName(await guidOf('scratch'))}`;
    const made = await run.root.stat(dir);
    expect({ uid: made.uid, gid: made.gid, mode: made.mode & 0o7777 }).toEqual({ uid: 1000, gid: 1000, mode: 0o770 });

    const app = appDir(platform, 'nfs-scratch', { 'app.sh': '#!/bin/sh\necho scratch > /scratch/note.txt && echo NOTED\nexec sleep 3600\n' });
    await platform.ok(['push', 'nfs-scratch', '--command', 'sh app.sh', '--path', app, '--no-start']);
    await platform.ok(['bind-service', 'nfs-scratch', 'scratch', '-c', '{"mount":"/scratch"}']);
    await platform.ok(['start', 'nfs-scratch']);
    await waitFor(async () => (await logs('nfs-scratch')).includes('NOTED'), 'the app to write into its Managed volume', 60_000);
    const note = await run.root.stat(`${dir}/note.txt`);
    expect({ uid: note.uid, gid: note.gid }).toEqual({ uid: 1000, gid: 1000 });

    await platform.ok(['stop', 'nfs-scratch']);
    await platform.ok(['unbind-service', 'nfs-scratch', 'scratch']);
    await platform.ok(['delete', 'nfs-scratch']);
    await platform.ok(['delete-service', 'scratch']);
    expect(await run.root.exists(dir)).toBe(false);
    expect(existsSync(`${run.serverPath}/managed/${localVolumeDirName('x')}`)).toBe(false);
  });

  test('a rogue broker\'s volume_mounts for a share outside the cell\'s list: the app does not start, and its logs say why', async () => {
    const victimSource = `nfs://${run.server.host}${run.serverPath}/victim`;
    const broker: ServiceBroker = {
      async provision() {
        return {};
      },
      async deprovision() {},
      async bind(request) {
        return {
          credentials: {},
          volume_mounts: [
            {
              driver: 'nfsv3driver',
              container_dir: '/victim',
              mode: 'rw',
              device_type: 'shared',
              device: { volume_id: `rogue-${request.bindingId}`, mount_config: { source: victimSource, uid: '1000', gid: '1000' } },
            },
          ],
        };
      },
      async unbind() {},
    };
    const catalog = {
      services: [{ id: 'rogue-nfs-0001', name: 'rogue-nfs', description: 'hands out someone else\'s share', bindable: true, requires: ['volume_mount'], plans: [{ id: 'rogue-plan-0001', name: 'any', description: 'any' }] }],
    };
    rogue = createBroker({ catalog, broker, auth: { username: 'rogue', password: 'rogue-password' }, logger: pino({ level: 'silent' }) });
    const listening = await rogue.listen(0);
    rogueServer = listening.server;
    await platform.ok(['create-service-broker', 'rogue', 'rogue', 'rogue-password', listening.url]);
    await platform.ok(['enable-service-access', 'rogue-nfs']);
    await platform.ok(['create-service', 'rogue-nfs', 'any', 'stolen']);
    const app = appDir(platform, 'nfs-thief', { 'app.sh': '#!/bin/sh\ncat /victim/secret.txt && echo STOLEN\nexec sleep 3600\n' });
    await platform.ok(['push', 'nfs-thief', '--command', 'sh app.sh', '--path', app, '--no-start']);
    await platform.ok(['bind-service', 'nfs-thief', 'stolen']);
    await platform.cli(['start', 'nfs-thief']);
    await waitFor(async () => (await logs('nfs-thief')).includes('is not allowed on this cell'), 'the driver\'s refusal in the app\'s logs', 60_000);
    const output = await logs('nfs-thief');
    expect(output).toContain(`The NFS share ${run.server.host}${run.serverPath}/victim is not allowed on this cell`);
    expect(output).not.toContain('STOLEN');
    expect(output).not.toContain('not yours');
    expect(hostMountsUnder(`${platform.home}/drivers/nfs/mounts/`)).toEqual([]);

    await platform.ok(['stop', 'nfs-thief']);
    await platform.ok(['unbind-service', 'nfs-thief', 'stolen']);
    await platform.ok(['delete', 'nfs-thief']);
    await platform.ok(['delete-service', 'stolen']);
  });
});
