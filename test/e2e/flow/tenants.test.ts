import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../../support/process';
import { appDir, hostMountsUnder, startPlatform, type Platform } from '../support';

/**
 * Two tenants on one platform, through `osbkit up` and the CLI: a space developer of another
 * space sees nothing of the first tenant's volume binding, and an app (any local process)
 * that calls the controller or the cell directly, without credentials, gets nothing.
 */
jest.setTimeout(240_000);

type Body = Record<string, unknown>;

/** Probes the controller and the cell from inside an app, as an attacker would with curl. */
const PROBE = `
const { CONTROLLER, BINDING, CELL, DRIVER, VOLUME } = process.env;
const probe = async (label, url, init) => {
  try {
    const response = await fetch(url, init);
    const body = (await response.text()).replace(/\\s+/g, ' ').slice(0, 300);
    console.log(label + '=' + response.status + ' ' + body);
  } catch (error) {
    console.log(label + '=unreachable ' + ((error.cause && error.cause.code) || error.message));
  }
};
(async () => {
  await probe('controller', CONTROLLER + '/v3/service_credential_bindings/' + BINDING + '/details');
  const lrp = { name: 'stolen', command: 'sleep 600', env: {}, instances: 1, volumeMounts: [{ driver: DRIVER, volumeId: VOLUME, mountConfig: {}, containerDir: '/data', mode: 'rw' }] };
  await probe('cell', CELL + '/v1/apps/stolen-volume-app', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(lrp) });
  console.log('PROBES DONE');
  setInterval(() => undefined, 1 << 30);
})();
`;

describe('tenants through osbkit up and the CLI', () => {
  let platform: Platform;
  let malloryHome: string;

  beforeAll(async () => {
    platform = await startPlatform();
    malloryHome = join(platform.work, 'mallory-home');
    mkdirSync(malloryHome, { mode: 0o700 });
  });

  afterAll(async () => {
    await platform?.stop();
  });

  const asMallory = (args: string[]) => platform.cli(args, { OSBKIT_HOME: malloryHome });
  const adminToken = (): string => (JSON.parse(readFileSync(join(platform.home, 'config.json'), 'utf8')) as { accessToken: string }).accessToken;
  const asAdmin = async (path: string): Promise<Body> => {
    const response = await fetch(`${platform.api}${path}`, { headers: { authorization: `Bearer ${adminToken()}` } });
    expect(response.status).toBe(200);
    return (await response.json()) as Body;
  };

  test('the CLI is logged in with a 0600 file; logout removes it and says so', async () => {
    expect(statSync(join(platform.home, 'config.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(platform.home, 'admin-password')).mode & 0o777).toBe(0o600);
    expect(statSync(join(platform.home, 'cell-api-secret')).mode & 0o777).toBe(0o600);
    expect(platform.upLog()).not.toContain(readFileSync(join(platform.home, 'admin-password'), 'utf8').trim());
    expect(await platform.ok(['target'])).toMatch(/user:\s+admin[\s\S]*space:\s+dev/);

    const strangerHome = join(platform.work, 'stranger-home');
    mkdirSync(strangerHome, { mode: 0o700 });
    const stranger = await platform.cli(['services'], { OSBKIT_HOME: strangerHome });
    expect(stranger.status).toBe(1);
    expect(stranger.stderr).toContain("Not logged in. Use 'osbkit login' to log in.");
    const wrong = await platform.cli(['login', '-u', 'admin', '-p', 'not-the-password'], { OSBKIT_HOME: strangerHome });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('Credentials were rejected');
    await platform.ok(['logout']);
    expect((await platform.cli(['marketplace'])).stderr).toContain("Not logged in. Use 'osbkit login' to log in.");
    await platform.ok(['login', '-u', 'admin', '--password-file', join(platform.home, 'admin-password')]);
  });

  test('a space developer of another space cannot see the volume binding; an app calling the controller and the cell without credentials gets nothing', async () => {
    // Tenant A (the admin, in space dev): a volume bound to an app.
    await platform.ok(['create-service', 'local-volume', 'free', 'vol-a']);
    const victim = appDir(platform, 'victim', { 'app.sh': '#!/bin/sh\nexec sleep 3600\n' });
    await platform.ok(['push', 'victim', '--command', 'sh app.sh', '--path', victim, '--no-start']);
    await platform.ok(['bind-service', 'victim', 'vol-a', '-c', '{"mount":"/data"}']);
    const victimGuid = (JSON.parse(await platform.ok(['--json', 'apps'])) as Body[]).find((a) => a.name === 'victim')!.guid as string;
    const binding = ((await asAdmin(`/v3/service_credential_bindings?app_guids=${victimGuid}`)).resources as Body[])[0]!;
    const details = await asAdmin(`/v3/service_credential_bindings/${String(binding.guid)}/details`);
    const mount = (details.volume_mounts as Array<{ driver: string; device: { volume_id: string } }>)[0]!;

    // Tenant B: mallory, a developer of space other.
    await platform.ok(['create-space', 'other']);
    await platform.ok(['create-user', 'mallory', 'mallory-password-1']);
    await platform.ok(['set-space-role', 'mallory', 'osbkit-org', 'other', 'SpaceDeveloper']);
    const login = await asMallory(['login', '-u', 'mallory', '-p', 'mallory-password-1']);
    expect(login.status).toBe(0);
    expect(login.stdout).toMatch(/space:\s+other/);
    expect((await asMallory(['env', 'victim'])).stderr).toContain("App 'victim' not found.");
    expect((await asMallory(['service', 'vol-a'])).stderr).toContain("Service instance 'vol-a' not found.");
    expect((await asMallory(['create-service-broker', 'mine', 'u', 'p', 'http://127.0.0.1:1'])).stderr).toContain('You are not authorized');
    const malloryToken = (JSON.parse(readFileSync(join(malloryHome, 'config.json'), 'utf8')) as { accessToken: string }).accessToken;
    const stolen = await fetch(`${platform.api}/v3/service_credential_bindings/${String(binding.guid)}/details`, { headers: { authorization: `Bearer ${malloryToken}` } });
    expect(stolen.status).toBe(404);
    expect(await stolen.text()).not.toContain(mount.device.volume_id);

    // Mallory's app probes the controller and the cell with no credentials at all.
    const cellUrl = /cell\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(platform.upLog())![1]!;
    const attacker = appDir(platform, 'attacker', { 'probe.js': PROBE });
    const push = await asMallory([
      'push', 'attacker', '--command', 'node probe.js', '--path', attacker,
      '--env', `CONTROLLER=${platform.api}`, '--env', `BINDING=${String(binding.guid)}`, '--env', `CELL=${cellUrl}`,
      '--env', `DRIVER=${mount.driver}`, '--env', `VOLUME=${mount.device.volume_id}`,
    ]);
    expect(push.status).toBe(0);
    const logs = async (): Promise<string> => (await asMallory(['logs', 'attacker', '--recent'])).stdout;
    await waitFor(async () => (await logs()).includes('PROBES DONE'), 'the probes to finish', 60_000);
    const output = await logs();
    // A 401, or no route at all when the app's network cannot reach the host's loopback.
    expect(output).toMatch(/controller=(401 .*CF-NotAuthenticated|unreachable )/);
    expect(output).toMatch(/cell=(401 .*Unauthorized|unreachable )/);
    expect(output).not.toContain(mount.device.volume_id);
    expect(hostMountsUnder(join(platform.home, 'cell')).filter((point) => point.includes('stolen-volume-app'))).toEqual([]);
    // The same calls from a local process outside any app: 401 from both.
    const lrp = { name: 'stolen', command: 'sleep 600', env: {}, instances: 1, volumeMounts: [{ driver: mount.driver, volumeId: mount.device.volume_id, mountConfig: {}, containerDir: '/data', mode: 'rw' }] };
    const local = await fetch(`${cellUrl}/v1/apps/stolen-volume-app`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(lrp) });
    expect(local.status).toBe(401);
    expect((await fetch(`${platform.api}/v3/service_credential_bindings/${String(binding.guid)}/details`)).status).toBe(401);
    const secret = readFileSync(join(platform.home, 'cell-api-secret'), 'utf8').trim();
    const unknown = await fetch(`${cellUrl}/v1/apps/stolen-volume-app`, { headers: { authorization: `Bearer ${secret}` } });
    expect(unknown.status).toBe(404);

    expect((await asMallory(['delete', 'attacker'])).status).toBe(0);
    await platform.ok(['unbind-service', 'victim', 'vol-a']);
    await platform.ok(['delete', 'victim']);
    await platform.ok(['delete-service', 'vol-a']);
  });
});
