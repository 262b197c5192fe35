import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../../support/process';
import { appDir, startPlatform, type Platform } from '../support';

/**
 * osbkit push through `osbkit up` and the CLI, as cf push: the app's directory is packed and
 * uploaded (.cfignore and .git left out), the app runs exactly those files, a second push
 * replaces them, and another space's developer can neither name a host directory nor reach
 * the bits the first tenant uploaded.
 */
jest.setTimeout(240_000);

type Body = Record<string, unknown>;

const SHOW_FILES = [
  '#!/bin/sh',
  'echo "version=$(cat data/version.txt)"',
  'for f in .git debug.log .cfignore; do [ -e "$f" ] && echo "present=$f"; done',
  'echo "owner=$(stat -c %u app.sh)"',
  'echo FILES-SHOWN',
  'exec sleep 3600',
  '',
].join('\n');

describe('osbkit push uploads the app\'s files', () => {
  let platform: Platform;

  beforeAll(async () => {
    platform = await startPlatform();
  });

  afterAll(async () => {
    await platform?.stop();
  });

  const logs = (app: string, env: Record<string, string> = {}): Promise<string> => platform.cli(['logs', app, '--recent'], env).then((r) => r.stdout);
  const token = (home: string): string => (JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')) as { accessToken: string }).accessToken;
  const asUser = async (home: string, path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${platform.api}${path}`, { ...init, headers: { authorization: `Bearer ${token(home)}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });

  test('the app runs the uploaded files, from --path or the current directory; a second push replaces them', async () => {
    const dir = appDir(platform, 'shower', { 'app.sh': SHOW_FILES, 'debug.log': 'noise\n', '.cfignore': '*.log\n' });
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'data', 'version.txt'), 'one\n');
    mkdirSync(join(dir, '.git'));
    writeFileSync(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');

    const pushed = await platform.cli(['push', 'shower', '--command', 'sh app.sh', '--path', dir]);
    expect(pushed.status).toBe(0);
    expect(pushed.stderr).toMatch(/Pushing app shower to org osbkit-org \/ space dev as admin\.\.\.\nPackaging files to upload\.\.\.\nUploading files\.\.\.\n 2 files, [\d.]+ (B|KiB)[^\n]*\nWaiting for app shower to start\.\.\./);
    expect(pushed.stdout).toContain('App shower created and started.');
    await waitFor(async () => (await logs('shower')).includes('FILES-SHOWN'), 'the app to show its files', 60_000);
    const first = await logs('shower');
    expect(first).toContain('version=one');
    expect(first).not.toContain('present=');
    // The container's copy is the app user's own.
    expect(first).toContain('owner=2000');

    // The controller keeps the bits in its own data dir; the push directory is not what runs.
    const app = (JSON.parse(await platform.ok(['--json', 'apps'])) as Body[]).find((a) => a.name === 'shower')!;
    const packages = ((await (await asUser(platform.home, `/v3/apps/${String(app.guid)}/packages`)).json()) as { resources: Body[] }).resources;
    expect(packages.map((p) => p.state)).toEqual(['READY']);
    const bits = join(platform.home, 'controller', 'packages', String(packages[0]!.guid), 'bits');
    expect(readdirSync(bits).sort()).toEqual(['app.sh', 'data']);
    writeFileSync(join(dir, 'data', 'version.txt'), 'two\n');
    expect(readFileSync(join(bits, 'data', 'version.txt'), 'utf8')).toBe('one\n');

    // cf push without --path: the current directory. The running app then gets the new files.
    const again = await platform.cli(['push', 'shower', '--command', 'sh app.sh'], {}, dir);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('App shower updated and started.');
    await waitFor(async () => (await logs('shower')).includes('version=two'), 'the app to run the second upload', 60_000);
    const after = ((await (await asUser(platform.home, `/v3/apps/${String(app.guid)}/packages`)).json()) as { resources: Body[] }).resources;
    expect(after.map((p) => p.state)).toEqual(['EXPIRED', 'READY']);

    await platform.ok(['delete', 'shower']);
  });

  test('a directory with nothing to upload is refused, and nothing is created', async () => {
    const empty = join(platform.work, 'apps', 'empty');
    mkdirSync(join(empty, '.git'), { recursive: true });
    writeFileSync(join(empty, '.git', 'HEAD'), 'ref\n');
    const refused = await platform.cli(['push', 'nothing', '--command', 'true', '--path', empty]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`No app files found in '${empty}'.`);
    const missing = await platform.cli(['push', 'nothing', '--command', 'true', '--path', join(platform.work, 'no-such-dir')]);
    expect(missing.stderr).toContain('does not exist');
    expect(await platform.ok(['apps'])).not.toMatch(/\bnothing\b/);
  });

  test('another space\'s developer cannot name a host directory, nor see or read the first tenant\'s bits', async () => {
    const victimDir = appDir(platform, 'victim', { 'app.sh': '#!/bin/sh\nexec sleep 3600\n', 'secret.txt': 'TENANT-A-SECRET\n' });
    await platform.ok(['push', 'victim', '--command', 'sh app.sh', '--path', victimDir, '--no-start']);
    const victim = (JSON.parse(await platform.ok(['--json', 'apps'])) as Body[]).find((a) => a.name === 'victim')!;
    const victimPackage = (((await (await asUser(platform.home, `/v3/apps/${String(victim.guid)}/packages`)).json()) as { resources: Body[] }).resources[0]!).guid as string;
    const victimBits = join(platform.home, 'controller', 'packages', victimPackage, 'bits');

    await platform.ok(['create-space', 'other']);
    await platform.ok(['create-user', 'mallory', 'mallory-password-1']);
    await platform.ok(['set-space-role', 'mallory', 'osbkit-org', 'other', 'SpaceDeveloper']);
    const malloryHome = join(platform.work, 'mallory-home');
    mkdirSync(malloryHome, { mode: 0o700 });
    const asMallory = (args: string[]) => platform.cli(args, { OSBKIT_HOME: malloryHome });
    expect((await asMallory(['login', '-u', 'mallory', '-p', 'mallory-password-1'])).status).toBe(0);
    const spaces = ((await (await asUser(malloryHome, '/v3/spaces')).json()) as { resources: Body[] }).resources;
    const other = String(spaces[0]!.guid);

    // The old hole: an app naming tenant A's directory (or the controller's copy of it).
    for (const path of [victimDir, victimBits]) {
      const named = await asUser(malloryHome, '/v3/apps', { method: 'POST', body: JSON.stringify({ name: 'thief', command: 'cat secret.txt', path, relationships: { space: { data: { guid: other } } } }) });
      expect(named.status).toBe(422);
      expect(await named.text()).toContain("'path' is not accepted: an app runs only uploaded bits");
    }
    expect((await asUser(malloryHome, `/v3/packages/${victimPackage}`)).status).toBe(404);
    expect((await asUser(malloryHome, `/v3/apps/${String(victim.guid)}/packages`)).status).toBe(404);

    // Mallory's own app looks for tenant A's bits where the controller keeps them: not there.
    const probe = appDir(platform, 'probe', { 'app.sh': `#!/bin/sh\ncat ${victimBits}/secret.txt 2>&1 || echo NOT-READABLE\necho PROBE-DONE\nexec sleep 3600\n` });
    expect((await asMallory(['push', 'probe', '--command', 'sh app.sh', '--path', probe])).status).toBe(0);
    await waitFor(async () => (await logs('probe', { OSBKIT_HOME: malloryHome })).includes('PROBE-DONE'), 'the probe to finish', 60_000);
    const output = await logs('probe', { OSBKIT_HOME: malloryHome });
    expect(output).toContain('NOT-READABLE');
    expect(output).not.toContain('TENANT-A-SECRET');

    expect((await asMallory(['delete', 'probe'])).status).toBe(0);
    await platform.ok(['delete', 'victim']);
  });
});
