import { chown, cp, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { mountPointsBelow, readHostMounts } from './host-mounts';
import { runCommand } from './run-command';

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
 * user when the cell is root, so an app directory can only expose what that user could read anyway.
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
    // The cwd is entered before the uid changes, so the app user needs no access to the data dir itself.
    const copy = await runCommand('cp', ['-R', '-P', '-p', '--', `${source}/.`, '.'], {
      cwd: destination,
      uid: this.appOwner.uid,
      gid: this.appOwner.gid,
    });
    if (copy.exitCode !== 0) {
      throw new Error(`cannot copy app files as uid ${this.appOwner.uid}: ${copy.stderr.trim() || `cp exited with ${copy.exitCode}`}`);
    }
  }
}
