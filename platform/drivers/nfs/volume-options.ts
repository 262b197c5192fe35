import { parseShare, shareText, ShareSyntaxError, type NfsShare } from '../../../sdk/volume/nfs-share';

/**
 * The driver's own reading of a volume's mount_config, whichever broker wrote it: nfsbroker's
 * keys (every value a string there; numbers and booleans are taken too), each checked, and
 * anything else refused, as nfsv3driver's hard-coded allow-list does. The driver trusts no
 * broker: a value it cannot use is refused with the reason, never passed on.
 */

export interface NfsVolumeOptions {
  /** The share, canonical (sdk/volume/nfs-share.ts), from `source: nfs://server/path`. */
  share: NfsShare;
  /** The identity the server sees; absent when the binding names none (then the app's own). */
  uid?: number;
  gid?: number;
  readOnly: boolean;
  /** The NFS version asked for: "3" (what both mounters speak) unless given. */
  version: string;
}

export class VolumeOptionsError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'VolumeOptionsError';
  }
}

/** nfsbroker's option names. `mount` is the container's path, the cell's business; the cache flags have no effect here. */
const ALLOWED = ['source', 'uid', 'gid', 'readonly', 'version', 'mount', 'cache', 'auto_cache'] as const;
const MAX_ID = 0xffff_fffe;
const TRUE_WORDS = ['1', 't', 'T', 'true', 'TRUE', 'True'];
const FALSE_WORDS = ['0', 'f', 'F', 'false', 'FALSE', 'False'];

export function readVolumeOptions(opts: Record<string, unknown>): NfsVolumeOptions {
  const problems: string[] = [];
  const unknown = Object.keys(opts).filter((key) => !(ALLOWED as readonly string[]).includes(key));
  if (unknown.includes('username') || unknown.includes('password')) problems.push('LDAP user names (username, password) are not supported: give uid and gid');
  const other = unknown.filter((key) => key !== 'username' && key !== 'password');
  if (other.length > 0) problems.push(`not allowed options: ${other.sort().map(showKey).join(', ')} (allowed: ${ALLOWED.join(', ')})`);

  const share = readSource(opts.source, problems);
  const uid = readId('uid', opts.uid, problems);
  const gid = readId('gid', opts.gid, problems);
  if ((opts.uid === undefined) !== (opts.gid === undefined)) problems.push(`uid and gid go together: ${opts.uid === undefined ? 'uid' : 'gid'} is missing`);
  const readOnly = readFlag('readonly', opts.readonly, problems) ?? false;
  readFlag('cache', opts.cache, problems);
  readFlag('auto_cache', opts.auto_cache, problems);
  if (opts.mount !== undefined && typeof opts.mount !== 'string') problems.push(`mount must be a string, got ${show(opts.mount)}`);
  const version = readVersion(opts.version, problems);

  if (problems.length > 0 || share === undefined) throw new VolumeOptionsError(problems);
  return { share, ...(uid !== undefined && { uid }), ...(gid !== undefined && { gid }), readOnly, version };
}

function readSource(value: unknown, problems: string[]): NfsShare | undefined {
  if (value === undefined) {
    problems.push('source is missing: the broker must give nfs://server/path');
    return undefined;
  }
  if (typeof value !== 'string' || !value.toLowerCase().startsWith('nfs://')) {
    problems.push(`source must be nfs://server/path, got ${show(value)}`);
    return undefined;
  }
  try {
    return parseShare(value.slice('nfs://'.length));
  } catch (error) {
    if (!(error instanceof ShareSyntaxError)) throw error;
    problems.push(`source ${show(value)} is not a share: ${error.problem}`);
    return undefined;
  }
}

function readId(key: 'uid' | 'gid', value: unknown, problems: string[]): number | undefined {
  if (value === undefined) return undefined;
  const id = typeof value === 'number' ? value : typeof value === 'string' && /^[1-9]\d{0,9}$/.test(value) ? Number(value) : undefined;
  if (id !== undefined && Number.isInteger(id) && id >= 1 && id <= MAX_ID) return id;
  problems.push(`${key} must be a whole number from 1 to ${MAX_ID} (0, root, is refused), got ${show(value)}`);
  return undefined;
}

function readFlag(key: string, value: unknown, problems: string[]): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && TRUE_WORDS.includes(value)) return true;
  if (typeof value === 'string' && FALSE_WORDS.includes(value)) return false;
  problems.push(`${key} must be true or false, got ${show(value)}`);
  return undefined;
}

function readVersion(value: unknown, problems: string[]): string {
  if (value === undefined) return '3';
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value : undefined;
  if (text === '3' || text === '3.0') return '3';
  if (text !== undefined && ['4', '4.0', '4.1', '4.2'].includes(text)) {
    problems.push(`version ${text}: this driver mounts NFS version 3 only`);
  } else {
    problems.push(`version must be 3, got ${show(value)}`);
  }
  return '3';
}

/** The share in the form users and brokers write it, for messages. */
export function shareName(share: NfsShare): string {
  return shareText(share);
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function showKey(key: string): string {
  return /^[A-Za-z0-9_.-]{1,64}$/.test(key) ? key : show(key);
}
