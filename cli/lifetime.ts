import { readFile } from 'node:fs/promises';
import { isProcessAlive, processStartTicks } from '../platform/cell/host-processes';

/**
 * How long the CLI's long-running commands live. A part that `osbkit up` forked stops when `up`
 * stops, even when `up` was killed outright (its IPC channel closes); `up` itself stops with the
 * process that started it when that is npm, because supervisors signal one pid and npm does not
 * pass the signal through the shell it runs scripts in.
 */

/** Runs `close` once on TERM, INT, or the loss of the IPC channel to the parent that forked us. */
export function stopOnSignals(close: () => Promise<void> | void): void {
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void Promise.resolve()
      .then(close)
      .finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  if (process.send !== undefined) process.once('disconnect', stop);
}

const SHELLS = new Set(['sh', 'dash', 'bash', 'zsh', 'ash', 'busybox']);
const WATCH_INTERVAL_MS = 500;

interface Ancestor {
  pid: number;
  startTicks: string | undefined;
}

async function parentOf(pid: number): Promise<{ ppid: number; name: string } | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return undefined;
  const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  return Number.isInteger(ppid) ? { ppid, name } : undefined;
}

/** Our parent, and its parents as long as they are shells: npm runs scripts through `sh -c`. */
async function ancestorsUpToTheFirstNonShell(): Promise<Ancestor[]> {
  const chain: Ancestor[] = [];
  let pid = process.ppid;
  while (pid > 1 && chain.length < 8) {
    chain.push({ pid, startTicks: await processStartTicks(pid) });
    const parent = await parentOf(pid);
    if (parent === undefined || !SHELLS.has(parent.name)) break;
    pid = parent.ppid;
  }
  return chain;
}

/**
 * Calls `onGone` once when the process that started us (through any shells in between) ends.
 * Only on Linux, where /proc tells; elsewhere a change of our parent pid is the sign.
 */
export async function watchStarter(onGone: () => void): Promise<() => void> {
  const startedBy = process.ppid;
  const chain = process.platform === 'linux' ? await ancestorsUpToTheFirstNonShell() : [];
  let fired = false;
  const timer = setInterval(() => {
    void (async () => {
      const gone = process.ppid !== startedBy || (await Promise.all(chain.map((entry) => isProcessAlive(entry.pid, entry.startTicks)))).includes(false);
      if (gone && !fired) {
        fired = true;
        clearInterval(timer);
        onGone();
      }
    })();
  }, WATCH_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** `osbkit up` follows its starter down when npm started it, or when asked to. */
export function shouldExitWithStarter(flag: boolean | undefined): boolean {
  return flag ?? process.env.npm_lifecycle_event !== undefined;
}
