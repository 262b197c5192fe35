import { existsSync, rmSync } from 'node:fs';
import { homePath } from './home';
import { readPrivateFile, writePrivateFile } from './private-files';

/**
 * The CLI's target and login, as cf keeps them in ~/.cf/config.json: the API it talks to
 * (`osbkit api`, `osbkit login -a`, `osbkit up`), and once logged in the access token and the
 * targeted organization and space. It lives in `$OSBKIT_HOME/config.json`, mode 0600; a file
 * with only `api` is a target without a login.
 */

export interface Target {
  guid: string;
  name: string;
}

export interface Session {
  api: string;
  accessToken: string;
  /** ISO timestamp; the server is the judge, this only lets the CLI say why. */
  expiresAt: string;
  username: string;
  organization?: Target;
  space?: Target;
}

export const SESSION_FILE = 'config.json';

export function sessionPath(): string {
  return homePath(SESSION_FILE);
}

/** Trailing slashes do not make another API. */
export function normalizeApi(url: string): string {
  return url.replace(/\/+$/, '');
}

function isTarget(value: unknown): value is Target {
  const candidate = value as Partial<Target> | null;
  return typeof candidate === 'object' && candidate !== null && typeof candidate.guid === 'string' && typeof candidate.name === 'string';
}

interface StoredConfig {
  api?: string;
  session?: Session;
}

function parse(text: string): StoredConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return {};
  }
  const value = raw as Partial<Session> | null;
  if (typeof value !== 'object' || value === null || typeof value.api !== 'string') return {};
  if (typeof value.accessToken !== 'string' || typeof value.expiresAt !== 'string' || typeof value.username !== 'string') return { api: value.api };
  const session: Session = {
    api: value.api,
    accessToken: value.accessToken,
    expiresAt: value.expiresAt,
    username: value.username,
    ...(isTarget(value.organization) ? { organization: { guid: value.organization.guid, name: value.organization.name } } : {}),
    ...(isTarget(value.space) ? { space: { guid: value.space.guid, name: value.space.name } } : {}),
  };
  return { api: value.api, session };
}

function loadConfig(): StoredConfig {
  const path = sessionPath();
  if (!existsSync(path)) return {};
  return parse(readPrivateFile(path));
}

/** undefined when there is no login, or the file is not one the CLI wrote. */
export function loadSession(): Session | undefined {
  return loadConfig().session;
}

/** The API the CLI was pointed at last, logged in or not. */
export function loadTargetApi(): string | undefined {
  return loadConfig().api;
}

/**
 * Points the CLI at an API, as `cf api URL` does: the login (token, organization, space)
 * belonged to the previous target and is dropped, unless the API stays the same.
 */
export function saveTargetApi(api: string): void {
  const current = loadSession();
  if (current && normalizeApi(current.api) === normalizeApi(api)) return;
  writePrivateFile(sessionPath(), `${JSON.stringify({ api }, null, 2)}\n`);
}

export function saveSession(session: Session): void {
  writePrivateFile(sessionPath(), `${JSON.stringify(session, null, 2)}\n`);
}

/** Forgets the target API and its login (`osbkit api --unset`). */
export function forgetTarget(): void {
  rmSync(sessionPath(), { force: true });
}

/** Removes the login and keeps the target API, as `cf logout` does; true when there was a login to remove. */
export function clearSession(): boolean {
  const { api, session } = loadConfig();
  if (api === undefined) {
    rmSync(sessionPath(), { force: true });
    return false;
  }
  writePrivateFile(sessionPath(), `${JSON.stringify({ api }, null, 2)}\n`);
  return session !== undefined;
}
