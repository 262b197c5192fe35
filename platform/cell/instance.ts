import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { buildAppEnvironment } from './app-env';
import { nextCrashCount, restartDelayMs, type CrashBackoffPolicy } from './backoff';
import type { InstanceLauncher, LaunchedProcess, ProcessExit } from './launcher';
import { describeError, type CellLogger } from './logger';
import type { ContainerVolume } from './setup-script';
import type { PersistedInstance } from './state-file';
import type { DesiredLrp, InstanceState, InstanceStatus, LogLine, LogSource, VolumeMountSpec } from './types';
import { DriverTimeoutError, type CellVolumeDrivers, type DriverMountRecord } from './volumes';
import type { ContainerWorkspaces, WorkspacePaths } from './workspace';

/** What an instance needs from its cell. */
export interface InstanceServices {
  drivers: CellVolumeDrivers;
  launcher: InstanceLauncher;
  workspaces: ContainerWorkspaces;
  logger: CellLogger;
  backoff: CrashBackoffPolicy;
  stopGraceMs: number;
  persist(): Promise<void>;
  appendLog(line: LogLine): void;
  /** Something changed that the converger should look at now rather than on its next tick. */
  wake(): void;
}

interface HeldMount {
  record: DriverMountRecord;
  /** False while the driver is being asked, and after it failed: such an entry is released on a best-effort basis. */
  mounted: boolean;
}

/** A failure while building the container, with the reason shown to the user. */
class StartFailure extends Error {}

function describeExit(exit: ProcessExit): string {
  if (exit.signal !== null) return `killed by ${exit.signal}`;
  return `exited with status ${exit.code ?? 'unknown'}`;
}

/**
 * One app instance through its whole life: mount volumes, build the container, run, crash and
 * restart, stop. Every step runs on one queue, so a stop that arrives while volumes are being
 * mounted waits for that step and then undoes it instead of racing with it.
 */
export class InstanceRunner {
  readonly containerId: string;
  private state: InstanceState = 'starting';
  private since = new Date();
  private crashCount = 0;
  private reason: string | undefined;
  private process: LaunchedProcess | undefined;
  /** A process that survived even SIGKILL; kept in the state file so the next cell start tries again. */
  private lingering: LaunchedProcess | undefined;
  private mounts: HeldMount[] = [];
  private startedAt = 0;
  private restartAt = 0;
  private attempt = 0;
  private stopRequested = false;
  private pendingSteps = 0;
  private queue: Promise<void>;

  constructor(
    readonly appGuid: string,
    readonly index: number,
    readonly lrp: DesiredLrp,
    private readonly services: InstanceServices,
    notBefore: Promise<void> = Promise.resolve(),
  ) {
    this.containerId = `${appGuid}-${index}`;
    this.queue = notBefore.catch(() => undefined);
  }

  /** Starts the instance, now or once the steps queued before it are done. */
  start(): void {
    void this.enqueue(() => this.startOnce());
  }

  /** True when the instance crashed and its back-off has passed. */
  readyToRestart(now: number): boolean {
    return this.state === 'crashed' && !this.stopRequested && this.pendingSteps === 0 && now >= this.restartAt;
  }

  /** Stops the process and releases its volumes; settles when all of it is done. */
  stop(): Promise<void> {
    this.stopRequested = true;
    return this.enqueue(() => this.stopOnce());
  }

  status(): InstanceStatus {
    const status: InstanceStatus = {
      index: this.index,
      state: this.state,
      pid: this.process?.pid ?? null,
      crashCount: this.crashCount,
      since: this.since.toISOString(),
    };
    if (this.reason !== undefined) status.reason = this.reason;
    return status;
  }

  /** What a successor cell would have to clean up if this cell died now; undefined when nothing. */
  persisted(): PersistedInstance | undefined {
    const process = this.process ?? this.lingering;
    if (process === undefined && this.mounts.length === 0) return undefined;
    const entry: PersistedInstance = {
      containerId: this.containerId,
      appGuid: this.appGuid,
      index: this.index,
      isolation: this.services.launcher.mode,
      mounts: this.mounts.map((mount) => mount.record),
    };
    if (process !== undefined) {
      entry.pid = process.pid;
      if (process.startTicks !== undefined) entry.pidStartTicks = process.startTicks;
    }
    return entry;
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    this.pendingSteps += 1;
    const next = this.queue
      .then(step)
      .catch((error: unknown) => {
        this.services.logger.error({ containerId: this.containerId, err: describeError(error) }, 'instance step failed');
      })
      .finally(() => {
        this.pendingSteps -= 1;
      });
    this.queue = next;
    return next;
  }

  private setState(state: InstanceState): void {
    this.state = state;
    this.since = new Date();
  }

  private log(source: LogSource, message: string): void {
    this.services.appendLog({ timestamp: new Date().toISOString(), appGuid: this.appGuid, instanceIndex: this.index, source, message });
  }

  private async startOnce(): Promise<void> {
    if (this.stopRequested) return;
    this.attempt += 1;
    const attempt = this.attempt;
    // The last crash reason stays visible while the instance restarts: that is when it is wanted.
    this.setState('starting');
    this.log('CELL', `Creating container ${this.containerId}`);
    try {
      const volumes = await this.mountVolumes();
      if (this.stopRequested) {
        await this.releaseResources();
        return;
      }
      const launched = await this.launch(volumes, attempt);
      this.process = launched;
      this.startedAt = Date.now();
      await this.persist();
      void launched.exited.then((exit) => this.enqueue(() => this.afterExit(launched, exit)));
    } catch (error) {
      await this.releaseResources();
      if (this.stopRequested) return;
      const reason = error instanceof StartFailure ? error.message : `cannot start: ${describeError(error)}`;
      await this.recordCrash(reason, 0);
    }
  }

  /** Records every mount before asking its driver, so a cell that dies mid-way still knows what to release. */
  private async mountVolumes(): Promise<ContainerVolume[]> {
    const wanted = this.lrp.volumeMounts;
    for (const spec of wanted) {
      const already = this.mounts.some((held) => held.record.driver === spec.driver && held.record.volumeId === spec.volumeId);
      if (!already) this.mounts.push({ record: { driver: spec.driver, volumeId: spec.volumeId, containerId: this.containerId }, mounted: false });
    }
    await this.persist();
    const volumes: ContainerVolume[] = [];
    for (const spec of wanted) volumes.push({ hostPath: await this.mountOne(spec), containerDir: spec.containerDir, readOnly: spec.mode === 'r' });
    return volumes;
  }

  private async mountOne(spec: VolumeMountSpec): Promise<string> {
    const held = this.mounts.find((entry) => entry.record.driver === spec.driver && entry.record.volumeId === spec.volumeId);
    const failure = (detail: string): StartFailure => new StartFailure(`volume mount failed (driver ${spec.driver}, volume ${spec.volumeId}): ${detail}`);
    let hostPath: unknown;
    try {
      hostPath = await this.services.drivers.mount(spec.driver, spec.volumeId, spec.mountConfig, this.containerId);
    } catch (error) {
      // After a timeout the driver may still finish the mount, so it must be released like a real one.
      if (held !== undefined && error instanceof DriverTimeoutError) held.mounted = true;
      throw failure(describeError(error));
    }
    if (held !== undefined) held.mounted = true;
    if (typeof hostPath !== 'string' || !isAbsolute(hostPath)) throw failure('the driver returned no absolute host path');
    // Checked here so the reason names the volume, rather than a mount error deep in the set-up script.
    const entry = await stat(hostPath).catch((error: unknown) => {
      throw failure(`the driver's host path ${hostPath} is not usable: ${describeError(error)}`);
    });
    if (!entry.isDirectory()) throw failure(`the driver's host path ${hostPath} is not a directory`);
    return hostPath;
  }

  private async launch(volumes: ContainerVolume[], attempt: number): Promise<LaunchedProcess> {
    const { launcher, workspaces, logger } = this.services;
    let workspace: WorkspacePaths;
    try {
      workspace = await workspaces.prepare(this.containerId, this.lrp.appDir);
    } catch (error) {
      throw new StartFailure(`cannot prepare container: ${describeError(error)}`);
    }
    const view = launcher.appView(workspace);
    const volumePaths = Object.fromEntries(volumes.map((volume) => [volume.containerDir, view.volumePath(volume)]));
    const environment = buildAppEnvironment({
      lrp: this.lrp,
      appGuid: this.appGuid,
      index: this.index,
      instanceGuid: randomUUID(),
      home: view.home,
      defaultPath: view.defaultPath,
      volumePaths,
    });
    if (launcher.mode === 'none') {
      const message = 'NO ISOLATION: the app runs as a plain host process and sees the host paths of its volumes';
      logger.warn({ containerId: this.containerId, volumePaths }, message);
      this.log('CELL', `WARNING ${message}: OSBKIT_VOLUME_PATHS=${JSON.stringify(volumePaths)}`);
    }
    try {
      return await launcher.launch({
        containerId: this.containerId,
        command: this.lrp.command,
        environment,
        workspace,
        volumes,
        egress: this.lrp.egress ?? [],
        onOutput: (source, line) => this.log(source, line),
        onReady: () => this.markRunning(attempt),
      });
    } catch (error) {
      throw new StartFailure(`cannot start process: ${describeError(error)}`);
    }
  }

  private markRunning(attempt: number): void {
    if (attempt !== this.attempt || this.state !== 'starting' || this.stopRequested) return;
    this.setState('running');
    this.log('CELL', `Container ${this.containerId} is running`);
  }

  private async afterExit(launched: LaunchedProcess, exit: ProcessExit): Promise<void> {
    // A stop took the process over and does the clean-up itself.
    if (this.process !== launched) return;
    this.process = undefined;
    // Still 'starting' means the container was never built: the set-up script failed (its ERR lines say why).
    const reason = this.state === 'starting' ? `container set-up failed (${describeExit(exit)})` : describeExit(exit);
    this.log('CELL', `Process ${describeExit(exit)}`);
    await this.releaseResources();
    if (this.stopRequested) return;
    await this.recordCrash(reason, Date.now() - this.startedAt);
  }

  private async recordCrash(reason: string, uptimeMs: number): Promise<void> {
    const { backoff, logger } = this.services;
    this.crashCount = nextCrashCount(this.crashCount, uptimeMs, backoff);
    const waitMs = restartDelayMs(this.crashCount, backoff);
    this.restartAt = Date.now() + waitMs;
    this.reason = reason;
    this.setState('crashed');
    const when = waitMs === 0 ? 'now' : `in ${Math.round(waitMs / 1000)} s`;
    this.log('CELL', `Instance crashed (${reason}); crash ${this.crashCount}, restarting ${when}`);
    logger.warn({ containerId: this.containerId, reason, crashCount: this.crashCount, restartInMs: waitMs }, 'instance crashed');
    await this.persist();
    this.services.wake();
  }

  private async stopOnce(): Promise<void> {
    const launched = this.process;
    this.process = undefined;
    if (launched !== undefined) {
      this.log('CELL', `Stopping container ${this.containerId}`);
      try {
        const exit = await launched.terminate(this.services.stopGraceMs);
        this.log('CELL', `Process ${describeExit(exit)}`);
      } catch (error) {
        this.lingering = launched;
        this.services.logger.error({ containerId: this.containerId, pid: launched.pid, err: describeError(error) }, 'instance did not stop');
      }
    }
    // Volumes are released even when the stop failed, as Diego's executor does in its deferred step.
    await this.releaseResources();
    this.setState('stopped');
    await this.persist();
  }

  /** Unmounts every volume through its driver and removes the workspace; failures are logged, never thrown. */
  private async releaseResources(): Promise<void> {
    const { drivers, logger, workspaces } = this.services;
    const kept: HeldMount[] = [];
    for (const held of [...this.mounts].reverse()) {
      const { driver, volumeId, containerId } = held.record;
      try {
        await drivers.unmount(driver, volumeId, containerId);
      } catch (error) {
        logger.warn({ containerId, driver, volumeId, err: describeError(error) }, 'volume unmount failed');
        // A mount that did succeed stays recorded, so the next cell start asks the driver again.
        if (held.mounted) kept.push(held);
      }
    }
    this.mounts = kept.reverse();
    if (this.lingering === undefined) {
      try {
        await workspaces.remove(this.containerId);
      } catch (error) {
        logger.error({ containerId: this.containerId, err: describeError(error) }, 'cannot remove container workspace');
      }
    }
    await this.persist();
  }

  private async persist(): Promise<void> {
    try {
      await this.services.persist();
    } catch (error) {
      this.services.logger.error({ containerId: this.containerId, err: describeError(error) }, 'cannot persist cell state');
    }
  }
}
