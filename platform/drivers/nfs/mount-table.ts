import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/**
 * The host's mount table as the driver needs it. The driver never stats a mount point to learn
 * whether it is mounted: on a FUSE mount whose server hangs that would wait for the server.
 * It reads /proc/self/mountinfo instead.
 */

/** mountinfo escapes space, tab, newline and backslash as three-digit octal. */
function unescapeField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_match, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

export interface MountEntry {
  mountpoint: string;
  /** major:minor; each FUSE connection has its own, so it tells one mount at a path from a later one. */
  device: string;
  fsType: string;
}

export async function readMountTable(): Promise<MountEntry[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const separator = fields.indexOf('-', 6);
    const [device, mountpoint] = [fields[2], fields[4]];
    const fsType = fields[separator + 1];
    if (separator < 0 || device === undefined || mountpoint === undefined || fsType === undefined) continue;
    entries.push({ mountpoint: unescapeField(mountpoint), device, fsType });
  }
  return entries;
}

/** What is mounted at `path` now (the topmost mount, when mounts are stacked there). */
export async function mountAt(path: string): Promise<MountEntry | undefined> {
  const entries = (await readMountTable()).filter((entry) => entry.mountpoint === path);
  return entries[entries.length - 1];
}

/** Mounts strictly below `root`, deepest first. */
export async function mountsBelow(root: string): Promise<MountEntry[]> {
  const prefix = root.endsWith('/') ? root : `${root}/`;
  return (await readMountTable()).filter((entry) => entry.mountpoint.startsWith(prefix)).sort((a, b) => b.mountpoint.length - a.mountpoint.length);
}

/**
 * Detaches a mount even while programs still hold it or its server is gone (`fusermount -u -z`
 * for FUSE, `umount -l` for the kernel's): they get errors once its process is gone. Resolves
 * with the command's complaint, or undefined when it worked.
 */
export function lazyUnmount(mountpoint: string, kind: 'fuse' | 'kernel'): Promise<string | undefined> {
  const [command, args] = kind === 'fuse' ? ['fusermount', ['-u', '-z', mountpoint]] : ['umount', ['-l', mountpoint]];
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 10_000 }, (error, _stdout, stderr) => resolve(error ? (stderr.trim() || error.message) : undefined));
  });
}
