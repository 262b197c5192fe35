import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ControllerOptions } from '../../../platform/controller';
import { REPO_ROOT } from '../../support/process';
import { ADMIN, Harness } from '../controller/support/harness';

/**
 * The CLI (bin/osbkit, from dist/) against a controller in this process: the controller's
 * harness (a recording cell, its bootstrap admin) served on an ephemeral port of 127.0.0.1,
 * and the CLI run in its own $OSBKIT_HOME, logged in as the admin. OSBKIT_API is never set
 * unless a test sets it: the CLI finds its API the way a user's would.
 */

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export class CliPlatform {
  private constructor(
    readonly harness: Harness,
    private readonly server: Server,
    readonly url: string,
    readonly home: string,
  ) {}

  static async start(options: Partial<ControllerOptions> = {}): Promise<CliPlatform> {
    const harness = await Harness.start(options);
    const server = createServer(harness.controller.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const home = mkdtempSync(join(tmpdir(), 'osbkit-cli-home-'));
    return new CliPlatform(harness, server, url, home);
  }

  /** `osbkit login -a URL` as the admin, targeting the default space. */
  async logIn(): Promise<void> {
    const passwordFile = join(this.home, 'admin-password');
    writeFileSync(passwordFile, ADMIN.password, { mode: 0o600 });
    await this.ok(['login', '-a', this.url, '-u', ADMIN.username, '--password-file', passwordFile]);
  }

  /** Runs `osbkit <args>`; never throws, so tests can assert on failures. */
  cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
    const environment: Record<string, string | undefined> = { ...process.env, OSBKIT_HOME: this.home, ...env };
    if (env.OSBKIT_API === undefined) delete environment.OSBKIT_API;
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'osbkit'), ...args], { env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('close', (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, stderr });
      });
    });
  }

  /** Like cli, but fails the test with the output when the command fails. */
  async ok(args: string[], env: Record<string, string> = {}): Promise<string> {
    const result = await this.cli(args, env);
    if (result.status !== 0) throw new Error(`osbkit ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
    return result.stdout;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    await this.harness.close();
    rmSync(this.home, { recursive: true, force: true });
  }
}
