import { readFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { delay } from './timing';

/**
 * Helpers for processes the cell started, possibly in a previous life. A pid alone is not an
 * identity (pids are reused), so the kernel's start time is stored with it and compared before any kill.
 */

async function readProcFile(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

interface ProcStat {
  state: string;
  startTicks: string;
}

async function readStat(pid: number): Promise<ProcStat | undefined> {
  const stat = await readProcFile(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // The command name may contain spaces and parentheses; the fields after its last ')' are plain.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTicks = fields[19];
  if (state === undefined || startTicks === undefined) return undefined;
  return { state, startTicks };
}

/** The kernel's start time of `pid` in clock ticks, or undefined without /proc or for a gone process. */
export async function processStartTicks(pid: number): Promise<string | undefined> {
  return (await readStat(pid))?.startTicks;
}

function signalZeroSucceeds(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True while `pid` runs and, when known, is still the process that started at `startTicks`. Zombies count as gone. */
export async function isProcessAlive(pid: number, startTicks?: string): Promise<boolean> {
  const stat = await readStat(pid);
  if (stat === undefined) return startTicks === undefined && process.platform !== 'linux' && signalZeroSucceeds(pid);
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return startTicks === undefined || stat.startTicks === startTicks;
}

/** Direct children of a single-threaded process (unshare's forked namespace init). */
export async function childPids(pid: number): Promise<number[]> {
  const children = await readProcFile(`/proc/${pid}/task/${pid}/children`);
  if (children === undefined) return [];
  return children
    .trim()
    .split(/\s+/)
    .filter((field) => field.length > 0)
    .map(Number)
    .filter((child) => Number.isInteger(child) && child > 0);
}

/** Sends a signal to a pid or, when negative, a process group; a process that is already gone is not an error. */
export function sendSignal(target: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(target, signal);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return false;
    throw error;
  }
}

/** Polls until none of the processes is alive, or the deadline passes; returns whether they are all gone. */
export async function waitUntilGone(processes: ReadonlyArray<{ pid: number; startTicks?: string }>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alive = await Promise.all(processes.map((entry) => isProcessAlive(entry.pid, entry.startTicks)));
    if (!alive.includes(true)) return true;
    if (Date.now() >= deadline) return false;
    await delay(50);
  }
}

function signalMask(status: string, field: string): bigint {
  const hex = new RegExp(`^${field}:\\s*([0-9a-f]+)$`, 'm').exec(status)?.[1];
  return hex === undefined ? 0n : BigInt(`0x${hex}`);
}

/**
 * Whether a signal sent now would reach the process: it has a handler or blocks the signal
 * (blocked signals stay pending). A namespace init with neither silently drops it, which happens
 * in the instant between an exec and the new program installing its handlers. undefined: gone.
 */
export async function receivesSignal(pid: number, signal: NodeJS.Signals): Promise<boolean | undefined> {
  const status = await readProcFile(`/proc/${pid}/status`);
  if (status === undefined) return undefined;
  const bit = 1n << BigInt(constants.signals[signal] - 1);
  return ((signalMask(status, 'SigBlk') | signalMask(status, 'SigCgt')) & bit) !== 0n;
}

/** The program a process currently runs (its comm); changes with every exec. */
export async function programName(pid: number): Promise<string | undefined> {
  return (await readProcFile(`/proc/${pid}/comm`))?.trim();
}
