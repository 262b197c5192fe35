import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, REPO_ROOT, waitFor } from '../support/process';

/**
 * A whole platform for end-to-end tests: `osbkit up` in its own home on a free port, the CLI
 * logged in as its admin with `osbkit login`, and a way to run CLI verbs against it exactly
 * as a user would.
 */
export interface Platform {
  home: string;
  api: string;
  port: number;
  work: string;
  /**
   * Runs `osbkit <args>` without blocking this process (tests may serve brokers from it);
   * never throws, so tests can assert on failures.
   */
  cli(args: string[], env?: Record<string, string>, cwd?: string): Promise<{ status: number | null; stdout: string; stderr: string }>;
  /** Like cli, but fails the test with the output when the command fails. */
  ok(args: string[]): Promise<string>;
  upLog(): string;
  upProcess: ChildProcess;
  stop(): Promise<void>;
}

export async function startPlatform(options: { env?: Record<string, string>; upArgs?: string[]; /** Another osbkit command, such as an installed package's bin/osbkit. */ osbkitBin?: string } = {}): Promise<Platform> {
  const bin = options.osbkitBin ?? join(REPO_ROOT, 'bin', 'osbkit');
  const work = mkdtempSync(join(tmpdir(), 'osbkit-e2e-'));
  chmodSync(work, 0o755);
  const home = join(work, 'home');
  const port = await freePort();
  const env = { ...process.env, OSBKIT_HOME: home, OSBKIT_API: `http://127.0.0.1:${port}`, OSBKIT_LOG_LEVEL: 'warn', ...options.env };
  const upProcess = spawn(process.execPath, [bin, 'up', '--port', String(port), ...(options.upArgs ?? [])], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  upProcess.stdout?.on('data', (c: Buffer) => (log += c.toString()));
  upProcess.stderr?.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise<void>((resolve) => upProcess.once('exit', () => resolve()));
  await waitFor(() => log.includes('osbkit is up') || (upProcess.exitCode !== null ? Promise.reject(new Error(log)) : false), `osbkit up\n${log}`, 90_000);

  const cli = (args: string[], extra: Record<string, string> = {}, cwd?: string) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [bin, ...args], { env: { ...env, ...extra }, ...(cwd ? { cwd } : {}), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      child.on('close', (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, stderr });
      });
    });
  const login = await cli(['login', '-u', 'admin', '--password-file', join(home, 'admin-password')]);
  if (login.status !== 0) {
    upProcess.kill('SIGINT');
    await exited;
    throw new Error(`osbkit login failed (${login.status}):\n${login.stdout}\n${login.stderr}\n${log}`);
  }
  return {
    home,
    api: `http://127.0.0.1:${port}`,
    port,
    work,
    cli,
    async ok(args) {
      const result = await cli(args);
      if (result.status !== 0) throw new Error(`osbkit ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
      return result.stdout;
    },
    upLog: () => log,
    upProcess,
    async stop() {
      if (upProcess.exitCode === null) {
        upProcess.kill('SIGINT');
        await exited;
      }
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** An app directory to push (`--path`); its files are uploaded, so only the CLI reads them. */
export function appDir(platform: Platform, name: string, files: Record<string, string>): string {
  const dir = join(platform.work, 'apps', name);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  chmodSync(join(platform.work, 'apps'), 0o755);
  for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, file), content, { mode: 0o755 });
  return dir;
}

/** Mount points under `prefix` in this (the host's) mount namespace. */
export function hostMountsUnder(prefix: string): string[] {
  const text = spawnSync('cat', ['/proc/self/mountinfo'], { encoding: 'utf8' }).stdout;
  return text.split('\n').map((line) => line.split(' ')[4] ?? '').filter((mountPoint) => mountPoint.startsWith(prefix));
}

