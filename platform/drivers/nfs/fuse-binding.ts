import { accessSync, constants, readFileSync } from 'node:fs';

/**
 * The slice of @cocalc/fuse-native (an optional dependency: it compiles against libfuse-dev)
 * that the FUSE mount process uses, typed here so the driver builds and runs, and can say
 * plainly why FUSE is missing, on machines where the package could not be built.
 */

export type Callback = (code: number) => void;

export interface FuseStat {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  dev: number;
  nlink: number;
  ino: number;
  rdev: number;
  blksize: number;
  blocks: number;
  atime: Date;
  mtime: Date;
  ctime: Date;
}

export interface FuseStatfs {
  bsize: number;
  frsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  favail: number;
  fsid: number;
  flag: number;
  namemax: number;
}

/**
 * The operations, path-based as in libfuse's high-level API. Every callback takes a negative
 * errno on failure; read and write take the byte count instead of 0 on success.
 */
export interface FuseOperations {
  init(cb: Callback): void;
  getattr(path: string, cb: (code: number, stat?: FuseStat) => void): void;
  fgetattr(path: string, fd: number, cb: (code: number, stat?: FuseStat) => void): void;
  access(path: string, mode: number, cb: Callback): void;
  statfs(path: string, cb: (code: number, stat?: FuseStatfs) => void): void;
  readdir(path: string, cb: (code: number, names?: string[], stats?: FuseStat[]) => void): void;
  open(path: string, flags: number, cb: (code: number, fd?: number) => void): void;
  create(path: string, mode: number, cb: (code: number, fd?: number) => void): void;
  read(path: string, fd: number, buffer: Buffer, length: number, position: number, cb: Callback): void;
  write(path: string, fd: number, buffer: Buffer, length: number, position: number, cb: Callback): void;
  flush(path: string, fd: number, cb: Callback): void;
  fsync(path: string, dataSync: boolean, fd: number, cb: Callback): void;
  release(path: string, fd: number, cb: Callback): void;
  truncate(path: string, size: number, cb: Callback): void;
  ftruncate(path: string, fd: number, size: number, cb: Callback): void;
  utimens(path: string, atime: Date, mtime: Date, cb: Callback): void;
  chmod(path: string, mode: number, cb: Callback): void;
  chown(path: string, uid: number, gid: number, cb: Callback): void;
  unlink(path: string, cb: Callback): void;
  rmdir(path: string, cb: Callback): void;
  mkdir(path: string, mode: number, cb: Callback): void;
  rename(from: string, to: string, cb: Callback): void;
  symlink(target: string, path: string, cb: Callback): void;
  readlink(path: string, cb: (code: number, target?: string) => void): void;
}

export interface FuseInstance {
  mount(cb: (error: Error | null) => void): void;
}

export interface FuseModule {
  new (mountpoint: string, operations: FuseOperations, options: { timeout: number; mkdir?: boolean }): FuseInstance;
}

/** Loads the binding, or says in one sentence why it cannot be used. */
export function loadFuseModule(): { module: FuseModule } | { problem: string } {
  let loaded: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- an optional dependency, loaded only when FUSE is used
    loaded = require('@cocalc/fuse-native');
  } catch (error) {
    const detail = error instanceof Error ? error.message.split('\n', 1)[0] : String(error);
    return { problem: `the FUSE binding @cocalc/fuse-native is not installed or did not build (${detail}); install fuse and libfuse-dev, then run npm ci` };
  }
  if (!isFuseModule(loaded)) return { problem: 'the FUSE binding @cocalc/fuse-native does not export its Fuse class' };
  return { module: loaded };
}

function isFuseModule(value: unknown): value is FuseModule {
  return typeof value === 'function' && typeof (value as { prototype?: { mount?: unknown } }).prototype?.mount === 'function';
}

/**
 * The mount options the process passes to libfuse. The binding builds its own list from a
 * fixed set of names; `-o` options it does not know (big_writes, max_write, ro) go in through
 * an override of its `_fuseOptions`, which it calls when mounting.
 */
export function withFuseOptions(base: FuseModule, options: readonly string[]): FuseModule {
  const text = `-o${options.join(',')}`;
  return class extends base {
    _fuseOptions(): string {
      return text;
    }
  };
}

/** Why this process cannot make FUSE mounts other users (the app's user) may enter, or undefined when it can. */
export function fuseMountProblem(): string | undefined {
  try {
    accessSync('/dev/fuse', constants.R_OK | constants.W_OK);
  } catch {
    return '/dev/fuse is missing or not readable and writable by this user (the kernel needs FUSE, and the driver must run as root)';
  }
  if (process.getuid?.() !== 0 && !userAllowOther()) {
    return 'the driver does not run as root and /etc/fuse.conf has no user_allow_other, so its mounts could not be used by the app user';
  }
  return undefined;
}

function userAllowOther(): boolean {
  try {
    return /^\s*user_allow_other\s*$/m.test(readFileSync('/etc/fuse.conf', 'utf8'));
  } catch {
    return false;
  }
}
