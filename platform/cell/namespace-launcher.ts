import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { childPids, sendSignal } from './host-processes';
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
import type { WorkspacePaths } from './workspace';

/** The unshare flags: own mount and pid namespaces, and the whole tree dies with unshare. */
export const UNSHARE_ARGUMENTS = ['--mount', '--pid', '--fork', '--kill-child', '--mount-proc', '--propagation', 'private'];

/**
 * Runs each instance as `unshare ... sh setup.sh`: the script builds a container root in the new
 * namespaces and execs tini, which runs the app as the unprivileged app user.
 *
 * Signals: unshare blocks TERM, and a namespace init without a handler ignores it, so a graceful
 * stop sends TERM to tini (unshare's only child); the hard stop KILLs unshare, whose --kill-child
 * takes tini and with it every process of the namespace.
 */
export class NamespaceLauncher implements InstanceLauncher {
  readonly mode = 'namespaces' as const;

  constructor(
    private readonly tools: NamespaceTools,
    private readonly appUid: number,
    private readonly appGid: number,
  ) {}

  appView(): AppView {
    return {
      home: '/home/vcap',
      defaultPath: '/usr/local/bin:/usr/bin:/bin',
      volumePath: (volume) => volume.containerDir,
    };
  }

  async launch(request: LaunchRequest): Promise<LaunchedProcess> {
    await this.writeContainerFiles(request, request.workspace);
    const child = spawn(this.tools.unshare, [...UNSHARE_ARGUMENTS, this.tools.shell, request.workspace.setupScript], {
      cwd: '/',
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      // Its own session: a Ctrl-C aimed at the cell must not reach the apps behind the cell's back.
      detached: true,
    });
    const exited = watchChild(child, request.onOutput);
    child.stdio[3]?.on('data', (chunk: Buffer) => {
      if (chunk.toString('utf8').includes('ready')) request.onReady();
    });
    const pid = await whenSpawned(child);
    return launchedProcess(pid, exited, (graceMs) =>
      terminateProcess(
        exited,
        graceMs,
        async () => {
          const [namespaceInit] = await childPids(pid);
          if (namespaceInit !== undefined) sendSignal(namespaceInit, 'SIGTERM');
          else sendSignal(pid, 'SIGKILL');
        },
        () => {
          sendSignal(pid, 'SIGKILL');
        },
      ),
    );
  }

  private async writeContainerFiles(request: LaunchRequest, workspace: WorkspacePaths): Promise<void> {
    await writeFile(workspace.envFile, renderEnvFile(request.environment), { mode: 0o600 });
    const script = renderSetupScript({
      containerId: request.containerId,
      rootfs: workspace.rootfs,
      appFiles: workspace.appFiles,
      envFile: workspace.envFile,
      volumes: request.volumes,
      appUid: this.appUid,
      appGid: this.appGid,
      command: request.command,
      tools: this.tools,
    });
    await writeFile(workspace.setupScript, script, { mode: 0o700 });
  }
}
