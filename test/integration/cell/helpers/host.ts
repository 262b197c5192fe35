import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { defaultContainHelperPath } from '../../../../platform/cell/isolation';

/**
 * Whether this machine can run the namespace isolation at all. Under CI=true a machine that
 * cannot is a failure, never a silent skip: CI runs as root on Linux with everything installed.
 */
export function canUseNamespaces(): boolean {
  const needs = ['/usr/bin/unshare', '/usr/sbin/nft', '/usr/sbin/ip', '/usr/bin/nsenter', defaultContainHelperPath()];
  const missing = needs.filter((path) => !existsSync(path));
  const isRoot = process.platform === 'linux' && process.getuid?.() === 0;
  if (isRoot && missing.length === 0) return true;
  if (process.env.CI === 'true') throw new Error(`namespace isolation tests cannot run: ${isRoot ? `missing ${missing.join(', ')}` : 'not root on Linux'}`);
  return false;
}

/** Host mount points at or below `directory`. */
export function hostMountPointsUnder(directory: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => point !== undefined)
    .map((point) => point.replace(/\\([0-7]{3})/g, (_m, octal: string) => String.fromCharCode(parseInt(octal, 8))))
    .filter((point) => point === directory || point.startsWith(`${directory}/`));
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Live (non-zombie) processes whose command line contains `marker`. */
export function livePidsMatching(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const cmdline = readOrEmpty(`/proc/${pid}/cmdline`).replace(/\0/g, ' ');
    if (!cmdline.includes(marker)) continue;
    const stat = readOrEmpty(`/proc/${pid}/stat`);
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    if (state !== undefined && state !== 'Z' && state !== 'X' && state !== '') pids.push(pid);
  }
  return pids;
}

export function isLive(pid: number): boolean {
  const stat = readOrEmpty(`/proc/${pid}/stat`);
  if (stat === '') return false;
  const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  return state !== 'Z' && state !== 'X';
}

/** `ps` as a second opinion next to /proc scanning. */
export function psLines(marker: string): string[] {
  return execFileSync('ps', ['-eo', 'pid,stat,args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(marker) && !/^\s*\d+\s+Z/.test(line));
}

/** Polls `check` until it returns a value other than undefined, or fails with `what` at the deadline. */
export async function eventually<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError === undefined ? '' : `: ${String(lastError)}`}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Last-resort clean-up for afterAll, so a failing test does not leave processes or mounts on the
 * machine: kill what carries the marker, lazily unmount what is under `root`, then delete it.
 */
export function forceCleanup(root: string, marker: string): void {
  for (const pid of livePidsMatching(marker)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const mountPoint of hostMountPointsUnder(root).reverse()) {
    try {
      execFileSync('umount', ['--lazy', mountPoint]);
    } catch {
      // reported by the test that checks mounts
    }
  }
  if (hostMountPointsUnder(root).length === 0) rmSync(root, { recursive: true, force: true });
}
