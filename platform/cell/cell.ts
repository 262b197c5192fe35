import { mkdir, realpath } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { AppLogStore, type LogListener } from './app-logs';
import { AppNetworks } from './app-network';
import { DEFAULT_CRASH_BACKOFF, type CrashBackoffPolicy } from './backoff';
import { processStartTicks } from './host-processes';
import { InstanceRunner, type InstanceServices } from './instance';
import { resolveIsolation, type ResolvedIsolation } from './isolation';
import type { InstanceLauncher } from './launcher';
import { describeError, type CellLogger } from './logger';
import { NamespaceLauncher } from './namespace-launcher';
import { ProcessLauncher } from './process-launcher';
import { purgeLeftovers } from './purger';
import { CellStateWriter, type PersistedCellState, type PersistedInstance } from './state-file';
import type { AppStatus, CellHealth, DesiredLrp, IsolationMode, IsolationRequest, LogLine } from './types';
import { assertAppGuid, parseDesiredLrp } from './validation';
import { withDriverTimeouts, type CellVolumeDrivers } from './volumes';
import { ContainerWorkspaces, type FileOwner } from './workspace';

export interface CellOptions {
  dataDir: string;
  drivers: CellVolumeDrivers;
  logger: CellLogger;
  /** 'auto' (default): namespaces when the cell is root on Linux, otherwise none. */
  isolation?: IsolationRequest;
  /** The unprivileged identity apps run as; 2000 is the "vcap" user of Cloud Foundry's stacks. */
  appUid?: number;
  appGid?: number;
  /** How often desired and actual state are compared (default 2000 ms). */
  convergeIntervalMs?: number;
  /** How long a stopping app gets between TERM and KILL (default 10 s, as in Cloud Foundry). */
  stopGraceMs?: number;
  crashBackoff?: Partial<CrashBackoffPolicy>;
  /** Recent log lines kept in memory per app (default 1000). */
  logBufferLines?: number;
  /** Longest wait for one driver call (default 120 s); a hung driver must not hold a stop forever. */
  driverTimeoutMs?: number;
  /** The host uid and gid that root inside a container stands for (default 4294967294, as in Garden); never a real account. */
  containerRootHostId?: number;
  /** The /16 (a.b.0.0) that each container's /30 link to the host is taken from (default 10.255.0.0). */
  appAddressPool?: string;
  /** Path of the osbkit-contain helper (default: dist/native/osbkit-contain of this package). */
  containHelper?: string;
}

export interface LogOptions {
  /** Include the lines kept in memory (default true). */
  recent?: boolean;
  /** Called for every new line until the subscription is closed. */
  follow?: LogListener;
}

export interface LogSubscription {
  recent: LogLine[];
  close(): void;
}

export const DEFAULT_APP_UID = 2000;
export const DEFAULT_CONTAINER_ROOT_HOST_ID = 4294967294;
export const DEFAULT_APP_GID = 2000;

interface AppRecord {
  appGuid: string;
  lrp: DesiredLrp;
  /** Everything but the instance count: a change here means new containers, a change of count only scales. */
  definition: string;
  runners: Map<number, InstanceRunner>;
}

type Phase = 'created' | 'starting' | 'started' | 'shutting-down' | 'shut-down';

function definitionOf(lrp: DesiredLrp): string {
  const { instances: _instances, ...definition } = lrp;
  return JSON.stringify(definition);
}

function requireId(value: number, name: string): number {
  if (!Number.isInteger(value) || value <= 0 || value > 0xfffffffe) throw new RangeError(`${name} must be a positive integer (apps never run as root)`);
  return value;
}

function requirePositive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number`);
  return value;
}

/**
 * Runs app instances as local processes, like Diego's rep and executor made small: it keeps the
 * desired state it is given, converges the actual processes towards it, and records what it
 * started so that a successor can clean up after a crash.
 */
export class Cell {
  private readonly dataDir: string;
  private readonly appOwner: FileOwner;
  private readonly convergeIntervalMs: number;
  private readonly stopGraceMs: number;
  private readonly driverTimeoutMs: number;
  private readonly backoff: CrashBackoffPolicy;
  private readonly logStore: AppLogStore;
  private readonly apps = new Map<string, AppRecord>();
  /** Every runner that may still hold a process or a mount, including ones being stopped. */
  private readonly live = new Set<InstanceRunner>();
  /** Stops in progress per container id; a new instance with the same id waits for its predecessor. */
  private readonly draining = new Map<string, Promise<void>>();
  private readonly stateWriter: CellStateWriter;
  private phase: Phase = 'created';
  private isolation: ResolvedIsolation | undefined;
  private services: InstanceServices | undefined;
  private cellStartTicks: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private wakeScheduled = false;

  constructor(private readonly options: CellOptions) {
    this.dataDir = resolve(options.dataDir);
    this.appOwner = { uid: requireId(options.appUid ?? DEFAULT_APP_UID, 'appUid'), gid: requireId(options.appGid ?? DEFAULT_APP_GID, 'appGid') };
    this.convergeIntervalMs = requirePositive(options.convergeIntervalMs ?? 2_000, 'convergeIntervalMs');
    this.stopGraceMs = requirePositive(options.stopGraceMs ?? 10_000, 'stopGraceMs');
    this.driverTimeoutMs = requirePositive(options.driverTimeoutMs ?? 120_000, 'driverTimeoutMs');
    this.backoff = { ...DEFAULT_CRASH_BACKOFF, ...options.crashBackoff };
    this.logStore = new AppLogStore(join(this.dataDir, 'logs'), options.logBufferLines ?? 1000, options.logger);
    this.stateWriter = new CellStateWriter(join(this.dataDir, 'cell-state.json'), () => this.snapshot());
  }

  get isolationMode(): IsolationMode {
    if (this.isolation === undefined) throw new Error('the cell has not been started');
    return this.isolation.mode;
  }

  /** Purges what a previous cell on this data dir left behind, then begins converging. */
  async start(): Promise<void> {
    if (this.phase !== 'created') throw new Error(`cannot start a cell that is ${this.phase}`);
    this.phase = 'starting';
    const { logger } = this.options;
    const drivers = withDriverTimeouts(this.options.drivers, this.driverTimeoutMs);
    await mkdir(this.dataDir, { recursive: true, mode: 0o711 });
    await mkdir(join(this.dataDir, 'logs'), { recursive: true, mode: 0o700 });
    const realDataDir = await realpath(this.dataDir);
    this.isolation = await resolveIsolation(this.options.isolation ?? 'auto', this.options.containHelper);
    // Only a root cell can hand files and processes to another user.
    const owner = process.getuid?.() === 0 ? this.appOwner : undefined;
    const workspaces = new ContainerWorkspaces(join(realDataDir, 'containers'), owner);
    let networks: AppNetworks | undefined;
    let launcher: InstanceLauncher;
    if (this.isolation.mode === 'namespaces') {
      const networkOptions = { tools: this.isolation.tools.network, dataDir: realDataDir, logger };
      networks = new AppNetworks(this.options.appAddressPool === undefined ? networkOptions : { ...networkOptions, addressPool: this.options.appAddressPool });
      const rootHostId = this.options.containerRootHostId ?? DEFAULT_CONTAINER_ROOT_HOST_ID;
      // The user namespace maps ids 1..65535 to themselves and root to rootHostId (osbkit-contain.c).
      if (this.appOwner.uid > 65535 || this.appOwner.gid > 65535) throw new RangeError('with isolation "namespaces" the app uid and gid must be at most 65535');
      if (!Number.isInteger(rootHostId) || rootHostId <= 65535 || rootHostId > 4294967294) {
        throw new RangeError('containerRootHostId must be an integer from 65536 to 4294967294 (an unprivileged host id outside the mapped range)');
      }
      launcher = new NamespaceLauncher(this.isolation.tools, networks, { appUid: this.appOwner.uid, appGid: this.appOwner.gid, rootHostId });
    } else {
      launcher = new ProcessLauncher(owner);
    }
    if (this.isolation.mode === 'none') {
      logger.warn(
        { dataDir: this.dataDir, runAs: owner ?? 'the cell user' },
        'NO ISOLATION: apps run as plain host processes with `sh -c`, see the host, and get host paths of their volumes',
      );
    }
    this.cellStartTicks = await processStartTicks(process.pid);
    await purgeLeftovers({ dataDir: realDataDir, statePath: join(this.dataDir, 'cell-state.json'), workspaces, drivers, logger });
    // After the processes: a namespace still in use by a leftover app would otherwise stay reachable.
    await networks?.purge();
    this.services = {
      drivers,
      launcher,
      workspaces,
      logger,
      backoff: this.backoff,
      stopGraceMs: this.stopGraceMs,
      persist: () => this.stateWriter.persist(),
      appendLog: (line) => this.logStore.forApp(line.appGuid).append(line),
      wake: () => this.wake(),
    };
    await this.stateWriter.persist();
    this.timer = setInterval(() => this.convergeAll(), this.convergeIntervalMs);
    this.timer.unref();
    this.phase = 'started';
    logger.info({ dataDir: this.dataDir, isolation: this.isolation.mode }, 'cell started');
  }

  /**
   * Sets what should run for an app. Throws InvalidFieldError for a bad request. A change of the
   * instance count scales; any other change replaces the instances.
   */
  desire(appGuid: string, lrp: DesiredLrp): AppStatus {
    this.requireStarted();
    const guid = assertAppGuid(appGuid);
    const desired = parseDesiredLrp(lrp);
    const definition = definitionOf(desired);
    let app = this.apps.get(guid);
    if (app === undefined) {
      app = { appGuid: guid, lrp: desired, definition, runners: new Map() };
      this.apps.set(guid, app);
      this.logStore.forApp(guid);
    } else if (app.definition !== definition) {
      for (const runner of app.runners.values()) void this.retire(app, runner);
      app.lrp = desired;
      app.definition = definition;
    } else {
      app.lrp = desired;
    }
    this.options.logger.info({ appGuid: guid, instances: desired.instances }, 'app desired');
    this.converge(app);
    return this.appStatus(app);
  }

  /** Removes the app's desire and stops its instances; false for an app this cell does not know. */
  async stop(appGuid: string): Promise<boolean> {
    this.requireStarted();
    const app = this.apps.get(appGuid);
    if (app === undefined) return false;
    this.apps.delete(appGuid);
    const stops = [...app.runners.values()].map((runner) => this.retire(app, runner));
    await Promise.all(stops);
    await this.logStore.retire(appGuid);
    this.options.logger.info({ appGuid }, 'app stopped');
    return true;
  }

  status(appGuid: string): AppStatus | undefined {
    const app = this.apps.get(appGuid);
    return app === undefined ? undefined : this.appStatus(app);
  }

  /** Recent lines and/or a live feed; undefined for an app that never ran here (or was forgotten). */
  logs(appGuid: string, options: LogOptions = {}): LogSubscription | undefined {
    const log = this.logStore.find(appGuid);
    if (log === undefined) return undefined;
    const recent = options.recent === false ? [] : log.recent();
    const close = options.follow === undefined ? () => undefined : log.follow(options.follow);
    return { recent, close };
  }

  health(): CellHealth {
    return { status: 'ok', isolation: this.isolationMode, apps: this.apps.size };
  }

  /** Stops every instance and releases every volume; the cell cannot be used afterwards. */
  async shutdown(): Promise<void> {
    if (this.phase === 'shut-down' || this.phase === 'shutting-down') return;
    const wasStarted = this.phase === 'started';
    this.phase = 'shutting-down';
    if (this.timer !== undefined) clearInterval(this.timer);
    if (wasStarted) {
      for (const app of this.apps.values()) for (const runner of app.runners.values()) void this.retire(app, runner);
      this.apps.clear();
      await Promise.all([...this.draining.values()]);
      await this.stateWriter.persist().catch((error: unknown) => {
        this.options.logger.error({ err: describeError(error) }, 'cannot persist cell state');
      });
    }
    await this.logStore.closeAll();
    this.phase = 'shut-down';
    this.options.logger.info({ dataDir: this.dataDir }, 'cell shut down');
  }

  private requireStarted(): InstanceServices {
    if (this.phase !== 'started' || this.services === undefined) throw new Error(`the cell is ${this.phase}, not started`);
    return this.services;
  }

  private appStatus(app: AppRecord): AppStatus {
    const instances = [...app.runners.values()].map((runner) => runner.status()).sort((a, b) => a.index - b.index);
    return { appGuid: app.appGuid, name: app.lrp.name, instances };
  }

  /** Takes a runner out of its app and stops it; its container id stays reserved until the stop is done. */
  private retire(app: AppRecord, runner: InstanceRunner): Promise<void> {
    if (app.runners.get(runner.index) === runner) app.runners.delete(runner.index);
    const stopping = runner.stop().finally(() => {
      if (this.draining.get(runner.containerId) === stopping) this.draining.delete(runner.containerId);
      // A runner that could not release everything stays in the state file for the next purge.
      if (runner.persisted() === undefined) this.live.delete(runner);
    });
    this.draining.set(runner.containerId, stopping);
    return stopping;
  }

  private converge(app: AppRecord): void {
    const services = this.services;
    if (services === undefined || this.phase !== 'started') return;
    const now = Date.now();
    for (let index = 0; index < app.lrp.instances; index += 1) {
      const existing = app.runners.get(index);
      if (existing === undefined) {
        const containerId = `${app.appGuid}-${index}`;
        const runner = new InstanceRunner(app.appGuid, index, app.lrp, services, this.draining.get(containerId));
        app.runners.set(index, runner);
        this.live.add(runner);
        runner.start();
      } else if (existing.readyToRestart(now)) {
        existing.start();
      }
    }
    for (const runner of app.runners.values()) if (runner.index >= app.lrp.instances) void this.retire(app, runner);
  }

  private convergeAll(): void {
    for (const app of this.apps.values()) this.converge(app);
  }

  /** Coalesces wake-ups, and runs after the current instance step has finished so its runner counts as idle. */
  private wake(): void {
    if (this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      this.convergeAll();
    });
  }

  private snapshot(): PersistedCellState {
    const instances = [...this.live].map((runner) => runner.persisted()).filter((entry): entry is PersistedInstance => entry !== undefined);
    const state: PersistedCellState = { version: 1, cellPid: process.pid, instances };
    if (this.cellStartTicks !== undefined) state.cellStartTicks = this.cellStartTicks;
    return state;
  }
}
