import { spawn } from 'node:child_process';
import { sendSignal } from './host-processes';
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
import type { FileOwner, WorkspacePaths } from './workspace';

function killGroupQuietly(groupId: number): void {
  try {
    sendSignal(-groupId, 'SIGKILL');
  } catch {
    // EPERM: nothing of ours is left in the group.
  }
}

/**
 * Isolation 'none': the command runs as a plain host process with `sh -c`. It is its own
 * process group, so a stop reaches everything it started. A root cell still drops to the app user.
 */
export class ProcessLauncher implements InstanceLauncher {
  readonly mode = 'none' as const;

  constructor(private readonly appOwner: FileOwner | undefined) {}

  appView(workspace: WorkspacePaths): AppView {
    return {
      home: workspace.home,
      defaultPath: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      // No container root to bind into, so the app must use the driver's host path.
      volumePath: (volume) => volume.hostPath,
    };
  }

  async launch(request: LaunchRequest): Promise<LaunchedProcess> {
    const child = spawn('/bin/sh', ['-c', request.command], {
      cwd: request.workspace.appFiles,
      env: request.environment,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      ...(this.appOwner === undefined ? {} : { uid: this.appOwner.uid, gid: this.appOwner.gid }),
    });
    const exited = watchChild(child, request.onOutput);
    const pid = await whenSpawned(child);
    // Whatever the command left running in its group goes with it; that also closes the output pipes.
    child.once('exit', () => killGroupQuietly(pid));
    request.onReady();
    return launchedProcess(pid, exited, (graceMs) =>
      terminateProcess(
        exited,
        graceMs,
        async () => {
          sendSignal(-pid, 'SIGTERM');
        },
        () => {
          sendSignal(-pid, 'SIGKILL');
        },
      ),
    );
  }
}
