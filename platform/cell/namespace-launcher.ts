import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
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

/** The unshare flags: own mount and pid namespaces, and the whole tree dies with unshare. */
export const UNSHARE_ARGUMENTS = ['--mount', '--pid', '--fork', '--kill-child', '--mount-proc', '--propagation', 'private'];

/**
 * Whether a TERM sent to the namespace init now would arrive. The kernel drops signals to a
 * namespace init that neither handles nor blocks them, which is the case in the instant between
 * an exec and the new program's set-up. tini blocks all signals before it starts the app, but
 * while it waits in sigtimedwait /proc does not show that, so for tini an app child is the proof.
 */
async function initHearsTerm(namespaceInit: number, tiniName: string): Promise<boolean> {
  if ((await receivesSignal(namespaceInit, 'SIGTERM')) === true) return true;
  return (await programName(namespaceInit)) === tiniName && (await childPids(namespaceInit)).length > 0;
}

/**
 * Sends TERM to the namespace init (unshare's only child) so that it cannot be lost. The init is
 * first the set-up shell, which traps TERM, and then, by exec, tini. TERM goes out only when the
 * init hears it, and once more if the init became another program since (a TERM the shell took
 * just before its exec is gone), but never twice to one program: an app may treat a second TERM
 * as urgent.
 */
async function askNamespaceInitToStop(unsharePid: number, tiniName: string, deadline: number, hasExited: () => boolean): Promise<void> {
  let signalledProgram: string | undefined;
  while (!hasExited() && Date.now() < deadline) {
    const [namespaceInit] = await childPids(unsharePid);
    if (namespaceInit !== undefined) {
      const program = await programName(namespaceInit);
      if (program !== undefined && program !== signalledProgram && (await initHearsTerm(namespaceInit, tiniName))) {
        sendSignal(namespaceInit, 'SIGTERM');
        signalledProgram = program;
      }
    }
    await delay(SIGNAL_POLL_MS);
  }
}

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
    let hasExited = false;
    void exited.then(() => {
      hasExited = true;
    });
    child.stdio[3]?.on('data', (chunk: Buffer) => {
      if (chunk.toString('utf8').includes('ready')) request.onReady();
    });
    const pid = await whenSpawned(child);
    return launchedProcess(pid, exited, (graceMs) =>
      terminateProcess(
        exited,
        graceMs,
        (deadline) => askNamespaceInitToStop(pid, basename(this.tools.tini), deadline, () => hasExited),
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
