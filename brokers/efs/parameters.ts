import { errors, type JsonObject, type JsonValue } from '../../sdk';
import { InvalidContainerDirError, normaliseContainerDir } from '../../sdk/volume';
import type { RootDirectoryScope } from './naming';

/**
 * The create and bind parameters, read and checked one by one. The SDK has already checked
 * them against the catalog's schemas; these checks are the broker's own, so a catalog edited
 * by an operator cannot let a bad value reach AWS. Every problem of one request is reported
 * in one 400.
 */

export type ThroughputMode = 'bursting' | 'elastic';
export type PerformanceMode = 'generalPurpose' | 'maxIO';

export interface CreateParameters {
  throughputMode: ThroughputMode;
  encrypted: boolean;
  kmsKeyId?: string;
}

export interface BindParameters {
  uid: number;
  gid: number;
  rootDirectory: RootDirectoryScope;
  /** The container directory, already in canonical form; undefined means the default. */
  mount?: string;
  readonly: boolean;
}

/** 0 is root; 4294967295 is (uid_t)-1, which means "no change" to chown and is nobody's id. */
export const MAX_POSIX_ID = 0xffff_fffe;

/** KMS key ids as EFS's model accepts them: key id, mrk- key, alias, or the ARN of a key or alias. */
const KMS_KEY_ID =
  /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias\/[a-zA-Z0-9/_-]+|(arn:aws[-a-z]*:kms:[a-z0-9-]+:\d{12}:((key\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})|(key\/mrk-[0-9a-f]{32})|(alias\/[a-zA-Z0-9/_-]+))))$/;

const CREATE_KEYS = ['throughput_mode', 'encrypted', 'kms_key_id'] as const;
const BIND_KEYS = ['uid', 'gid', 'root_directory', 'mount', 'readonly'] as const;

export function readCreateParameters(parameters: JsonObject, performanceMode: PerformanceMode): CreateParameters {
  const problems = unknownKeys(parameters, CREATE_KEYS);
  let throughputMode: ThroughputMode = 'bursting';
  const mode = parameters.throughput_mode;
  if (mode !== undefined) {
    if (mode === 'bursting' || mode === 'elastic') throughputMode = mode;
    else problems.push(`throughput_mode must be "bursting" or "elastic", got ${show(mode)}`);
  }
  if (throughputMode === 'elastic' && performanceMode === 'maxIO') {
    problems.push('throughput_mode "elastic" is not available on the maxIO plan: AWS offers Max I/O file systems with bursting throughput only');
  }
  let encrypted = true;
  if (parameters.encrypted !== undefined) {
    if (typeof parameters.encrypted === 'boolean') encrypted = parameters.encrypted;
    else problems.push(`encrypted must be true or false, got ${show(parameters.encrypted)}`);
  }
  let kmsKeyId: string | undefined;
  const key = parameters.kms_key_id;
  if (key !== undefined) {
    if (typeof key !== 'string' || key.length > 2048 || !KMS_KEY_ID.test(key)) {
      problems.push(`kms_key_id must be a KMS key id, key ARN, alias/NAME or alias ARN, got ${show(key)}`);
    } else if (!encrypted) {
      problems.push('kms_key_id needs encrypted true: an unencrypted file system has no key');
    } else {
      kmsKeyId = key;
    }
  }
  if (problems.length > 0) throw invalidParameters(problems);
  return { throughputMode, encrypted, ...(kmsKeyId !== undefined ? { kmsKeyId } : {}) };
}

export function readBindParameters(parameters: JsonObject): BindParameters {
  const problems = unknownKeys(parameters, BIND_KEYS);
  const uid = readPosixId('uid', parameters.uid, problems);
  const gid = readPosixId('gid', parameters.gid, problems);
  let rootDirectory: RootDirectoryScope = 'instance';
  const scope = parameters.root_directory;
  if (scope !== undefined) {
    if (scope === 'instance' || scope === 'binding') rootDirectory = scope;
    else problems.push(`root_directory must be "instance" or "binding", got ${show(scope)}`);
  }
  let mount: string | undefined;
  if (parameters.mount !== undefined) {
    if (typeof parameters.mount !== 'string') {
      problems.push(`mount must be a string, got ${show(parameters.mount)}`);
    } else {
      try {
        mount = normaliseContainerDir(parameters.mount);
      } catch (error) {
        if (!(error instanceof InvalidContainerDirError)) throw error;
        problems.push(`the mount parameter is invalid: ${error.message}`);
      }
    }
  }
  let readonly = false;
  const flag = parameters.readonly;
  if (flag !== undefined) {
    if (flag === true || flag === 'true') readonly = true;
    else if (flag === false || flag === 'false') readonly = false;
    else problems.push(`readonly must be true or false, got ${show(flag)}`);
  }
  if (problems.length > 0 || uid === undefined || gid === undefined) throw invalidParameters(problems);
  return { uid, gid, rootDirectory, readonly, ...(mount !== undefined ? { mount } : {}) };
}

function readPosixId(name: 'uid' | 'gid', value: JsonValue | undefined, problems: string[]): number | undefined {
  if (value === undefined) {
    problems.push(`${name} is required: the POSIX ${name === 'uid' ? 'user' : 'group'} id the access point gives the app's file operations`);
    return undefined;
  }
  const id = typeof value === 'number' ? value : typeof value === 'string' && /^[1-9]\d{0,9}$/.test(value) ? Number(value) : undefined;
  if (id === undefined || !Number.isInteger(id) || id < 1 || id > MAX_POSIX_ID) {
    problems.push(`${name} must be a whole number from 1 to ${MAX_POSIX_ID} (0, root, is refused), got ${show(value)}`);
    return undefined;
  }
  return id;
}

function unknownKeys(parameters: JsonObject, known: readonly string[]): string[] {
  const unknown = Object.keys(parameters).filter((key) => !known.includes(key)).sort();
  if (unknown.length === 0) return [];
  return [`unknown parameters: ${unknown.map(showKey).join(', ')} (allowed: ${known.join(', ')})`];
}

function invalidParameters(problems: string[]): Error {
  return errors.badRequest(`The parameters are invalid: ${problems.join('; ')}.`);
}

function show(value: JsonValue): string {
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function showKey(key: string): string {
  return /^[A-Za-z0-9_.-]{1,64}$/.test(key) ? key : show(key);
}
