import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../support/process';
import { appDir, startPlatform, type Platform } from '../support';

/**
 * The first hour with osbkit, through `osbkit up` and the CLI with OSBKIT_API unset (empty
 * counts as unset), so the CLI finds the platform the way a user's would: `osbkit up` points
 * its home's CLI at itself. Misspelled names, bound apps, a service key refused for a volume
 * service, and what delete-service needs first.
 */
jest.setTimeout(240_000);

describe('the first hour: osbkit up targets itself, and the service verbs say what is wrong', () => {
  let platform: Platform;

  beforeAll(async () => {
    // The platform's own login (osbkit login without -a) already depends on the target osbkit up set.
    platform = await startPlatform({ env: { OSBKIT_API: '' } });
  });

  afterAll(async () => {
    await platform?.stop();
  });

  const failure = async (args: string[]): Promise<string> => {
    const result = await platform.cli(args);
    expect(result.status).toBe(1);
    return result.stderr.slice(result.stderr.indexOf('FAILED\n') + 'FAILED\n'.length).trim();
  };

  test('the CLI talks to the platform osbkit up started, without OSBKIT_API; osbkit --version works', async () => {
    expect(platform.port).not.toBe(9000);
    expect(await platform.ok(['api'])).toBe(`API endpoint:   ${platform.api}\nuser:           admin\n`);
    expect(JSON.parse(readFileSync(join(platform.home, 'config.json'), 'utf8'))).toMatchObject({ api: platform.api, username: 'admin' });
    expect(platform.upLog()).toContain("The CLI in this OSBKIT_HOME targets it (see 'osbkit api'");
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(await platform.ok(['--version'])).toBe(`osbkit version ${version}\n`);
  });

  test('misspelled offerings and plans, bound apps, no service key for a volume service, and what delete-service needs first', async () => {
    expect(await failure(['create-service', 'local-volum', 'free', 'vol'])).toBe("Service offering 'local-volum' not found. Did you mean 'local-volume'?\nTIP: Use 'osbkit marketplace' to see the service offerings.");
    expect(await failure(['create-service', 'local-volume', 'paid', 'vol'])).toMatch(/^The plan 'paid' could not be found for service offering 'local-volume'\.\nTIP: Use 'osbkit marketplace -e local-volume' to see its plans\.$/);
    await platform.ok(['create-service', 'local-volume', 'free', 'vol']);

    const app = appDir(platform, 'keeper', { 'app.sh': '#!/bin/sh\nexec sleep 3600\n' });
    await platform.ok(['push', 'keeper', '--command', 'sh app.sh', '--path', app, '--no-start']);
    await platform.ok(['bind-service', 'keeper', 'vol', '-c', '{"mount":"/data"}']);
    expect(await platform.ok(['services'])).toMatch(/^vol\s+local-volume\s+free\s+keeper\s+create succeeded$/m);
    expect(await platform.ok(['service', 'vol'])).toMatch(/\nbound apps:\nname\s+binding name\s+last operation\nkeeper\s+create succeeded\n$/);

    expect(await failure(['create-service-key', 'vol', 'mine'])).toBe("Service credential bindings of type 'key' are not supported for volume services: their volume mounts need an app to mount into. Bind the service instance to an app instead.");
    expect(await platform.ok(['service-keys', 'vol'])).toBe('No service keys for service instance vol.\n');

    expect(await failure(['delete-service', 'vol'])).toBe('Cannot delete service instance. Service keys and bindings must first be deleted: bound to app(s) keeper.');
    await platform.ok(['unbind-service', 'keeper', 'vol']);
    await platform.ok(['delete', 'keeper']);
    await platform.ok(['delete-service', 'vol']);
    expect(await platform.ok(['services'])).not.toMatch(/^vol\s/m);
  });
});
