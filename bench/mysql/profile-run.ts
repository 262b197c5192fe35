import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ProfileResult } from './profile';
import { summarizeProfile, type CpuProfile, type ProfileSummary } from './profile-summary';

const run = promisify(execFile);

export interface ProfiledSide {
  result: ProfileResult;
  summary: ProfileSummary;
}

/**
 * One side of the cycle (bench/mysql/profile.ts) in a fresh process under V8's sampling
 * profiler: `warmup` cycles uncounted, then `cycles` profiled. The command is returned too,
 * so the report can say how the figures were made.
 */
export async function profileSide(side: 'broker' | 'floor', cycles: number, warmup: number, mysqlUrl: string): Promise<ProfiledSide> {
  const work = mkdtempSync(join(tmpdir(), 'osbkit-mysql-profile-'));
  try {
    const profileFile = join(work, `${side}.cpuprofile`);
    const resultFile = join(work, `${side}.json`);
    await run(process.execPath, [join(__dirname, 'profile.js'), side, String(cycles)], {
      env: { ...process.env, MYSQL_URL: mysqlUrl, PROFILE_WARMUP: String(warmup), PROFILE_CPU: profileFile, PROFILE_RESULT: resultFile },
      timeout: 600_000,
    });
    const result = JSON.parse(readFileSync(resultFile, 'utf8')) as ProfileResult;
    const summary = summarizeProfile(JSON.parse(readFileSync(profileFile, 'utf8')) as CpuProfile, cycles, 12);
    return { result, summary };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export function profileCommand(side: 'broker' | 'floor', cycles: number, warmup: number): string {
  return `PROFILE_WARMUP=${warmup} PROFILE_CPU=${side}.cpuprofile node dist/bench/mysql/profile.js ${side} ${cycles}`;
}

/** User-space instructions per cycle under callgrind: the main thread (the event loop) apart from the rest. */
export interface CountedSide {
  mainThread: number;
  allThreads: number;
}

export function hasCallgrind(): boolean {
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * One side under valgrind's callgrind, one output file per thread, counting only the
 * `cycles` after `warmup` uncounted ones. Thread 1 is the main thread; the others are V8's
 * compiler and garbage collector threads and libuv's pool, which run beside it.
 */
export async function countSide(side: 'broker' | 'floor', cycles: number, warmup: number, mysqlUrl: string): Promise<CountedSide> {
  const work = mkdtempSync(join(tmpdir(), 'osbkit-mysql-callgrind-'));
  try {
    await run(
      'valgrind',
      ['--tool=callgrind', '--instr-atstart=no', '--separate-threads=yes', `--callgrind-out-file=${join(work, 'callgrind.out')}`, process.execPath, join(__dirname, 'profile.js'), side, String(cycles)],
      { env: { ...process.env, MYSQL_URL: mysqlUrl, PROFILE_WARMUP: String(warmup), PROFILE_CALLGRIND: '1' }, timeout: 1_800_000, maxBuffer: 16 * 1024 * 1024 },
    );
    let mainThread = 0;
    let allThreads = 0;
    for (const file of readdirSync(work)) {
      const thread = /^callgrind\.out-(\d+)$/.exec(file);
      if (!thread) continue;
      const totals = /^totals:\s+(\d+)/m.exec(readFileSync(join(work, file), 'utf8'));
      const count = totals ? Number(totals[1]) : 0;
      allThreads += count;
      if (Number(thread[1]) === 1) mainThread = count;
    }
    if (mainThread === 0) throw new Error(`callgrind counted nothing on the ${side} side's main thread`);
    return { mainThread: mainThread / cycles, allThreads: allThreads / cycles };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export function countCommand(side: 'broker' | 'floor', cycles: number, warmup: number): string {
  return `PROFILE_WARMUP=${warmup} PROFILE_CALLGRIND=1 valgrind --tool=callgrind --instr-atstart=no --separate-threads=yes node dist/bench/mysql/profile.js ${side} ${cycles}`;
}
