import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NOT_LOGGED_IN } from '../../../cli/api';
import { api, targetSpace } from '../../../cli/commands/shared';
import { ensureSecretFile, readPrivateFile } from '../../../cli/private-files';
import { clearSession, loadSession, saveSession, sessionPath, type Session } from '../../../cli/session';

/** The CLI's login file and secret files: modes, round trips, and where a token may go. */
describe('the CLI login and its private files', () => {
  let home: string;
  const saved = { home: process.env.OSBKIT_HOME, api: process.env.OSBKIT_API };
  const session: Session = {
    api: 'http://127.0.0.1:19000',
    accessToken: 'token-0123456789abcdefghijklmnopqrstuvwxyzABC',
    expiresAt: '2030-01-01T00:00:00.000Z',
    username: 'admin',
    organization: { guid: 'org-guid', name: 'osbkit-org' },
    space: { guid: 'space-guid', name: 'dev' },
  };

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'osbkit-cli-session-'));
    process.env.OSBKIT_HOME = home;
    delete process.env.OSBKIT_API;
  });

  afterEach(() => {
    jest.restoreAllMocks();
    rmSync(home, { recursive: true, force: true });
    if (saved.home === undefined) delete process.env.OSBKIT_HOME;
    else process.env.OSBKIT_HOME = saved.home;
    if (saved.api === undefined) delete process.env.OSBKIT_API;
    else process.env.OSBKIT_API = saved.api;
  });

  test('a login is kept with mode 0600, read back as written, and removed by logout', () => {
    expect(loadSession()).toBeUndefined();
    saveSession(session);
    expect(statSync(sessionPath()).mode & 0o777).toBe(0o600);
    expect(loadSession()).toEqual(session);
    expect(targetSpace()).toEqual({ guid: 'space-guid', name: 'dev' });
    expect(clearSession()).toBe(true);
    expect(loadSession()).toBeUndefined();
    expect(clearSession()).toBe(false);
  });

  test('a login file others may read is refused, naming the fix', () => {
    saveSession(session);
    chmodSync(sessionPath(), 0o644);
    expect(() => loadSession()).toThrow(`run: chmod 600 ${sessionPath()}`);
  });

  test('a secret file is made once with mode 0600 and never replaced', () => {
    const path = join(home, 'cell-api-secret');
    const first = ensureSecretFile(path);
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(ensureSecretFile(path)).toBe(first);
    writeFileSync(join(home, 'loose'), 'a-password-in-a-loose-file', { mode: 0o640 });
    expect(() => readPrivateFile(join(home, 'loose'))).toThrow('may be read or written by others');
    expect(readFileSync(path, 'utf8').trim()).toBe(first);
  });

  test('without a login, and for an API other than the one logged in to, nothing is sent and the CLI says to log in', async () => {
    const fetched = jest.spyOn(globalThis, 'fetch');
    await expect(api().get('/v3/spaces')).rejects.toThrow(NOT_LOGGED_IN);
    saveSession(session);
    process.env.OSBKIT_API = 'http://127.0.0.1:29000';
    await expect(api().get('/v3/spaces')).rejects.toThrow(NOT_LOGGED_IN);
    expect(() => targetSpace()).toThrow(NOT_LOGGED_IN);
    expect(fetched).not.toHaveBeenCalled();
  });

  test('logged in without a space, the app and service verbs ask for a target', () => {
    saveSession({ ...session, space: undefined });
    expect(() => targetSpace()).toThrow("No space targeted. Use 'osbkit target -s SPACE' to target a space.");
  });
});
