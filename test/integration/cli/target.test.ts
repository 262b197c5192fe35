import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deadUrl } from '../controller/support/test-broker';
import { ADMIN } from '../controller/support/harness';
import { REPO_ROOT } from '../../support/process';
import { CliPlatform } from './support';

jest.setTimeout(60_000);

/**
 * Which API the CLI talks to: `osbkit api URL` targets one and keeps it in
 * $OSBKIT_HOME/config.json, `osbkit api` shows it, `login` without -a uses it, and
 * $OSBKIT_API overrides it. Also `osbkit --version` and what --help says about both.
 */
describe('osbkit api, --version and --help', () => {
  let first: CliPlatform;
  let second: CliPlatform;
  let passwordFile: string;

  beforeAll(async () => {
    first = await CliPlatform.start();
    second = await CliPlatform.start();
    passwordFile = join(first.home, 'admin-password');
    writeFileSync(passwordFile, ADMIN.password, { mode: 0o600 });
  });

  afterAll(async () => {
    await first?.stop();
    await second?.stop();
  });

  const config = (): Record<string, unknown> => JSON.parse(readFileSync(join(first.home, 'config.json'), 'utf8')) as Record<string, unknown>;

  test('--version and -v print package.json\'s version; --help names osbkit api, OSBKIT_API and OSBKIT_HOME', async () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(await first.ok(['--version'])).toBe(`osbkit version ${version}\n`);
    expect(await first.ok(['-v'])).toBe(`osbkit version ${version}\n`);
    const help = await first.ok(['--help']);
    expect(help).toMatch(/^\s+api \[options\] \[url\]\s+Show or set the API the CLI talks to/m);
    expect(help).toMatch(/^\s+OSBKIT_API\s+the API the CLI talks to; overrides the target set by 'osbkit api URL'/m);
    expect(help).toMatch(/^\s+OSBKIT_HOME\s+where osbkit keeps its state/m);
  });

  test('a target set with osbkit api is kept in OSBKIT_HOME, used by login and every verb, and overridden by OSBKIT_API', async () => {
    expect((await first.ok(['api'])).trim()).toBe("No API endpoint set; the CLI uses http://127.0.0.1:9000, where 'osbkit up' serves by default. Use 'osbkit api URL' to set one.");

    const set = await first.cli(['api', `${first.url}/`]);
    expect(set.status).toBe(0);
    expect(set.stderr).toContain(`Setting API endpoint to ${first.url}...`);
    expect(set.stdout).toBe(`OK\n\nAPI endpoint:   ${first.url}\nAPI version:    3.0.0-osbkit\nNot logged in. Use 'osbkit login' to log in.\n`);
    expect(config()).toEqual({ api: first.url });
    expect(statSync(join(first.home, 'config.json')).mode & 0o777).toBe(0o600);

    // login without -a logs in to the target; the verbs use it with no OSBKIT_API anywhere.
    expect(await first.ok(['login', '-u', ADMIN.username, '--password-file', passwordFile])).toContain(`API endpoint:   ${first.url}`);
    await first.harness.createApp('only-on-first');
    expect(await first.ok(['apps'])).toMatch(/^only-on-first\s/m);
    expect(await first.ok(['api'])).toBe(`API endpoint:   ${first.url}\nuser:           ${ADMIN.username}\n`);
    expect(JSON.parse(await first.ok(['--json', 'api']))).toEqual({ api: first.url, source: 'config', logged_in: true });

    // OSBKIT_API wins while it is set; the token is not sent to that other API.
    const elsewhere = { OSBKIT_API: second.url };
    expect(await first.ok(['api'], elsewhere)).toBe(`API endpoint:   ${second.url} (from $OSBKIT_API)\nNot logged in. Use 'osbkit login' to log in.\n`);
    expect((await first.cli(['apps'], elsewhere)).stderr).toContain("Not logged in. Use 'osbkit login' to log in.");
    expect(first.harness.logs()).toMatch(/"path":"\/v3\/apps"/);
    expect(second.harness.logs()).not.toMatch(/"path":"\/v3\/apps"/);
    // Set but empty is unset.
    expect(await first.ok(['apps'], { OSBKIT_API: '' })).toMatch(/^only-on-first\s/m);

    // Logging out keeps the target.
    await first.ok(['logout']);
    expect(config()).toEqual({ api: first.url });
    expect((await first.cli(['apps'])).stderr).toContain("Not logged in. Use 'osbkit login' to log in.");
  });

  test('targeting another API drops the login of the previous one; the same API keeps it', async () => {
    await first.ok(['login', '-a', first.url, '-u', ADMIN.username, '--password-file', passwordFile]);
    await first.ok(['api', first.url]);
    expect(config()).toMatchObject({ api: first.url, username: ADMIN.username });
    expect(await first.ok(['api', second.url])).toContain(`API endpoint:   ${second.url}`);
    expect(config()).toEqual({ api: second.url });
    expect((await first.cli(['apps'])).stderr).toContain("Not logged in. Use 'osbkit login' to log in.");
    await first.ok(['login', '-u', ADMIN.username, '--password-file', passwordFile]);
    expect(await first.ok(['apps'])).not.toContain('only-on-first');
  });

  test('an API that does not answer, or is not an osbkit API, or is not a URL, is refused and the target stays', async () => {
    await first.ok(['api', first.url]);
    const dead = await deadUrl();
    const unreachable = await first.cli(['api', dead]);
    expect(unreachable.status).toBe(1);
    expect(unreachable.stderr).toContain(`Cannot reach the osbkit API at ${dead}.`);
    const notOsbkit = await first.cli(['api', `${first.url}/v3/apps`]);
    expect(notOsbkit.status).toBe(1);
    expect(notOsbkit.stderr).toContain(`${first.url}/v3/apps is not an osbkit API`);
    const notUrl = await first.cli(['api', 'localhost-9000']);
    expect(notUrl.stderr).toContain('"localhost-9000" is not a URL: give the API as http://HOST:PORT or https://HOST.');
    expect(config()).toMatchObject({ api: first.url });
    await first.ok(['api', '--unset']);
    expect((await first.ok(['api'])).trim()).toMatch(/^No API endpoint set/);
  });
});
