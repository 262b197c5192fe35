import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import type { AppNetworks } from './app-network';
import { childPids, programName, receivesSignal, sendSignal } from './host-processes';
import type { NamespaceTools } from './isolation';
import {
  launchedProcess,
  terminateProcess,
  watchChild,
  whenSpawned,
  type AppView,
  type InstanceLauncher,
  type LaunchedProcess,
  type LaunchRequest,
} from './launcher';
import { renderEnvFile, renderSetupScript } from './setup-script';
import { delay } from './timing';
import type { WorkspacePaths } from './workspace';

const SIGNAL_POLL_MS = 50;

/** Who the app is inside its container, and whom the container's root stands for on the host. */
export interface ContainerIdentity {
  appUid: number;
  appGid: number;
  /** An unprivileged host uid/gid, outside the 1..65535 that map to themselves. */
  rootHostId: number;
}

/** The unshare flags: own mount and pid namespaces, and the whole tree dies with unshare. */
// IPC, UTS and cgroup namespaces too: in the host's IPC namespace every app (host uid 2000 all)
// would own every other app's SysV shared memory and POSIX message queues.
export const UNSHARE_ARGUMENTS = ['--mount', '--pid', '--ipc', '--uts', '--cgroup', '--fork', '--kill-child', '--mount-proc', '--propagation', 'private'];

/**
 * Sends TERM to the namespace init (unshare's only child) so that it cannot be lost. The init is
 * first the set-up shell, which traps TERM, and then, by exec, the contain helper, which keeps
 * TERM blocked and reads it from a signalfd. The kernel drops a signal that a namespace init
 * neither handles nor blocks, which is the case in the instant between the exec and the helper's
 * set-up, so TERM goes out only when the init hears it, and once more if the init became another
 * program since (a TERM the shell took just before its exec is gone), but never twice to one
 * program: an app may treat a second TERM as urgent.
 */
async function askNamespaceInitToStop(unsharePid: number, deadline: number, hasExited: () => boolean): Promise<void> {
  let signalledProgram: string | undefined;
  while (!hasExited() && Date.now() < deadline) {
    const [namespaceInit] = await childPids(unsharePid);
    if (namespaceInit !== undefined) {
      const program = await programName(namespaceInit);
      if (program !== undefined && program !== signalledProgram && (await receivesSignal(namespaceInit, 'SIGTERM')) === true) {
        sendSignal(namespaceInit, 'SIGTERM');
        signalledProgram = program;
      }
    }
    await delay(SIGNAL_POLL_MS);
  }
}

/**
 * Runs each instance as `unshare ... sh setup.sh` in a network namespace of its own: the script
 * builds a container root in the new mount and pid namespaces and execs the contain helper,
 * which runs the app in a user namespace as the unprivileged app user.
 *
 * Signals: unshare blocks TERM, and a namespace init without a handler ignores it, so a graceful
 * stop sends TERM to the helper (unshare's only child), which passes it to the app; the hard stop
 * KILLs unshare, whose --kill-child takes the helper and with it every process of the namespace.
 */
export class NamespaceLauncher implements InstanceLauncher {
  readonly mode = 'namespaces' as const;

  constructor(
    private readonly tools: NamespaceTools,
    private readonly networks: AppNetworks,
    private readonly identity: ContainerIdentity,
  ) {}

  appView(): AppView {
    return {
      home: '/home/vcap',
      defaultPath: '/usr/local/bin:/usr/bin:/bin',
      volumePath: (volume) => volume.containerDir,
    };
  }

  async launch(request: LaunchRequest): Promise<LaunchedProcess> {
    const network = await this.networks.create(request.containerId, request.egress);
    let child: ChildProcess;
    try {
      await this.writeContainerFiles(request, request.workspace, network.namespacePath);
      child = spawn(this.tools.unshare, [...UNSHARE_ARGUMENTS, this.tools.shell, request.workspace.setupScript], {
        cwd: '/',
        env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
        stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
        // Its own session: a Ctrl-C aimed at the cell must not reach the apps behind the cell's back.
        detached: true,
      });
    } catch (error) {
      await network.destroy();
      throw error;
    }
    // The network goes with the container, before anyone hears it ended: a restart reuses its names.
    const exited = watchChild(child, request.onOutput).then(async (exit) => {
      await network.destroy();
      return exit;
    });
    let hasExited = false;
    void exited.then(() => {
      hasExited = true;
    });
    child.stdio[3]?.on('data', (chunk: Buffer) => {
      if (chunk.toString('utf8').includes('ready')) request.onReady();
    });
    const pid = await whenSpawned(child).catch(async (error: unknown) => {
      await network.destroy();
      throw error;
    });
    return launchedProcess(pid, exited, (graceMs) =>
      terminateProcess(
        exited,
        graceMs,
        (deadline) => askNamespaceInitToStop(pid, deadline, () => hasExited),
        () => {
          sendSignal(pid, 'SIGKILL');
        },
      ),
    );
  }

  private async writeContainerFiles(request: LaunchRequest, workspace: WorkspacePaths, networkNamespace: string): Promise<void> {
    await writeFile(workspace.envFile, renderEnvFile(request.environment), { mode: 0o600 });
    const script = renderSetupScript({
      containerId: request.containerId,
      rootfs: workspace.rootfs,
      appFiles: workspace.appFiles,
      envFile: workspace.envFile,
      volumes: request.volumes,
      appUid: this.identity.appUid,
      appGid: this.identity.appGid,
      rootHostId: this.identity.rootHostId,
      networkNamespace,
      command: request.command,
      tools: this.tools,
    });
    await writeFile(workspace.setupScript, script, { mode: 0o700 });
  }
}
