import { execFile } from 'node:child_process';

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  cwd?: string;
  uid?: number;
  gid?: number;
  timeoutMs?: number;
  /** Written to the program's standard input, which is then closed. */
  input?: string;
}

/** Runs a program without a shell (arguments are never re-parsed) and never rejects on a non-zero exit. */
export function runCommand(file: string, args: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      {
        cwd: options.cwd,
        uid: options.uid,
        gid: options.gid,
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 4 * 1024 * 1024,
        env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' },
      },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve({ exitCode: 0, stdout, stderr });
          return;
        }
        const code = (error as NodeJS.ErrnoException & { code?: unknown }).code;
        if (typeof code === 'number') {
          resolve({ exitCode: code, stdout, stderr });
          return;
        }
        // Not started at all (ENOENT) or killed by the timeout: no exit code to report.
        reject(error);
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}
