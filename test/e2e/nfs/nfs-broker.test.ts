import { localVolumeDirName } from '../../../sdk/volume';
import { makeNfsRunDir, type NfsRunDir } from '../../support/nfs-server';
import { appDir, startPlatform, type Platform } from '../support';

/**
 * The NFS broker as `osbkit up` runs it when OSBKIT_NFS_ALLOWED_SHARES and
 * OSBKIT_NFS_MANAGED_SHARE are set: registered, in the marketplace, and driven through the
 * CLI against the shared NFS-Ganesha. The controller accepts its volume_mounts. Apps are not
 * started here: nfs-volumes.test.ts runs apps on the cell with the NFS volume driver.
 */
jest.setTimeout(240_000);

describe('the NFS broker through osbkit up and the CLI', () => {
  let run: NfsRunDir;
  let platform: Platform;
  const guidOf = async (service: string): Promise<string> => (JSON.parse(await platform.ok(['--json', 'service', service])) as { guid: string }).guid;

  beforeAll(async () => {
    run = await makeNfsRunDir('nfsbroker-e2e');
    await run.root.mkdir(`${run.path}/shares/team-a`, { recursive: true, mode: 0o777 });
    await run.root.mkdir(`${run.path}/managed`);
    platform = await startPlatform({
      env: {
        OSBKIT_NFS_ALLOWED_SHARES: `${run.server.host}${run.serverPath}/shares/*`,
        OSBKIT_NFS_MANAGED_SHARE: `nfs://${run.server.host}${run.serverPath}/managed`,
      },
    });
  });

  afterAll(async () => {
    await platform?.stop();
    await run?.remove();
  });

  test('registered and offered; create, bind, unbind and delete both plans', async () => {
    expect(await platform.ok(['service-brokers'])).toMatch(/nfs\s+http:\/\/127\.0\.0\.1:\d+/);
    const offering = await platform.ok(['marketplace', '-e', 'nfs']);
    expect(offering).toContain('Existing');
    expect(offering).toContain('Managed');

    const share = `${run.server.host}${run.serverPath}/shares/team-a`;
    await platform.ok(['create-service', 'nfs', 'Existing', 'team-a', '-c', JSON.stringify({ share })]);
    const refused = await platform.cli(['create-service', 'nfs', 'Existing', 'elsewhere', '-c', JSON.stringify({ share: `${run.server.host}${run.serverPath}/managed` })]);
    expect(refused.status).not.toBe(0);
    expect(`${refused.stdout}${refused.stderr}`).toContain('is not allowed');
    const colon = await platform.cli(['create-service', 'nfs', 'Existing', 'colon', '-c', JSON.stringify({ share: `${run.server.host}:${run.serverPath}` })]);
    expect(colon.status).not.toBe(0);
    expect(`${colon.stdout}${colon.stderr}`).toContain('no colon allowed after the server');

    await platform.ok(['create-service', 'nfs', 'Managed', 'scratch', '-c', '{"uid":1000,"gid":1000}']);
    const dir = `${run.path}/managed/${localVolumeDirName(await guidOf('scratch'))}`;
    const made = await run.root.stat(dir);
    expect({ uid: made.uid, gid: made.gid, mode: made.mode & 0o7777 }).toEqual({ uid: 1000, gid: 1000, mode: 0o770 });

    const app = appDir(platform, 'nfs-app', { 'app.sh': '#!/bin/sh\nexec sleep 3600\n' });
    await platform.ok(['push', 'nfs-app', '--command', 'sh app.sh', '--path', app, '--no-start']);
    await platform.ok(['bind-service', 'nfs-app', 'team-a', '-c', '{"uid":1000,"gid":1000,"mount":"/data","readonly":true}']);
    await platform.ok(['bind-service', 'nfs-app', 'scratch', '-c', '{"mount":"/scratch"}']);
    const env = JSON.parse(await platform.ok(['--json', 'env', 'nfs-app'])) as { system_env_json: { VCAP_SERVICES: Record<string, Array<Record<string, unknown>>> } };
    const bindings = env.system_env_json.VCAP_SERVICES.nfs ?? [];
    expect(bindings.map((binding) => binding.volume_mounts).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual([
      [{ container_dir: '/data', mode: 'r', device_type: 'shared' }],
      [{ container_dir: '/scratch', mode: 'rw', device_type: 'shared' }],
    ]);
    // The app sees where its volumes go, never the driver's options.
    expect(JSON.stringify(env)).not.toContain('nfsv3driver');

    await platform.ok(['unbind-service', 'nfs-app', 'team-a']);
    await platform.ok(['unbind-service', 'nfs-app', 'scratch']);
    await platform.ok(['delete', 'nfs-app']);
    await platform.ok(['delete-service', 'scratch']);
    expect(await run.root.exists(dir)).toBe(false);
    await platform.ok(['delete-service', 'team-a']);
    expect(await run.root.exists(`${run.path}/shares/team-a`)).toBe(true);
  });
});
