import { posix } from 'node:path';

/**
 * The one set of rules for a volume's `container_dir`, shared by the brokers (so a bind the
 * cell would refuse is refused with 400 at bind time), the controller (which checks what any
 * broker returns) and the cell (which checks what it is asked to mount).
 */

export class InvalidContainerDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidContainerDirError';
  }
}

export const MAX_CONTAINER_DIR_LENGTH = 1024;

// eslint-disable-next-line no-control-regex -- control characters are exactly what is being refused
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * Directories a volume may not cover or sit inside: the system files the container's tools run
 * from, the pseudo filesystems, and the app's own files (a volume there would hide or replace
 * the pushed app).
 */
const RESERVED_TREES = ['/usr', '/etc', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/proc', '/sys', '/dev', '/home/vcap/app'];

/** Directories a volume may sit inside but not replace: the app user's home and the scratch space. */
const IRREPLACEABLE_DIRS = ['/home', '/home/vcap', '/tmp'];

/**
 * Why `dir`, exactly as given, is not an acceptable container directory, or undefined. The form
 * must be canonical (absolute, normalised, no trailing slash), so that two spellings of one
 * directory can never both be mounted.
 */
export function containerDirProblem(dir: string): string | undefined {
  if (dir.length === 0) return 'must not be empty';
  if (dir.length > MAX_CONTAINER_DIR_LENGTH) return `must be at most ${MAX_CONTAINER_DIR_LENGTH} characters`;
  if (CONTROL_CHARACTERS.test(dir)) return 'must not contain control characters';
  if (!dir.startsWith('/')) return 'must be an absolute path';
  if (dir.split('/').includes('..')) return "must not contain '..' segments";
  if (posix.normalize(dir) === '/') return 'must not be the container root';
  if (dir.endsWith('/') || posix.normalize(dir) !== dir) return "must be normalised (no '.' segments, repeated or trailing slashes)";
  const tree = RESERVED_TREES.find((reserved) => dir === reserved || dir.startsWith(`${reserved}/`));
  if (tree !== undefined) return `must not be ${tree} or inside it (a system directory)`;
  if (IRREPLACEABLE_DIRS.includes(dir)) return `must not replace ${dir} (a directory of the container itself; use a directory inside it)`;
  return undefined;
}

/**
 * Turns a user-supplied mount path (a bind parameter such as `mount`) into the canonical form,
 * then applies containerDirProblem. Repeated slashes, `.` segments and a trailing slash are
 * tidied; anything whose meaning would have to be guessed (relative paths, `..`) is refused.
 */
export function normaliseContainerDir(input: string): string {
  if (typeof input !== 'string' || input === '') throw new InvalidContainerDirError('container directory must be a non-empty string');
  const shown = JSON.stringify(input);
  if (CONTROL_CHARACTERS.test(input)) throw new InvalidContainerDirError(`container directory ${shown} must not contain control characters`);
  if (!input.startsWith('/')) throw new InvalidContainerDirError(`container directory ${shown} must be an absolute path`);
  if (input.split('/').includes('..')) throw new InvalidContainerDirError(`container directory ${shown} must not contain '..' segments`);
  const normalised = posix.normalize(input).replace(/\/+$/, '');
  if (normalised === '') throw new InvalidContainerDirError(`container directory ${shown} must not be the container root`);
  const problem = containerDirProblem(normalised);
  if (problem !== undefined) throw new InvalidContainerDirError(`container directory ${shown} ${problem}`);
  return normalised;
}
