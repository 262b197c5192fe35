import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_API, apiUrl, currentSession } from '../../../cli/commands/shared';
import { clearSession, forgetTarget, loadSession, loadTargetApi, saveSession, saveTargetApi, sessionPath, type Session } from '../../../cli/session';
import { osbkitVersion } from '../../../cli/version';

/** The CLI's target API in $OSBKIT_HOME/config.json, with and without a login, and $OSBKIT_API. */
describe('the CLI target', () => {
  let home: string;
  const saved = { home: process.env.OSBKIT_HOME, api: process.env.OSBKIT_API };
  const session: Session = {
    api: 'http://127.0.0.1:19100',
    accessToken: 'token-0123456789abcdefghijklmnopqrstuvwxyzABC',
    expiresAt: '2030-01-01T00:00:00.000Z',
    username: 'admin',
    space: { guid: 'space-guid', name: 'dev' },
  };

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'osbkit-cli-target-'));
    process.env.OSBKIT_HOME = home;
    delete process.env.OSBKIT_API;
  });

  afterEach(() => {
    rmSync(home, { recursive: true, force: true });
    if (saved.home === undefined) delete process.env.OSBKIT_HOME;
    else process.env.OSBKIT_HOME = saved.home;
    if (saved.api === undefined) delete process.env.OSBKIT_API;
    else process.env.OSBKIT_API = saved.api;
  });

  test('without anything set the CLI uses the default API; a target without a login is an API and no session', () => {
    expect(apiUrl()).toBe(DEFAULT_API);
    saveTargetApi('http://127.0.0.1:19200/');
    expect(JSON.parse(readFileSync(sessionPath(), 'utf8'))).toEqual({ api: 'http://127.0.0.1:19200/' });
    expect(loadTargetApi()).toBe('http://127.0.0.1:19200/');
    expect(loadSession()).toBeUndefined();
    expect(apiUrl()).toBe('http://127.0.0.1:19200');
  });

  test('the login is the target; another target drops it, the same one keeps it', () => {
    saveSession(session);
    expect(apiUrl()).toBe(session.api);
    saveTargetApi(`${session.api}/`);
    expect(loadSession()).toEqual(session);
    saveTargetApi('http://127.0.0.1:19300');
    expect(loadSession()).toBeUndefined();
    expect(apiUrl()).toBe('http://127.0.0.1:19300');
  });

  test('OSBKIT_API overrides the target (empty counts as unset), and a login for another API is not current', () => {
    saveSession(session);
    process.env.OSBKIT_API = 'http://127.0.0.1:19400/';
    expect(apiUrl()).toBe('http://127.0.0.1:19400');
    expect(currentSession()).toBeUndefined();
    process.env.OSBKIT_API = '';
    expect(apiUrl()).toBe(session.api);
    expect(currentSession()).toEqual(session);
  });

  test('logging out keeps the target; forgetting the target removes the file', () => {
    saveSession(session);
    expect(clearSession()).toBe(true);
    expect(loadTargetApi()).toBe(session.api);
    expect(loadSession()).toBeUndefined();
    expect(clearSession()).toBe(false);
    forgetTarget();
    expect(loadTargetApi()).toBeUndefined();
    expect(apiUrl()).toBe(DEFAULT_API);
  });

  test('the version is package.json\'s, found from the source and from a compiled directory alike', () => {
    const { version } = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string };
    expect(osbkitVersion()).toBe(version);
    expect(osbkitVersion(join(__dirname, '..', '..', '..', 'dist', 'cli'))).toBe(version);
    expect(() => osbkitVersion(tmpdir())).toThrow("osbkit's package.json was not found");
  });
});
