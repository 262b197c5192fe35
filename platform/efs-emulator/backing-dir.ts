import { chmod, lchown, lstat, mkdir, realpath, rm, rmdir } from 'node:fs/promises';
import { join, relative, isAbsolute } from 'node:path';
import type { RootDirectory } from './records';

/**
 * The directories behind the file systems, for an NFS server (the shared NFS-Ganesha) to
 * export: file system fs-X is the directory ROOT/fs-X, whose contents are the file system's
 * contents. An access point's RootDirectory "/a/b" is ROOT/fs-X/a/b.
 */

export interface BackingDirLogger {
  warn(message: string): void;
}

/** EFS creates a new file system's root directory owned by root with mode 0755. */
const FILE_SYSTEM_ROOT_MODE = 0o755;

export function fileSystemDir(root: string, fileSystemId: string): string {
  return join(root, fileSystemId);
}

export async function createFileSystemDir(root: string, fileSystemId: string): Promise<void> {
  await mkdir(root, { recursive: true });
  const dir = fileSystemDir(root, fileSystemId);
  try {
    await mkdir(dir, { mode: FILE_SYSTEM_ROOT_MODE });
  } catch (error) {
    // A restarted emulator creates the directories of its state file's file systems again.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  await chmod(dir, FILE_SYSTEM_ROOT_MODE);
}

/** Removes the file system's directory and everything in it; symbolic links inside are removed, never followed. */
export async function removeFileSystemDir(root: string, fileSystemId: string): Promise<void> {
  await rm(fileSystemDir(root, fileSystemId), { recursive: true, force: true });
}

function inside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Creates an access point's root directory as EFS does when a client first connects through
 * it: each missing component of the path is made with CreationInfo's owner and permissions;
 * components that exist are left alone. Without CreationInfo nothing is made (EFS then fails
 * the mount). The file system's contents are written by NFS clients, so a component that is a
 * symbolic link or not a directory stops the walk with a warning: the emulator, which may run
 * as root, never creates or chowns anything outside the file system's directory.
 */
export async function createAccessPointRoot(root: string, fileSystemId: string, rootDirectory: RootDirectory, logger: BackingDirLogger): Promise<void> {
  const info = rootDirectory.CreationInfo;
  if (info === undefined || rootDirectory.Path === '/') return;
  const base = await realpath(fileSystemDir(root, fileSystemId));
  const mode = parseInt(info.Permissions, 8);
  let current = base;
  for (const component of rootDirectory.Path.split('/').filter((part) => part !== '')) {
    const next = join(current, component);
    let created = false;
    try {
      await mkdir(next, { mode: 0o700 });
      created = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const stats = await lstat(next);
    if (!stats.isDirectory()) {
      logger.warn(`access point root ${rootDirectory.Path} of ${fileSystemId}: ${component} is not a directory; not created`);
      return;
    }
    // A component swapped for a link between the mkdir and here must not lead us outside.
    const resolved = await realpath(next);
    if (!inside(base, resolved)) {
      if (created) await rmdir(next).catch(() => undefined);
      logger.warn(`access point root ${rootDirectory.Path} of ${fileSystemId}: ${component} leads outside the file system; not created`);
      return;
    }
    if (created) {
      await lchown(resolved, info.OwnerUid, info.OwnerGid);
      await chmod(resolved, mode);
    }
    current = resolved;
  }
}
