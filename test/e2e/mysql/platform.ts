import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { REPO_ROOT, waitFor } from '../../support/process';

/**
 * What the MySQL end-to-end suite needs around `osbkit up`: the platform as a child process,
 * the CLI run the way a person runs it, an app directory the cell's app user can read, and a
 * record of every process the platform started so the suite can prove none outlives it.
 */

const CLI = join(REPO_ROOT, 'bin', 'osbkit');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `node bin/osbkit ARGS` against the platform at `api`, with the login kept in `home`; never
 * throws, the caller judges the exit code.
 */
export function runCli(api: string, home: string, args: string[], timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, OSBKIT_API: api, OSBKIT_HOME: home }, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A process as /proc shows it: the start time tells a live process from a later one that reused its pid. */
export interface ProcessIdentity {
  pid: number;
  startTicks: string;
  command: string;
}

function readStat(pid: number): { ppid: number; startTicks: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), startTicks: fields[19] ?? '' };
  } catch {
    return undefined;
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** Every live descendant of `root` (not `root` itself). */
export function descendantsOf(root: number): ProcessIdentity[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (!stat) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(Number(entry));
    children.set(stat.ppid, list);
  }
  const found: ProcessIdentity[] = [];
  const queue = [...(children.get(root) ?? [])];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    const stat = readStat(pid);
    if (!stat) continue;
    found.push({ pid, startTicks: stat.startTicks, command: commandOf(pid) });
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

export function stillRunning(processes: readonly ProcessIdentity[]): ProcessIdentity[] {
  return processes.filter((p) => readStat(p.pid)?.startTicks === p.startTicks);
}

/** `osbkit up` in its own home on its own port, with its output kept for diagnostics. */
export class Platform {
  private output = '';
  private exitCode: number | null | undefined;
  private readonly exited: Promise<number | null>;
  /** Everything the platform had started, as last seen by `snapshotProcesses`. */
  private seen = new Map<string, ProcessIdentity>();

  private constructor(
    readonly child: ChildProcess,
    readonly api: string,
    readonly home: string,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => {
      child.on('exit', (code) => {
        this.exitCode = code;
        resolve(code);
      });
    });
  }

  static async start(options: { home: string; port: number; env: Record<string, string>; timeoutMs?: number }): Promise<Platform> {
    const child = spawn(process.execPath, [CLI, 'up', '--port', String(options.port)], {
      env: { ...process.env, OSBKIT_HOME: options.home, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const platform = new Platform(child, `http://127.0.0.1:${options.port}`, options.home);
    try {
      await waitFor(
        () => {
          if (platform.exitCode !== undefined) throw new Error(`osbkit up exited with ${platform.exitCode}`);
          return platform.output.includes('osbkit is up');
        },
        'osbkit up to print "osbkit is up"',
        options.timeoutMs ?? 90_000,
        100,
      );
    } catch (error) {
      await platform.stop().catch(() => undefined);
      throw new Error(`${(error as Error).message}\n--- osbkit up output ---\n${platform.output}`);
    }
    // `osbkit up` has logged the CLI in; logging in again as a person would checks `osbkit login` too.
    await platform.cliOk(['login', '-u', 'admin', '--password-file', join(options.home, 'admin-password')]).catch(async (error: Error) => {
      await platform.stop().catch(() => undefined);
      throw error;
    });
    return platform;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  log(): string {
    return this.output;
  }

  cli(args: string[]): Promise<CliResult> {
    return runCli(this.api, this.home, args);
  }

  /** Runs the CLI and fails with its output unless it exits with 0. */
  async cliOk(args: string[]): Promise<string> {
    const result = await this.cli(args);
    if (result.code !== 0) {
      throw new Error(`osbkit ${args.join(' ')} exited with ${result.code}\n${result.stdout}${result.stderr}`);
    }
    return result.stdout;
  }

  async cliJson<T>(args: string[]): Promise<T> {
    return JSON.parse(await this.cliOk(['--json', ...args])) as T;
  }

  /** Adds the platform's current descendants to what `stop` must see end. */
  snapshotProcesses(): ProcessIdentity[] {
    if (this.child.pid !== undefined && this.running) {
      for (const p of descendantsOf(this.child.pid)) this.seen.set(`${p.pid}:${p.startTicks}`, p);
    }
    return [...this.seen.values()];
  }

  /**
   * SIGINT, as Ctrl-C would, then waits for `up` to exit. Returns its exit code and the
   * processes it had started that are still alive shortly afterwards (there should be none).
   * When `up` does not exit in time it and everything it started are killed.
   */
  async stop(timeoutMs = 45_000): Promise<{ code: number | null; survivors: ProcessIdentity[] }> {
    const started = this.snapshotProcesses();
    if (this.running) this.child.kill('SIGINT');
    const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeoutMs).unref());
    const outcome = await Promise.race([this.exited, timer]);
    if (outcome === 'timeout') {
      for (const p of stillRunning(started)) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          // It ended in the meantime.
        }
      }
      this.child.kill('SIGKILL');
      await this.exited;
      throw new Error(`osbkit up did not exit within ${timeoutMs} ms of SIGINT\n--- osbkit up output ---\n${this.output}`);
    }
    // Children that got their signal from the supervisor may take a moment to be reaped.
    let survivors = stillRunning(started);
    const deadline = Date.now() + 10_000;
    while (survivors.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      survivors = stillRunning(started);
    }
    return { code: outcome, survivors };
  }
}

/** The installed directory of `name` as Node would resolve it from `fromDir`. */
function packageDirectory(name: string, fromDir: string): string {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) throw new Error(`cannot resolve ${name} from ${fromDir}`);
  }
}

/**
 * Copies `name` and the closure of its runtime `dependencies` from the repository's
 * node_modules into `targetNodeModules`, keeping each package's place in the tree so nested
 * copies still resolve. (Packages with an `exports` map hide their package.json from
 * require.resolve, so the lookup walks node_modules directories the way Node does.)
 */
export function copyPackageClosure(name: string, targetNodeModules: string, fromDir: string = REPO_ROOT): string[] {
  const sourceRoot = join(REPO_ROOT, 'node_modules');
  const copied = new Set<string>();
  const visit = (pkg: string, from: string): void => {
    const dir = packageDirectory(pkg, from);
    if (copied.has(dir)) return;
    copied.add(dir);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const dependency of Object.keys(manifest.dependencies ?? {})) visit(dependency, dir);
  };
  visit(name, fromDir);
  for (const dir of copied) {
    const place = relative(sourceRoot, dir);
    if (place.startsWith('..')) throw new Error(`${dir} is outside ${sourceRoot}`);
    cpSync(dir, join(targetNodeModules, place), { recursive: true, dereference: true });
  }
  return [...copied].map((dir) => relative(sourceRoot, dir)).sort();
}

/** Directories 755 and files 644, so the cell's app user (uid 2000) can copy everything. */
function makeWorldReadable(path: string): void {
  const stat = statSync(path);
  if (stat.isDirectory()) {
    chmodSync(path, 0o755);
    for (const entry of readdirSync(path)) makeWorldReadable(join(path, entry));
  } else {
    chmodSync(path, 0o644);
  }
}

/** The app directory the suite pushes: app.js and mysql2 with its dependencies. */
export function prepareAppDirectory(target: string): string[] {
  mkdirSync(join(target, 'node_modules'), { recursive: true });
  copyFileSync(join(__dirname, 'app', 'app.js'), join(target, 'app.js'));
  const packages = copyPackageClosure('mysql2', join(target, 'node_modules'));
  makeWorldReadable(target);
  return packages;
}
