import { readFile } from 'node:fs/promises';
import { MOUNT_PROCESS_MARKER } from './fuse-protocol';

/**
 * The FUSE mount processes as the driver sees them after the fact (it may have been restarted
 * since it started one): a pid is only taken to be the mount's process while its kernel start
 * time is the one recorded and its command line is a mount process's for that mount point, so
 * a reused pid is never signalled.
 */

export interface MountProcessIdentity {
  pid: number;
  /** The kernel's start time of the process, in clock ticks (field 22 of /proc/<pid>/stat). */
  startTicks: string;
}

async function readProcText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

export async function processStartTicks(pid: number): Promise<string | undefined> {
  const stat = await readProcText(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  return fields[19];
}

/** Whether the mount process for `mountpoint` recorded as `identity` still runs. */
export async function isMountProcess(identity: MountProcessIdentity, mountpoint: string): Promise<boolean> {
  if ((await processStartTicks(identity.pid)) !== identity.startTicks) return false;
  const argv = (await readProcText(`/proc/${identity.pid}/cmdline`))?.split('\0') ?? [];
  return argv.includes(MOUNT_PROCESS_MARKER) && argv.includes(mountpoint);
}

/** Signals the process if it is still the recorded one; false when it is gone. */
export async function signalMountProcess(identity: MountProcessIdentity, mountpoint: string, signal: NodeJS.Signals): Promise<boolean> {
  if (!(await isMountProcess(identity, mountpoint))) return false;
  try {
    process.kill(identity.pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** Polls until the process is gone or `ms` pass; returns whether it is gone. */
export async function waitForExit(identity: MountProcessIdentity, mountpoint: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!(await isMountProcess(identity, mountpoint))) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
