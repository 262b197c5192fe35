import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './process';

/**
 * Installs osbkit the way a user's project does, from the tarball `npm pack` makes, without
 * the registry: the project gets a package-lock.json whose entries (name, version, integrity)
 * are taken from this repository's lock, so `npm ci --offline` finds every tarball in npm's
 * cache, which this repository's own `npm ci` filled with exactly those versions.
 */

const run = promisify(execFile);
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dev?: boolean;
  optional?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [field: string]: unknown;
}

interface Manifest {
  name: string;
  version: string;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  [field: string]: unknown;
}

const repoManifest = (): Manifest => JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as Manifest;
const repoLock = (): Record<string, LockEntry> =>
  (JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }).packages;

/** A new directory outside the repository (checked: a project inside it would find the repo's node_modules). */
export function outsideTempDir(prefix: string): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  if (!relative(REPO_ROOT, dir).startsWith('..')) throw new Error(`${dir} is inside the repository; set TMPDIR elsewhere`);
  return dir;
}

export interface PackedTarball {
  path: string;
  files: string[];
}

/** `npm pack` of the repository as it is built now (the build is the test setup's job). */
export async function packOsbkit(destination: string): Promise<PackedTarball> {
  const { stdout } = await run(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', destination], { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 });
  const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  if (!packed) throw new Error('npm pack reported nothing');
  return { path: join(destination, packed.filename), files: packed.files.map((file) => file.path) };
}

/** Where the registry keeps a version's tarball: https://registry.npmjs.org/@scope/name/-/name-1.0.0.tgz. */
function registryTarball(name: string, version: string): string {
  const registry = (process.env.npm_config_registry ?? 'https://registry.npmjs.org/').replace(/\/?$/, '/');
  return `${registry}${name}/-/${name.split('/').pop()}-${version}.tgz`;
}

function integrityOf(file: string): string {
  return `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
}

/**
 * Writes package-lock.json for the project in `projectDir`: its dependency on osbkit points
 * at `tarball`, and every other package, with everything it depends on, is the version this
 * repository's lock holds. A dependency the repository does not have fails here, by name.
 */
export function writeOfflineLock(projectDir: string, tarball: string): void {
  const manifest = JSON.parse(readFileSync(join(projectDir, 'package.json'), 'utf8')) as Manifest;
  const osbkit = repoManifest();
  const known = repoLock();
  const tarballSpec = `file:${relative(projectDir, tarball)}`;
  const packages: Record<string, LockEntry> = {};

  const rootDeps = { ...manifest.dependencies, ...manifest.devDependencies };
  if (rootDeps.osbkit === undefined) throw new Error(`${projectDir}/package.json does not depend on osbkit`);
  for (const field of ['dependencies', 'devDependencies'] as const) {
    if (manifest[field]?.osbkit !== undefined) manifest[field] = { ...manifest[field], osbkit: tarballSpec };
  }
  writeFileSync(join(projectDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);

  packages[''] = {
    name: manifest.name,
    version: manifest.version,
    ...(manifest.dependencies ? { dependencies: manifest.dependencies } : {}),
    ...(manifest.devDependencies ? { devDependencies: manifest.devDependencies } : {}),
  };
  packages['node_modules/osbkit'] = {
    version: osbkit.version,
    resolved: tarballSpec,
    integrity: integrityOf(tarball),
    ...(osbkit.dependencies ? { dependencies: osbkit.dependencies } : {}),
    ...(osbkit.optionalDependencies ? { optionalDependencies: osbkit.optionalDependencies } : {}),
    ...(osbkit.bin ? { bin: osbkit.bin } : {}),
  };

  // Node's resolution, over the lock's paths: the nearest node_modules/<name> from `from` upwards.
  const locate = (name: string, from: string): string | undefined => {
    for (let base = from; ; ) {
      const candidate = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`;
      if (known[candidate]) return candidate;
      if (base === '') return undefined;
      const cut = base.lastIndexOf('/node_modules/');
      base = cut < 0 ? '' : base.slice(0, cut);
    }
  };
  const add = (name: string, from: string, required: boolean): void => {
    const path = locate(name, from);
    if (path === undefined) {
      if (required) throw new Error(`${name} (needed by ${from || 'the project'}) is not in this repository's package-lock.json`);
      return;
    }
    if (packages[path]) return;
    const { dev: _dev, ...entry } = known[path]!;
    // With the tarball's address npm looks the tarball up in its cache by integrity; without
    // one it first wants the package's registry document, which the cache may not hold.
    packages[path] = entry.resolved !== undefined || entry.version === undefined || entry.link ? entry : { ...entry, resolved: registryTarball(name, entry.version) };
    for (const dep of Object.keys(entry.dependencies ?? {})) add(dep, path, true);
    for (const dep of Object.keys(entry.optionalDependencies ?? {})) add(dep, path, false);
    for (const dep of Object.keys(entry.peerDependencies ?? {})) add(dep, path, entry.peerDependenciesMeta?.[dep]?.optional !== true);
  };
  for (const name of Object.keys(rootDeps)) if (name !== 'osbkit') add(name, '', true);
  for (const name of Object.keys(osbkit.dependencies ?? {})) add(name, 'node_modules/osbkit', true);
  for (const name of Object.keys(osbkit.optionalDependencies ?? {})) add(name, 'node_modules/osbkit', false);

  writeFileSync(join(projectDir, 'package-lock.json'), `${JSON.stringify({ name: manifest.name, version: manifest.version, lockfileVersion: 3, requires: true, packages }, null, 2)}\n`);
}

/**
 * `npm ci --offline` in the project. Install scripts are skipped: better-sqlite3's would try to
 * download a prebuilt addon and then compile SQLite for minutes, so its addon, built for this
 * very node by this repository's install, is copied in instead.
 */
export async function installOffline(projectDir: string): Promise<void> {
  try {
    await run(NPM, ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: projectDir, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    if (/ENOTCACHED/.test(stderr)) {
      throw new Error(`npm's cache lacks a package this repository's lock names; run npm ci in the repository first.\n${stderr}`);
    }
    throw error;
  }
  const built = join(REPO_ROOT, 'node_modules', 'better-sqlite3', 'build');
  const target = join(projectDir, 'node_modules', 'better-sqlite3');
  if (existsSync(target) && existsSync(built)) cpSync(built, join(target, 'build'), { recursive: true });
}

/** Runs a program in the project and returns what it printed; a failure carries its output. */
export async function runIn(projectDir: string, command: string, args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(command, args, { cwd: projectDir, env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const failure = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${projectDir}: ${failure.message}\n${failure.stdout ?? ''}\n${failure.stderr ?? ''}`);
  }
}

