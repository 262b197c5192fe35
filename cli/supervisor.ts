import { fork, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Runs the platform's parts as child processes of `osbkit up`: each one logs to its own file
 * and reports readiness over IPC. If one dies, `up` says so loudly and restarts it.
 */
export interface ChildSpec {
  name: string;
  args: string[];
  env?: Record<string, string>;
}

interface Running {
  spec: ChildSpec;
  child: ChildProcess;
  ready: string | undefined;
}

const CLI_ENTRY = join(__dirname, 'main.js');
const TAIL_BYTES = 64 * 1024;
const REASON_LIMIT = 500;

/**
 * The line of a part's log that says why it stopped: the last error a logger wrote (pino JSON,
 * level 50 or more), or else the last line the part printed, such as the CLI's FAILED message.
 */
export function failureReason(logText: string): string | undefined {
  const lines = logText.split('\n').map((line) => line.trim()).filter((line) => line !== '' && line !== 'FAILED');
  for (const line of [...lines].reverse()) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { level?: unknown; msg?: unknown; err?: { message?: unknown } };
      if (typeof entry.level !== 'number' || entry.level < 50) continue;
      const detail = typeof entry.err?.message === 'string' ? entry.err.message : undefined;
      const text = [entry.msg, detail].filter((part): part is string => typeof part === 'string' && part !== '').join(': ');
      if (text !== '') return text.slice(0, REASON_LIMIT);
    } catch {
      // not a log entry
    }
  }
  const last = [...lines].reverse().find((line) => !line.startsWith('{'));
  return last?.slice(0, REASON_LIMIT);
}

function reasonFromLog(path: string): string {
  try {
    const text = readFileSync(path, 'utf8');
    const reason = failureReason(text.slice(-TAIL_BYTES));
    return reason === undefined ? '' : `\n  ${reason}`;
  } catch {
    return '';
  }
}

export class Supervisor {
  private readonly running = new Map<string, Running>();
  private stopping = false;

  constructor(private readonly logDir: string, private readonly say: (line: string) => void) {
    mkdirSync(logDir, { recursive: true });
  }

  /** Starts a child and resolves with what it reported when ready (its URL or address). */
  start(spec: ChildSpec, timeoutMs = 30_000): Promise<string> {
    const log = createWriteStream(join(this.logDir, `${spec.name}.log`), { flags: 'a' });
    const child = fork(CLI_ENTRY, spec.args, {
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    // Two sources share the file: neither may end it, the child's close does.
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    const logWritten = new Promise<void>((resolve) => child.once('close', () => log.end(resolve)));
    const entry: Running = { spec, child, ready: undefined };
    this.running.set(spec.name, entry);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${spec.name} did not start within ${timeoutMs / 1000} s; see ${join(this.logDir, `${spec.name}.log`)}`)), timeoutMs);
      child.on('message', (message: unknown) => {
        const ready = (message as { ready?: string }).ready;
        if (typeof ready === 'string' && entry.ready === undefined) {
          entry.ready = ready;
          clearTimeout(timer);
          resolve(ready);
        }
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (entry.ready === undefined) {
          const logPath = join(this.logDir, `${spec.name}.log`);
          // The part's last words may still be on their way to the file.
          void logWritten.then(() => reject(new Error(`${spec.name} exited before it was ready (${signal ?? `code ${code}`}):${reasonFromLog(logPath)}\n  full log: ${logPath}`)));
          return;
        }
        if (this.stopping || this.running.get(spec.name) !== entry) return;
        this.say(`!! ${spec.name} stopped unexpectedly (${signal ?? `code ${code}`}); restarting it. Log: ${join(this.logDir, `${spec.name}.log`)}`);
        setTimeout(() => void this.start(spec).catch((error: Error) => this.say(`!! ${error.message}`)), 1000);
      });
    });
  }

  /** Stops children in reverse start order, each with TERM and then KILL after a grace period. */
  async stopAll(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    for (const entry of [...this.running.values()].reverse()) {
      const { child } = entry;
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
  }
}
