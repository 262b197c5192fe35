import { readFileSync, existsSync } from 'node:fs';
import { ApiError, ControllerApi } from '../api';

export const DEFAULT_API = 'http://127.0.0.1:9000';

export function api(): ControllerApi {
  return new ControllerApi((process.env.OSBKIT_API ?? DEFAULT_API).replace(/\/+$/, ''));
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
