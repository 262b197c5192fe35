import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The unit of /proc's CPU times (USER_HZ); 100 wherever getconf is missing. */
const CLOCK_TICKS_PER_SECOND = ((): number => {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
})();

/** User plus system CPU time of a process so far (all its threads), in microseconds; NaN without Linux /proc. */
export function cpuMicros(pid: number): number {
  return statCpuMicros(`/proc/${pid}/stat`);
}

/** The same for one thread of a process; a process's main thread has the process's id. */
export function threadCpuMicros(pid: number, tid: number): number {
  return statCpuMicros(`/proc/${pid}/task/${tid}/stat`);
}

function statCpuMicros(path: string): number {
  try {
    const stat = readFileSync(path, 'utf8');
    // Fields after the command name, which may itself hold spaces: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}
