import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { chown, cp, mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { mountPointsBelow, readHostMounts } from './host-mounts';

/** Where one container's files live on the host. */
export interface WorkspacePaths {
  directory: string;
  /** The instance's private copy of the app, owned by the app user. */
  appFiles: string;
  /** HOME for isolation 'none'; with namespaces HOME lives on the container's own tmpfs. */
  home: string;
  /** Mount point of the container root, mounted only inside the instance's mount namespace. */
  rootfs: string;
  /** The app's environment as shell exports; read by the set-up script so secrets never appear in argv. */
  envFile: string;
  setupScript: string;
}

export interface FileOwner {
  uid: number;
  gid: number;
}

/**
 * Per-container directories under `<dataDir>/containers`. The copy of the app runs as the app
 * user when the cell is root, so an app directory can only expose what that user could read
 * anyway. The cell opens the app directory itself and the copy starts from that descriptor:
 * the directories above it (the controller's data dir, which holds uploaded bits) need not
 * be open to the app user.
 */
export class ContainerWorkspaces {
  constructor(
    readonly root: string,
    private readonly appOwner: FileOwner | undefined,
  ) {}

  pathsFor(containerId: string): WorkspacePaths {
    const directory = join(this.root, containerId);
    return {
      directory,
      appFiles: join(directory, 'app'),
      home: join(directory, 'home'),
      rootfs: join(directory, 'rootfs'),
      envFile: join(directory, 'app.env'),
      setupScript: join(directory, 'setup.sh'),
    };
  }

  /** A fresh workspace: leftovers of an earlier run of the same container are removed first. */
  async prepare(containerId: string, appDir: string | undefined): Promise<WorkspacePaths> {
    const paths = this.pathsFor(containerId);
    await this.remove(containerId);
    await mkdir(this.root, { recursive: true, mode: 0o711 });
    // 0711: without namespaces the app user must traverse to its cwd and HOME, but not list others.
    await mkdir(paths.directory, { mode: 0o711 });
    await mkdir(paths.rootfs, { mode: 0o755 });
    await this.makeOwnedDirectory(paths.appFiles, 0o755);
    await this.makeOwnedDirectory(paths.home, 0o700);
    if (appDir !== undefined) await this.copyAppFiles(appDir, paths.appFiles);
    return paths;
  }

  /** Refuses to delete through a mount: a recursive delete would walk into the mounted volume. */
  async remove(containerId: string): Promise<void> {
    const { directory } = this.pathsFor(containerId);
    const mounted = mountPointsBelow(await readHostMounts(), directory, true);
    if (mounted.length > 0) throw new Error(`not removing ${directory}: still mounted at ${mounted.join(', ')}`);
    await rm(directory, { recursive: true, force: true });
  }

  private async makeOwnedDirectory(path: string, mode: number): Promise<void> {
    await mkdir(path, { mode });
    if (this.appOwner !== undefined) await chown(path, this.appOwner.uid, this.appOwner.gid);
  }

  private async copyAppFiles(source: string, destination: string): Promise<void> {
    if (this.appOwner === undefined) {
      await cp(source, destination, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
      return;
    }
    // The cwd is entered before the uid changes, so the app user needs no access to the data dir itself;
    // the source is reached through a descriptor the cell opened, as fd 3 of cp.
    const sourceDir = await open(source, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      const copy = await copyAsUser(sourceDir.fd, destination, this.appOwner);
      if (copy.exitCode !== 0) {
        throw new Error(`cannot copy app files as uid ${this.appOwner.uid}: ${copy.stderr.trim() || `cp exited with ${String(copy.exitCode)}`}`);
      }
    } finally {
      await sourceDir.close();
    }
  }
}

const COPY_TIMEOUT_MS = 10 * 60_000;

/** `cp -R -P -p /proc/self/fd/3/. .` as `owner`, in `destination`. */
function copyAsUser(sourceFd: number, destination: string, owner: FileOwner): Promise<{ exitCode: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('cp', ['-R', '-P', '-p', '--', '/proc/self/fd/3/.', '.'], {
      cwd: destination,
      uid: owner.uid,
      gid: owner.gid,
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' },
      stdio: ['ignore', 'ignore', 'pipe', sourceFd],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), COPY_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (exitCode) => {
      clearTimeout(timer);
      resolve({ exitCode, stderr });
    });
  });
}
