import { readdir, rename } from 'node:fs/promises';
import { childPids, isProcessAlive, processStartTicks, sendSignal, waitUntilGone } from './host-processes';
import { mountPointsBelow, readHostMounts, unmountPath } from './host-mounts';
import { describeError, type CellLogger } from './logger';
import { CorruptStateFileError, readCellState, type PersistedCellState, type PersistedInstance } from './state-file';
import type { CellVolumeDrivers } from './volumes';
import type { ContainerWorkspaces } from './workspace';

export interface PurgeInput {
  /** Real path of the data dir, as mountinfo spells it. */
  dataDir: string;
  statePath: string;
  workspaces: ContainerWorkspaces;
  drivers: CellVolumeDrivers;
  logger: CellLogger;
}

/** Thrown when another cell process is alive and owns the data dir; purging would kill its apps. */
export class DataDirInUseError extends Error {
  constructor(readonly ownerPid: number) {
    super(`the cell data dir is in use by running cell process ${ownerPid}`);
    this.name = 'DataDirInUseError';
  }
}

const PROCESS_EXIT_WAIT_MS = 10_000;

interface ProcessIdentity {
  pid: number;
  startTicks?: string;
}

async function loadPreviousState(input: PurgeInput): Promise<PersistedCellState | undefined> {
  try {
    return await readCellState(input.statePath);
  } catch (error) {
    if (!(error instanceof CorruptStateFileError)) throw error;
    // Keep the evidence, and still clean up everything that can be found without it.
    const aside = `${input.statePath}.corrupt-${Date.now()}`;
    await rename(input.statePath, aside);
    input.logger.error({ file: aside, err: error.message }, 'cell state file unreadable; moved aside, cleaning up without it');
    return undefined;
  }
}

/** KILLs one recorded instance's process tree if it is still the process the previous cell started. */
async function killInstanceProcesses(instance: PersistedInstance, logger: CellLogger): Promise<ProcessIdentity[]> {
  const { pid, pidStartTicks } = instance;
  if (pid === undefined) return [];
  if (pidStartTicks === undefined && process.platform === 'linux') {
    // Without the start time a live pid may belong to an unrelated process by now.
    logger.warn({ containerId: instance.containerId, pid }, 'leftover instance has no process start time; not killing it');
    return [];
  }
  if (!(await isProcessAlive(pid, pidStartTicks))) return [];
  const children: ProcessIdentity[] = [];
  for (const child of await childPids(pid)) {
    const startTicks = await processStartTicks(child);
    children.push(startTicks === undefined ? { pid: child } : { pid: child, startTicks });
  }
  if (instance.isolation === 'namespaces') {
    // The namespace init first: its death takes every process of the namespace with it.
    for (const child of children) sendSignal(child.pid, 'SIGKILL');
  } else {
    sendSignal(-pid, 'SIGKILL');
  }
  sendSignal(pid, 'SIGKILL');
  logger.info({ containerId: instance.containerId, pid }, 'killed leftover instance of a previous cell');
  return [{ pid, ...(pidStartTicks === undefined ? {} : { startTicks: pidStartTicks }) }, ...children];
}

async function unmountStaleHostMounts(input: PurgeInput): Promise<void> {
  const stale = mountPointsBelow(await readHostMounts(), input.dataDir);
  for (const mountPoint of stale) {
    try {
      await unmountPath(mountPoint);
      input.logger.info({ mountPoint }, 'unmounted stale mount under the cell data dir');
    } catch (error) {
      input.logger.error({ mountPoint, err: describeError(error) }, 'cannot unmount stale mount');
    }
  }
}

async function releaseDriverMounts(state: PersistedCellState, input: PurgeInput): Promise<void> {
  for (const instance of state.instances) {
    for (const { driver, volumeId, containerId } of instance.mounts) {
      try {
        await input.drivers.unmount(driver, volumeId, containerId);
        input.logger.info({ driver, volumeId, containerId }, 'released volume mount of a previous cell');
      } catch (error) {
        // The mount may never have completed; the driver's own purge is the backstop.
        input.logger.warn({ driver, volumeId, containerId, err: describeError(error) }, 'cannot release volume mount of a previous cell');
      }
    }
  }
}

async function removeWorkspaces(input: PurgeInput): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(input.workspaces.root);
  } catch {
    return;
  }
  for (const containerId of entries) {
    try {
      await input.workspaces.remove(containerId);
    } catch (error) {
      input.logger.error({ containerId, err: describeError(error) }, 'cannot remove leftover container workspace');
    }
  }
}

async function refuseIfOwnedByLiveCell(previous: PersistedCellState | undefined): Promise<void> {
  if (previous === undefined || previous.cellPid === process.pid) return;
  // On Linux a pid without its start time proves nothing: it may have been reused.
  const identifiable = previous.cellStartTicks !== undefined || process.platform !== 'linux';
  if (identifiable && (await isProcessAlive(previous.cellPid, previous.cellStartTicks))) throw new DataDirInUseError(previous.cellPid);
}

/**
 * The cell's mount purger: undoes whatever a previous cell process on this data dir left behind,
 * in the order that keeps it safe: processes first (their namespaces hold bind mounts of the
 * volumes), then host mounts, then the drivers' mounts, and only then the files.
 */
export async function purgeLeftovers(input: PurgeInput): Promise<void> {
  const previous = await loadPreviousState(input);
  await refuseIfOwnedByLiveCell(previous);
  const victims: ProcessIdentity[] = [];
  for (const instance of previous?.instances ?? []) victims.push(...(await killInstanceProcesses(instance, input.logger)));
  if (!(await waitUntilGone(victims, PROCESS_EXIT_WAIT_MS))) {
    input.logger.error({ pids: victims.map((victim) => victim.pid) }, 'leftover instance processes survived SIGKILL');
  }
  await unmountStaleHostMounts(input);
  if (previous !== undefined) await releaseDriverMounts(previous, input);
  await removeWorkspaces(input);
}
