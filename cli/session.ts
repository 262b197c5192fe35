import { existsSync, rmSync } from 'node:fs';
import { homePath } from './home';
import { readPrivateFile, writePrivateFile } from './private-files';

/**
 * The CLI's login, as `cf login` keeps it in ~/.cf/config.json: the API it logged in to, the
 * access token, and the targeted organization and space. It lives in
 * `$OSBKIT_HOME/config.json`, mode 0600.
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

function parse(text: string): Session | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  const value = raw as Partial<Session> | null;
  if (typeof value !== 'object' || value === null) return undefined;
  if (typeof value.api !== 'string' || typeof value.accessToken !== 'string' || typeof value.expiresAt !== 'string' || typeof value.username !== 'string') return undefined;
  return {
    api: value.api,
    accessToken: value.accessToken,
    expiresAt: value.expiresAt,
    username: value.username,
    ...(isTarget(value.organization) ? { organization: { guid: value.organization.guid, name: value.organization.name } } : {}),
    ...(isTarget(value.space) ? { space: { guid: value.space.guid, name: value.space.name } } : {}),
  };
}

/** undefined when there is no login, or the file is not one the CLI wrote. */
export function loadSession(): Session | undefined {
  const path = sessionPath();
  if (!existsSync(path)) return undefined;
  return parse(readPrivateFile(path));
}

export function saveSession(session: Session): void {
  writePrivateFile(sessionPath(), `${JSON.stringify(session, null, 2)}\n`);
}

/** True when there was a login to remove. */
export function clearSession(): boolean {
  const path = sessionPath();
  if (!existsSync(path)) return false;
  rmSync(path, { force: true });
  return true;
}
