import { createHash } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';

/*
 * The local broker creates one directory per volume and the local driver
 * mounts the same directory, so both derive its name from the volume id
 * here. Ids come from API callers and may be anything.
 *
 * Two forms, told apart by their first two characters so they never meet:
 *   "v-" + id         when the id is 1..100 RFC 3986 unreserved characters
 *                     and is not "." or ".." (the prefix already keeps such
 *                     names from being hidden or looking like options);
 *   "h-" + sha256     of the id's UTF-16 code units otherwise. Hashing the
 *                     code units rather than UTF-8 keeps ids that differ only
 *                     in lone surrogates apart.
 *
 * On a case-insensitive file system "v-ABC" and "v-abc" are the same
 * directory; instance ids are lower-case GUIDs in practice.
 */

const READABLE_ID = /^[A-Za-z0-9._~-]{1,100}$/;
const READABLE_PREFIX = 'v-';
const HASHED_PREFIX = 'h-';

export function localVolumeDirName(volumeId: string): string {
  if (READABLE_ID.test(volumeId) && volumeId !== '.' && volumeId !== '..') {
    return `${READABLE_PREFIX}${volumeId}`;
  }
  const digest = createHash('sha256').update(Buffer.from(volumeId, 'utf16le')).digest('hex');
  return `${HASHED_PREFIX}${digest}`;
}

/** The absolute directory for `volumeId`, guaranteed to sit directly in `root`. */
export function localVolumePath(root: string, volumeId: string): string {
  if (root === '') throw new Error('volumes root must not be empty');
  const absoluteRoot = resolve(root);
  const name = localVolumeDirName(volumeId);
  const volumePath = join(absoluteRoot, name);
  if (dirname(volumePath) !== absoluteRoot || basename(volumePath) !== name) {
    throw new Error(`volume directory for ${JSON.stringify(volumeId)} would fall outside ${absoluteRoot}`);
  }
  return volumePath;
}
