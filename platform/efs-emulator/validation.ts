import { serializationException, validationException } from './errors';

/**
 * Input checking as AWS does it, in two steps.
 *
 * 1. Reading: a member of the wrong JSON type makes the body unreadable, which AWS answers
 *    with SerializationException before any constraint is looked at. `BodyReader` does this.
 * 2. Constraints of the EFS model (required members, lengths, patterns, ranges, enums, list
 *    sizes): every violation is collected and answered together with one ValidationException
 *    whose message has AWS's form, "2 validation errors detected: Value 'x' at 'posixUser.uid'
 *    failed to satisfy constraint: Member must ...; ...". `Constraints` does this.
 *
 * Rules that are not model constraints (e.g. "provisioned needs ProvisionedThroughputInMibps")
 * are checked by the operations and answered with BadRequest.
 */

/** A model pattern: the expression we match with and the text AWS quotes in its message. */
export interface ModelPattern {
  regex: RegExp;
  text: string;
}

const pattern = (regex: RegExp, text: string): ModelPattern => ({ regex, text });

export const PATTERNS = {
  fileSystemId: pattern(
    /^(arn:aws[-a-z]*:elasticfilesystem:[0-9a-z-:]+:file-system\/fs-[0-9a-f]{8,40}|fs-[0-9a-f]{8,40})$/,
    '^(arn:aws[-a-z]*:elasticfilesystem:[0-9a-z-:]+:file-system/fs-[0-9a-f]{8,40}|fs-[0-9a-f]{8,40})$',
  ),
  accessPointId: pattern(
    /^(arn:aws[-a-z]*:elasticfilesystem:[0-9a-z-:]+:access-point\/fsap-[0-9a-f]{8,40}|fsap-[0-9a-f]{8,40})$/,
    '^(arn:aws[-a-z]*:elasticfilesystem:[0-9a-z-:]+:access-point/fsap-[0-9a-f]{8,40}|fsap-[0-9a-f]{8,40})$',
  ),
  mountTargetId: pattern(/^fsmt-[0-9a-f]{8,40}$/, '^fsmt-[0-9a-f]{8,40}$'),
  resourceId: pattern(
    /^(arn:aws[-a-z]*:elasticfilesystem:[0-9a-z-:]+:(access-point\/fsap|file-system\/fs)-[0-9a-f]{8,40}|fs(ap)?-[0-9a-f]{8,40})$/,
    '^(arn:aws[-a-z]*:elasticfilesystem:[0-9a-z-:]+:(access-point/fsap|file-system/fs)-[0-9a-f]{8,40}|fs(ap)?-[0-9a-f]{8,40})$',
  ),
  subnetId: pattern(/^subnet-[0-9a-f]{8,40}$/, '^subnet-[0-9a-f]{8,40}$'),
  // Not anchored at the end in the model, so "sg-0123456789abcdefXYZ" passes the pattern.
  securityGroup: pattern(/^sg-[0-9a-f]{8,40}/, '^sg-[0-9a-f]{8,40}'),
  ipAddress: pattern(/^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$/, '^[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}$'),
  kmsKeyId: pattern(
    /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias\/[a-zA-Z0-9/_-]+|(arn:aws[-a-z]*:kms:[a-z0-9-]+:\d{12}:((key\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})|(key\/mrk-[0-9a-f]{32})|(alias\/[a-zA-Z0-9/_-]+))))$/,
    '^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias/[a-zA-Z0-9/_-]+|(arn:aws[-a-z]*:kms:[a-z0-9-]+:\\d{12}:((key/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})|(key/mrk-[0-9a-f]{32})|(alias/[a-zA-Z0-9/_-]+))))$',
  ),
  // "Any character but a line break, at least once": the model's ".+" is not anchored.
  anyText: pattern(/.+/, '.+'),
  // Up to four components, none starting with "." (so never "." or ".."), none holding shell
  // metacharacters. The model writes the look-ahead as "(?!\.)+", which means the same.
  rootDirectoryPath: pattern(/^(\/|(\/(?!\.)[^$#<>;`|&?{}^*/\n]+){1,4})$/, '^(\\/|(\\/(?!\\.)+[^$#<>;`|&?{}^*/\\n]+){1,4})$'),
  permissions: pattern(/^[0-7]{3,4}$/, '^[0-7]{3,4}$'),
  tagKey: pattern(/^(?![aA]{1}[wW]{1}[sS]{1}:)([\p{L}\p{Z}\p{N}_.:/=+\-@]+)$/u, '^(?![aA]{1}[wW]{1}[sS]{1}:)([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+)$'),
  tagValue: pattern(/^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u, '^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$'),
} as const;

export const MAX_POSIX_ID = 4294967295;

export const PERFORMANCE_MODES = ['generalPurpose', 'maxIO'] as const;
export type PerformanceMode = (typeof PERFORMANCE_MODES)[number];
export const THROUGHPUT_MODES = ['bursting', 'provisioned', 'elastic'] as const;
export type ThroughputMode = (typeof THROUGHPUT_MODES)[number];

function quote(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (Array.isArray(value)) return `'[${value.map(String).join(', ')}]'`;
  return `'${String(value)}'`;
}

/** Collects constraint violations; `throwIfAny` answers them all at once. */
export class Constraints {
  private readonly violations: string[] = [];

  private add(value: unknown, path: string, constraint: string): void {
    this.violations.push(`Value ${quote(value)} at '${path}' failed to satisfy constraint: Member must ${constraint}`);
  }

  /** False (and a violation) when the value is missing. */
  required(value: unknown, path: string): boolean {
    if (value !== undefined) return true;
    this.add(undefined, path, 'not be null');
    return false;
  }

  text(value: string | undefined, path: string, rules: { min?: number; max?: number; pattern?: ModelPattern }): void {
    if (value === undefined) return;
    const length = [...value].length;
    if (rules.min !== undefined && length < rules.min) this.add(value, path, `have length greater than or equal to ${rules.min}`);
    if (rules.max !== undefined && length > rules.max) this.add(value, path, `have length less than or equal to ${rules.max}`);
    if (rules.pattern && !rules.pattern.regex.test(value)) this.add(value, path, `satisfy regular expression pattern: ${rules.pattern.text}`);
  }

  range(value: number | undefined, path: string, rules: { min?: number; max?: number }): void {
    if (value === undefined) return;
    if (rules.min !== undefined && value < rules.min) this.add(value, path, `have value greater than or equal to ${rules.min}`);
    if (rules.max !== undefined && value > rules.max) this.add(value, path, `have value less than or equal to ${rules.max}`);
  }

  oneOf(value: string | undefined, path: string, allowed: readonly string[]): void {
    if (value === undefined || allowed.includes(value)) return;
    this.add(value, path, `satisfy enum value set: [${allowed.join(', ')}]`);
  }

  listSize(value: unknown[] | undefined, path: string, rules: { min?: number; max?: number }): void {
    if (value === undefined) return;
    if (rules.min !== undefined && value.length < rules.min) this.add(value, path, `have length greater than or equal to ${rules.min}`);
    if (rules.max !== undefined && value.length > rules.max) this.add(value, path, `have length less than or equal to ${rules.max}`);
  }

  throwIfAny(): void {
    const count = this.violations.length;
    if (count === 0) return;
    throw validationException(`${count} validation error${count === 1 ? '' : 's'} detected: ${this.violations.join('; ')}`);
  }
}

/** A JSON object member by member, refusing members of the wrong type as AWS does. JSON null counts as absent. */
export class BodyReader {
  constructor(
    private readonly object: Record<string, unknown>,
    private readonly prefix = '',
  ) {}

  /** The request body: empty means `{}`; anything but a JSON object is unreadable. */
  static of(body: unknown): BodyReader {
    if (body === undefined) return new BodyReader({});
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw serializationException('The request body must be a JSON object');
    return new BodyReader(body as Record<string, unknown>);
  }

  private value(key: string): unknown {
    return Object.prototype.hasOwnProperty.call(this.object, key) && this.object[key] !== null ? this.object[key] : undefined;
  }

  private wrongType(key: string, expected: string): never {
    throw serializationException(`${expected} expected for member '${this.prefix}${key}'`);
  }

  string(key: string): string | undefined {
    const value = this.value(key);
    if (value === undefined || typeof value === 'string') return value;
    return this.wrongType(key, 'A string was');
  }

  boolean(key: string): boolean | undefined {
    const value = this.value(key);
    if (value === undefined || typeof value === 'boolean') return value;
    return this.wrongType(key, 'A boolean was');
  }

  /** Long and integer members: a JSON number without a fraction. */
  integer(key: string): number | undefined {
    const value = this.value(key);
    if (value === undefined || (typeof value === 'number' && Number.isSafeInteger(value))) return value;
    return this.wrongType(key, 'An integer was');
  }

  double(key: string): number | undefined {
    const value = this.value(key);
    if (value === undefined || (typeof value === 'number' && Number.isFinite(value))) return value;
    return this.wrongType(key, 'A number was');
  }

  structure(key: string): BodyReader | undefined {
    const value = this.value(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) return this.wrongType(key, 'An object was');
    return new BodyReader(value as Record<string, unknown>, `${this.prefix}${key}.`);
  }

  list(key: string): unknown[] | undefined {
    const value = this.value(key);
    if (value === undefined || Array.isArray(value)) return value;
    return this.wrongType(key, 'A list was');
  }

  stringList(key: string): string[] | undefined {
    const items = this.list(key);
    if (items === undefined) return undefined;
    if (!items.every((item): item is string => typeof item === 'string')) return this.wrongType(key, 'A list of strings was');
    return items;
  }

  integerList(key: string): number[] | undefined {
    const items = this.list(key);
    if (items === undefined) return undefined;
    if (!items.every((item): item is number => typeof item === 'number' && Number.isSafeInteger(item))) return this.wrongType(key, 'A list of integers was');
    return items;
  }

  structureList(key: string): BodyReader[] | undefined {
    const items = this.list(key);
    if (items === undefined) return undefined;
    return items.map((item, index) => {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) return this.wrongType(key, 'A list of objects was');
      return new BodyReader(item as Record<string, unknown>, `${this.prefix}${key}.${index + 1}.`);
    });
  }
}

/** An integer query parameter (MaxItems, MaxResults); text that is no integer is unreadable. */
export function queryInteger(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  if (!/^-?\d{1,15}$/.test(raw)) throw serializationException(`Query parameter '${name}' must be an integer, got '${raw}'`);
  return Number(raw);
}

/** A string query parameter; repeated or empty values count as given (AWS takes the first). */
export function queryString(query: URLSearchParams, name: string): string | undefined {
  return query.get(name) ?? undefined;
}
