import { readFile } from 'node:fs/promises';
import { sep } from 'node:path';
import { runCommand } from './run-command';

export interface HostMount {
  mountPoint: string;
  fsType: string;
  source: string;
}

/** mountinfo escapes space, tab, newline and backslash as three-digit octal. */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_match, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Parses /proc/<pid>/mountinfo; lines that do not fit the format are skipped rather than guessed at. */
export function parseMountInfo(text: string): HostMount[] {
  const mounts: HostMount[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const separator = fields.indexOf('-', 6);
    const mountPoint = fields[4];
    const fsType = fields[separator + 1];
    const source = fields[separator + 2];
    if (separator === -1 || mountPoint === undefined || fsType === undefined || source === undefined) continue;
    mounts.push({ mountPoint: unescapeMountField(mountPoint), fsType, source: unescapeMountField(source) });
  }
  return mounts;
}

/** The cell's own mount table; empty where there is no /proc (isolation 'none' off Linux). */
export async function readHostMounts(): Promise<HostMount[]> {
  try {
    return parseMountInfo(await readFile('/proc/self/mountinfo', 'utf8'));
  } catch {
    return [];
  }
}

/**
 * Mount points below `directory` (and the directory itself when asked), deepest first so
 * children are unmounted before their parents.
 */
export function mountPointsBelow(mounts: readonly HostMount[], directory: string, includeDirectory = false): string[] {
  const trimmed = directory.length > 1 && directory.endsWith(sep) ? directory.slice(0, -1) : directory;
  const prefix = trimmed.endsWith(sep) ? trimmed : `${trimmed}${sep}`;
  const below = mounts
    .map((mount) => mount.mountPoint)
    .filter((point) => point.startsWith(prefix) || (includeDirectory && point === trimmed));
  return [...new Set(below)].sort((a, b) => b.split(sep).length - a.split(sep).length || b.length - a.length);
}

/** Unmounts one path, falling back to a lazy unmount when something still holds it busy. */
export async function unmountPath(mountPoint: string): Promise<void> {
  const plain = await runCommand('umount', [mountPoint]);
  if (plain.exitCode === 0) return;
  const lazy = await runCommand('umount', ['--lazy', mountPoint]);
  if (lazy.exitCode !== 0) throw new Error(`umount ${mountPoint} failed: ${lazy.stderr.trim() || plain.stderr.trim()}`);
}
