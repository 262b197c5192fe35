import { apiErrors } from './errors';

/**
 * Checks on what clients send, run before anything changes. Each reader records problems
 * instead of throwing, so one 422 names every bad field at once.
 */

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// eslint-disable-next-line no-control-regex -- control characters are what is refused
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

export const MAX_NAME_LENGTH = 255;

export class Problems {
  readonly list: string[] = [];

  add(problem: string): void {
    this.list.push(problem);
  }

  /** 422 CF-UnprocessableEntity naming every problem, if there is any. */
  throwIfAny(): void {
    if (this.list.length > 0) throw apiErrors.unprocessable(this.list.join('; '));
  }
}

/** The body must be a JSON object; anything else is a parse error (400). */
export function objectBody(body: unknown): JsonObject {
  if (body === undefined) throw apiErrors.messageParse('the request body must be a JSON object (send Content-Type: application/json)');
  if (!isJsonObject(body)) throw apiErrors.messageParse('the request body must be a JSON object');
  return body;
}

export function rejectUnknownFields(value: JsonObject, allowed: readonly string[], problems: Problems, prefix = ''): void {
  const unknown = Object.keys(value).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) problems.add(`Unknown field(s): ${unknown.map((k) => `'${prefix}${k}'`).join(', ')}`);
}

export interface StringRules {
  required?: boolean;
  maxLength?: number;
  /** Allow newlines and tabs (commands); other control characters are always refused. */
  multiline?: boolean;
}

export function readString(value: JsonObject, field: string, problems: Problems, rules: StringRules = {}, label = field): string | undefined {
  const raw = value[field];
  if (raw === undefined || raw === null) {
    if (rules.required) problems.add(`'${label}' is required and must be a non-empty string`);
    return undefined;
  }
  if (typeof raw !== 'string' || raw.trim() === '') {
    problems.add(`'${label}' must be a non-empty string`);
    return undefined;
  }
  const maxLength = rules.maxLength ?? MAX_NAME_LENGTH;
  if (raw.length > maxLength) {
    problems.add(`'${label}' must be at most ${maxLength} characters`);
    return undefined;
  }
  const forbidden = rules.multiline ? /[\u0000-\u0008\u000b-\u001f\u007f]/ : CONTROL_CHARACTERS; // eslint-disable-line no-control-regex
  if (forbidden.test(raw)) {
    problems.add(`'${label}' must not contain control characters`);
    return undefined;
  }
  return raw;
}

export function readObject(value: JsonObject, field: string, problems: Problems, label = field): JsonObject | undefined {
  const raw = value[field];
  if (raw === undefined) return undefined;
  if (!isJsonObject(raw)) {
    problems.add(`'${label}' must be an object`);
    return undefined;
  }
  return raw;
}

export function readStringArray(value: JsonObject, field: string, problems: Problems, options: { maxTotalLength?: number } = {}, label = field): string[] | undefined {
  const raw = value[field];
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw) || !raw.every((entry) => typeof entry === 'string' && entry !== '' && !CONTROL_CHARACTERS.test(entry))) {
    problems.add(`'${label}' must be an array of non-empty strings`);
    return undefined;
  }
  const strings = raw as string[];
  const total = strings.reduce((sum, entry) => sum + entry.length, 0);
  if (options.maxTotalLength !== undefined && total > options.maxTotalLength) {
    problems.add(`'${label}' must be at most ${options.maxTotalLength} characters combined`);
    return undefined;
  }
  return strings;
}

export function readInteger(value: JsonObject, field: string, problems: Problems, range: { min: number; max: number }, label = field): number | undefined {
  const raw = value[field];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < range.min || raw > range.max) {
    problems.add(`'${label}' must be an integer from ${range.min} to ${range.max}`);
    return undefined;
  }
  return raw;
}

/** `relationships.<name>.data.guid`, as every CC v3 create body carries its links. */
export function readRelationship(relationships: JsonObject | undefined, name: string, problems: Problems, required: boolean): string | undefined {
  const label = `relationships.${name}.data.guid`;
  const entry = relationships?.[name];
  if (entry === undefined) {
    if (required) problems.add(`'${label}' is required`);
    return undefined;
  }
  const data = isJsonObject(entry) ? entry.data : undefined;
  const guid = isJsonObject(data) ? data.guid : undefined;
  if (typeof guid !== 'string' || guid === '' || guid.length > MAX_NAME_LENGTH) {
    problems.add(`'${label}' must be a non-empty string`);
    return undefined;
  }
  return guid;
}

// --- query parameters ---------------------------------------------------------------------

export interface ListQuery {
  filters: Map<string, string[]>;
  page: number;
  perPage: number;
}

const PAGING = ['page', 'per_page', 'order_by'];

/** Parses `names=a,b`-style filters; unknown parameters are a 400, as in Cloud Controller. */
export function readListQuery(query: unknown, filters: readonly string[]): ListQuery {
  const parsed: ListQuery = { filters: new Map(), page: 1, perPage: 50 };
  if (!isJsonObject(query)) return parsed;
  const unknown = Object.keys(query).filter((key) => !filters.includes(key) && !PAGING.includes(key));
  if (unknown.length > 0) {
    throw apiErrors.badQuery(`Unknown query parameter(s): ${unknown.map((k) => `'${k}'`).join(', ')}. Valid parameters are: ${[...filters, ...PAGING].map((k) => `'${k}'`).join(', ')}`);
  }
  for (const [key, raw] of Object.entries(query)) {
    if (typeof raw !== 'string') throw apiErrors.badQuery(`'${key}' must be given once, as a comma-separated list`);
    if (key === 'page' || key === 'per_page') {
      const number = Number(raw);
      const max = key === 'page' ? Number.MAX_SAFE_INTEGER : 5000;
      if (!/^\d+$/.test(raw) || number < 1 || number > max) throw apiErrors.badQuery(`'${key}' must be an integer from 1 to ${max}`);
      if (key === 'page') parsed.page = number;
      else parsed.perPage = number;
      continue;
    }
    if (key === 'order_by') continue;
    parsed.filters.set(key, raw.split(',').map((v) => v.trim()).filter((v) => v !== ''));
  }
  return parsed;
}

/** True when the filter is absent or the value is one of its values. */
export function matchesFilter(query: ListQuery, filter: string, value: string | undefined): boolean {
  const wanted = query.filters.get(filter);
  return wanted === undefined || (value !== undefined && wanted.includes(value));
}
