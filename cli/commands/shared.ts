import { readFileSync, existsSync } from 'node:fs';
import { ApiError, ControllerApi, NOT_LOGGED_IN } from '../api';
import { loadSession, loadTargetApi, normalizeApi, type Session, type Target } from '../session';

/** Where `osbkit up` serves the API unless told another port. */
export const DEFAULT_API = 'http://127.0.0.1:9000';

/**
 * The API the CLI talks to: $OSBKIT_API, else the target kept in $OSBKIT_HOME/config.json
 * (`osbkit api`, `osbkit login -a`, `osbkit up`), else the default.
 */
export function apiUrl(): string {
  return normalizeApi(apiOverride() ?? loadTargetApi() ?? DEFAULT_API);
}

/** $OSBKIT_API; set but empty counts as unset. */
export function apiOverride(): string | undefined {
  const value = process.env.OSBKIT_API;
  return value === undefined || value === '' ? undefined : value;
}

/** The login, when it is for the API the CLI talks to: a token never goes to another API. */
export function currentSession(): Session | undefined {
  const session = loadSession();
  return session && normalizeApi(session.api) === apiUrl() ? session : undefined;
}

export function api(): ControllerApi {
  return new ControllerApi(apiUrl(), currentSession()?.accessToken);
}

/** The targeted space, which the app and service verbs work in, as cf's do. */
export function targetSpace(): Target {
  const session = currentSession();
  if (!session) throw new ApiError(NOT_LOGGED_IN);
  if (!session.space) throw new ApiError("No space targeted. Use 'osbkit target -s SPACE' to target a space.");
  return session.space;
}

/** `-c` takes inline JSON or a file path, as `cf create-service -c` does. */
export function parseJsonOption(value: string | undefined, flag = '-c'): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  const text = existsSync(value) ? readFileSync(value, 'utf8') : value;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ApiError(`${flag} must be a JSON object or the path of a file holding one; ${JSON.stringify(value.slice(0, 60))} is neither.`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ApiError(`${flag} must be a JSON object.`);
  return parsed as Record<string, unknown>;
}

/** `--env K=V`, repeatable. */
export function collectEnv(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new ApiError(`--env expects KEY=VALUE, got ${JSON.stringify(value)}.`);
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

export interface GlobalOptions {
  json?: boolean;
}
