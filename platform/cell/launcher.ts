import type { ChildProcess } from 'node:child_process';
import { processStartTicks } from './host-processes';
import { LineSplitter } from './line-splitter';
import type { ContainerVolume } from './setup-script';
import { settleWithin } from './timing';
import type { EgressRule, IsolationMode } from './types';
import type { WorkspacePaths } from './workspace';

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LaunchRequest {
  containerId: string;
  command: string;
  environment: Record<string, string>;
  workspace: WorkspacePaths;
  volumes: ContainerVolume[];
  /** What the app may reach over the network (namespaces only). */
  egress: EgressRule[];
  onOutput(source: 'OUT' | 'ERR', line: string): void;
  /** The container is built and the app's own command is being executed. */
  onReady(): void;
}

export interface LaunchedProcess {
  /** Host pid of the outermost process the cell started. */
  readonly pid: number;
  readonly startTicks: string | undefined;
  /** Settles once the process has exited and its output has been read. */
  readonly exited: Promise<ProcessExit>;
  /** TERM, then KILL after `graceMs`; settles when the process is gone. */
  terminate(graceMs: number): Promise<ProcessExit>;
}

/** How the app sees its surroundings, which differs with and without a container root. */
export interface AppView {
  home: string;
  defaultPath: string;
  volumePath(volume: ContainerVolume): string;
}

export interface InstanceLauncher {
  readonly mode: IsolationMode;
  appView(workspace: WorkspacePaths): AppView;
  launch(request: LaunchRequest): Promise<LaunchedProcess>;
}

/** How long to wait for output pipes after exit when a stray grandchild keeps them open. */
const OUTPUT_DRAIN_MS = 2_000;
/** A process that survives SIGKILL this long is stuck in the kernel (for example on a dead FUSE mount). */
const KILL_WAIT_MS = 10_000;

/** Resolves once the child is running, or rejects if it could not be started at all. */
export function whenSpawned(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    child.once('spawn', () => {
      if (child.pid === undefined) reject(new Error('process started without a pid'));
      else resolve(child.pid);
    });
    child.once('error', reject);
  });
}

/** Turns the child's stdout and stderr into log lines and reports its exit once the output is drained. */
export function watchChild(child: ChildProcess, onOutput: LaunchRequest['onOutput']): Promise<ProcessExit> {
  const streams = [
    { stream: child.stdout, source: 'OUT' as const },
    { stream: child.stderr, source: 'ERR' as const },
  ];
  for (const { stream, source } of streams) {
    if (stream === null) continue;
    const splitter = new LineSplitter((line) => onOutput(source, line));
    stream.on('data', (chunk: Buffer) => splitter.push(chunk));
    stream.on('end', () => splitter.flush());
    stream.on('error', () => splitter.flush());
  }
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      const exit = { code, signal };
      const drained = setTimeout(() => resolve(exit), OUTPUT_DRAIN_MS);
      drained.unref();
      child.once('close', () => {
        clearTimeout(drained);
        resolve(exit);
      });
    });
  });
}

/**
 * The stop sequence shared by both launchers: ask politely, wait out the grace period, then
 * force. Asking may take a while (it can wait for the process to be able to hear it), so it runs
 * inside the grace period rather than before it. Rejects only if SIGKILL leaves the process running.
 */
export async function terminateProcess(
  exited: Promise<ProcessExit>,
  graceMs: number,
  askToStop: (deadline: number) => Promise<void>,
  forceStop: () => void,
): Promise<ProcessExit> {
  // A failure to ask is no reason to skip the forced stop below.
  void askToStop(Date.now() + graceMs).catch(() => undefined);
  const graceful = await settleWithin(exited, graceMs);
  if (graceful.settled) return graceful.value;
  forceStop();
  const forced = await settleWithin(exited, KILL_WAIT_MS);
  if (!forced.settled) throw new Error(`process still running ${KILL_WAIT_MS} ms after SIGKILL`);
  return forced.value;
}

/** Common tail of launching: record the process identity and build the handle. */
export async function launchedProcess(
  pid: number,
  exited: Promise<ProcessExit>,
  terminate: (graceMs: number) => Promise<ProcessExit>,
): Promise<LaunchedProcess> {
  const startTicks = await processStartTicks(pid);
  return { pid, startTicks, exited, terminate };
}
