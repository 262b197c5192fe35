import { createHash } from 'node:crypto';
import type { JsonObject, JsonValue } from '../../sdk';
import { InvalidContainerDirError, normaliseContainerDir } from '../../sdk/volume';

/**
 * The mount options of Cloud Foundry's nfsbroker, read from create and bind parameters,
 * checked one by one, merged (bind over create) and turned into the bind's `mount_config`:
 * every value a string, keys sorted, `share` renamed `source` with an nfs:// prefix, and
 * `auto_cache: "true"` by default, exactly as nfsbroker does it, so the `volume_id` it
 * derives from them (`<instance id>-<md5 of the options as JSON>`) is nfsbroker's too.
 */

export interface MountOptions {
  uid?: number;
  gid?: number;
  /** The container directory, already in canonical form. */
  mount?: string;
  readonly?: boolean;
  version?: string;
  cache?: boolean;
  auto_cache?: boolean;
}

type OptionName = keyof MountOptions;

/** nfsbroker's allow-list (`--allowedOptions` of its deployment), less `source`, which no one may set. */
export const MOUNT_OPTION_NAMES: readonly OptionName[] = ['uid', 'gid', 'mount', 'readonly', 'version', 'cache', 'auto_cache'];

export const NFS_VERSIONS = ['3', '4', '4.0', '4.1', '4.2'] as const;
const MAX_ID = 0xffff_fffe;
/** strconv.ParseBool's spellings, which nfsbroker accepts for `cache`. */
const TRUE_WORDS = ['1', 't', 'T', 'true', 'TRUE', 'True'];
const FALSE_WORDS = ['0', 'f', 'F', 'false', 'FALSE', 'False'];

/** Every problem found in one set of parameters, so a user fixes them all at once. */
export class MountOptionsError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'MountOptionsError';
  }
}

export interface ReadOptions {
  /** Keys besides the mount options that the caller reads itself (`share` at create). */
  alsoAllowed?: readonly string[];
  /** Keys with their own explanation instead of "not allowed". */
  refused?: Readonly<Record<string, string>>;
}

/**
 * Reads the mount options out of `parameters`. Unknown keys are refused here, at create as
 * well as at bind (nfsbroker stores unknown create keys and fails only at bind).
 */
export function readMountOptions(parameters: JsonObject, options: ReadOptions = {}): MountOptions {
  const problems: string[] = [];
  const result: MountOptions = {};
  const notAllowed: string[] = [];
  for (const [key, value] of Object.entries(parameters)) {
    const refusal = options.refused?.[key];
    if (refusal !== undefined) problems.push(refusal);
    else if (options.alsoAllowed?.includes(key)) continue;
    else if (!isOptionName(key)) notAllowed.push(key);
    else readOption(key, value, result, problems);
  }
  if (notAllowed.length > 0) {
    const allowed = [...(options.alsoAllowed ?? []), ...MOUNT_OPTION_NAMES].join(', ');
    problems.unshift(`not allowed options: ${notAllowed.sort().map(showKey).join(', ')} (allowed: ${allowed})`);
  }
  if (problems.length > 0) throw new MountOptionsError(problems);
  return result;
}

/** Bind values replace create values key by key, as in nfsbroker; then the pair rules apply. */
export function mergeMountOptions(create: MountOptions, bind: MountOptions): MountOptions {
  const merged: MountOptions = { ...create, ...bind };
  if ((merged.uid === undefined) !== (merged.gid === undefined)) {
    throw new MountOptionsError([`uid and gid go together: ${merged.uid === undefined ? 'uid' : 'gid'} is missing`]);
  }
  return merged;
}

/** The bind's mount_config: string values under sorted keys. `readonly: false` is the same mount as no readonly, so it is left out. */
export function mountConfig(source: string, options: MountOptions): Record<string, string> {
  const config: Record<string, string> = { auto_cache: String(options.auto_cache ?? true), source };
  if (options.cache !== undefined) config.cache = String(options.cache);
  if (options.uid !== undefined) config.uid = String(options.uid);
  if (options.gid !== undefined) config.gid = String(options.gid);
  if (options.mount !== undefined) config.mount = options.mount;
  if (options.readonly === true) config.readonly = 'true';
  if (options.version !== undefined) config.version = options.version;
  return Object.fromEntries(Object.entries(config).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** nfsbroker's volume_id: the instance id and the md5 of the final options as Go's encoding/json writes them. */
export function volumeId(instanceId: string, config: Record<string, string>): string {
  return `${instanceId}-${createHash('md5').update(goJson(config), 'utf8').digest('hex')}`;
}

/**
 * A string map as Go's json.Marshal writes it: keys sorted, no white space, and `<`, `>`, `&`,
 * U+2028 and U+2029 escaped as \u00XX (Go's HTML-safe default), which JSON.stringify leaves as they are.
 */
export function goJson(config: Record<string, string>): string {
  const goString = (text: string): string =>
    JSON.stringify(text).replace(/[<>&\u2028\u2029]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const keys = Object.keys(config).sort();
  return `{${keys.map((key) => `${goString(key)}:${goString(config[key]!)}`).join(',')}}`;
}

function isOptionName(key: string): key is OptionName {
  return (MOUNT_OPTION_NAMES as readonly string[]).includes(key);
}

function readOption(key: OptionName, value: JsonValue, result: MountOptions, problems: string[]): void {
  switch (key) {
    case 'uid':
    case 'gid': {
      const id = readId(value);
      if (id === undefined) problems.push(`${key} must be a whole number from 1 to ${MAX_ID} (0, root, is refused), got ${show(value)}`);
      else result[key] = id;
      return;
    }
    case 'mount':
      if (typeof value !== 'string') {
        problems.push(`mount must be a string, got ${show(value)}`);
        return;
      }
      try {
        result.mount = normaliseContainerDir(value);
      } catch (error) {
        if (!(error instanceof InvalidContainerDirError)) throw error;
        problems.push(`the mount parameter is invalid: ${error.message}`);
      }
      return;
    case 'readonly':
      // nfsbroker takes only true; false is accepted here and means read-write.
      if (value === true || value === 'true') result.readonly = true;
      else if (value === false || value === 'false') result.readonly = false;
      else problems.push(`readonly must be true or false, got ${show(value)}`);
      return;
    case 'cache':
    case 'auto_cache': {
      const flag = readFlag(value);
      if (flag === undefined) problems.push(`${key} must be true or false, got ${show(value)}`);
      else result[key] = flag;
      return;
    }
    case 'version': {
      const version = readVersion(value);
      if (version === undefined) problems.push(`version must be one of ${NFS_VERSIONS.join(', ')}, got ${show(value)}`);
      else result.version = version;
      return;
    }
  }
}

function readId(value: JsonValue): number | undefined {
  const id = typeof value === 'number' ? value : typeof value === 'string' && /^[1-9]\d{0,9}$/.test(value) ? Number(value) : undefined;
  return id !== undefined && Number.isInteger(id) && id >= 1 && id <= MAX_ID ? id : undefined;
}

function readFlag(value: JsonValue): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return undefined;
  if (TRUE_WORDS.includes(value)) return true;
  if (FALSE_WORDS.includes(value)) return false;
  return undefined;
}

/** The NFS versions there are, as nfsv3driver writes them ("3.0" is "3"). */
function readVersion(value: JsonValue): string | undefined {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value : undefined;
  if (text === '3.0') return '3';
  return NFS_VERSIONS.find((version) => version === text);
}

function show(value: JsonValue): string {
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function showKey(key: string): string {
  return /^[A-Za-z0-9_.-]{1,64}$/.test(key) ? key : show(key);
}
