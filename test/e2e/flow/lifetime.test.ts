import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { descendantsOf, freePort, isLivePid, REPO_ROOT, waitFor } from '../../support/process';

/**
 * How `osbkit up` starts and ends as a user runs it: through `npm start`, which supervisors stop
 * by signalling npm's pid alone, and with a part that cannot start.
 */
jest.setTimeout(180_000);

describe('osbkit up and the process that started it', () => {
  let work: string;

  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'osbkit-lifetime-'));
    chmodSync(work, 0o755);
  });

  afterEach(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('stops with every process it started when npm start is sent SIGTERM', async () => {
    const port = await freePort();
    const home = join(work, 'home');
    const npm = spawn('npm', ['start', '--', '--port', String(port)], {
      cwd: REPO_ROOT,
      env: { ...process.env, OSBKIT_HOME: home, OSBKIT_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    npm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    let started: number[] = [];
    try {
      await waitFor(() => output.includes('osbkit is up') || (npm.exitCode !== null ? Promise.reject(new Error(output)) : false), `npm start\n${output}`, 150_000);
      started = descendantsOf(npm.pid!);
      // npm, its shell, osbkit up, the driver, the cell, the local broker and the controller at least.
      expect(started.length).toBeGreaterThanOrEqual(5);
      npm.kill('SIGTERM');
      await waitFor(() => started.every((pid) => !isLivePid(pid)), `every process npm start had started to end\n${output}`, 30_000);
      expect(existsSync(join(home, 'cell'))).toBe(true);
    } finally {
      for (const pid of started.filter(isLivePid)) process.kill(pid, 'SIGKILL');
      if (npm.exitCode === null) npm.kill('SIGKILL');
    }
  });

  it('prints the failing part\'s own error line, not only where its log is', async () => {
    const blocker: Server = createServer();
    const port = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)));
    try {
      const up = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'osbkit'), 'up', '--port', String(port)], {
        env: { ...process.env, OSBKIT_HOME: join(work, 'home'), OSBKIT_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      up.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      up.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => up.once('exit', resolve));
      expect(code).toBe(1);
      expect(output).toMatch(/controller exited before it was ready \(code 1\):\n {2}.*EADDRINUSE.*127\.0\.0\.1:\d+/);
      expect(output).toContain(`full log: ${join(work, 'home', 'logs', 'controller.log')}`);
    } finally {
      blocker.close();
    }
  });
});
