import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';

/**
 * Files only their owner may read: the cell's API secret, the bootstrap admin's password and
 * the CLI's login. Created with mode 0600 (a umask can only narrow it), and refused when
 * someone loosened the mode since.
 */

/** The file's content, trimmed; refused when group or others may read or write it. */
export function readPrivateFile(path: string): string {
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) throw new Error(`${path} may be read or written by others (mode ${mode.toString(8)}); run: chmod 600 ${path}`);
  const content = readFileSync(path, 'utf8').trim();
  if (content === '') throw new Error(`${path} is empty`);
  return content;
}

/** The secret in `path`, made (32 random bytes, base64url, mode 0600) when the file does not exist. */
export function ensureSecretFile(path: string): string {
  try {
    // 'wx' never replaces a secret a running part of the platform already holds.
    writeFileSync(path, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readPrivateFile(path);
}

/** Replaces `path` atomically with a 0600 file, so no reader ever sees half of it. */
export function writePrivateFile(path: string, content: string): void {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temporary, content, { mode: 0o600, flag: 'wx' });
  renameSync(temporary, path);
}
