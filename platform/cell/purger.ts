import { readdir, readFile, rename } from 'node:fs/promises';
import { basename } from 'node:path';
import { childPids, isProcessAlive, processStartTicks, sendSignal, waitUntilGone } from './host-processes';
import { mountPointsBelow, readHostMounts, unmountPath } from './host-mounts';
import { describeError, type CellLogger } from './logger';
import { CorruptStateFileError, readCellState, type PersistedCellState, type PersistedInstance } from './state-file';
import type { IsolationMode } from './types';
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

/**
 * KILLs a process tree the previous cell started, if the pid still belongs to that process.
 * Returns what was killed, to wait for.
 */
async function killProcessTree(root: ProcessIdentity, isolation: IsolationMode, label: string, logger: CellLogger): Promise<ProcessIdentity[]> {
  if (!(await isProcessAlive(root.pid, root.startTicks))) return [];
  const children: ProcessIdentity[] = [];
  for (const child of await childPids(root.pid)) {
    const startTicks = await processStartTicks(child);
    children.push(startTicks === undefined ? { pid: child } : { pid: child, startTicks });
  }
  if (isolation === 'namespaces') {
    // The namespace init first: its death takes every process of the namespace with it.
    for (const child of children) sendSignal(child.pid, 'SIGKILL');
  } else {
    sendSignal(-root.pid, 'SIGKILL');
  }
  sendSignal(root.pid, 'SIGKILL');
  logger.info({ container: label, pid: root.pid }, 'killed leftover instance of a previous cell');
  return [root, ...children];
}

async function killRecordedInstance(instance: PersistedInstance, logger: CellLogger): Promise<ProcessIdentity[]> {
  const { pid, pidStartTicks } = instance;
  if (pid === undefined) return [];
  if (pidStartTicks === undefined && process.platform === 'linux') {
    // Without the start time a live pid may belong to an unrelated process by now.
    logger.warn({ containerId: instance.containerId, pid }, 'leftover instance has no process start time; not killing it');
    return [];
  }
  const root = pidStartTicks === undefined ? { pid } : { pid, startTicks: pidStartTicks };
  return killProcessTree(root, instance.isolation, instance.containerId, logger);
}

/**
 * unshare processes running one of this cell's set-up scripts, known to the state file or not:
 * a cell that died between spawning an instance and recording it, or a corrupt state file,
 * leaves instances only this sweep finds.
 */
async function findStrayLaunchers(containersRoot: string): Promise<number[]> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return [];
  }
  const strays: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
    const isLauncher = basename(argv[0] ?? '') === 'unshare' && argv.some((arg) => arg.startsWith(`${containersRoot}/`) && arg.endsWith('/setup.sh'));
    if (isLauncher) strays.push(Number(entry));
  }
  return strays;
}

async function killStrayLaunchers(input: PurgeInput, alreadyKilled: readonly ProcessIdentity[]): Promise<ProcessIdentity[]> {
  const known = new Set(alreadyKilled.map((victim) => victim.pid));
  const victims: ProcessIdentity[] = [];
  for (const pid of await findStrayLaunchers(input.workspaces.root)) {
    if (known.has(pid)) continue;
    const startTicks = await processStartTicks(pid);
    const root = startTicks === undefined ? { pid } : { pid, startTicks };
    victims.push(...(await killProcessTree(root, 'namespaces', 'unrecorded', input.logger)));
  }
  return victims;
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
  for (const instance of previous?.instances ?? []) victims.push(...(await killRecordedInstance(instance, input.logger)));
  victims.push(...(await killStrayLaunchers(input, victims)));
  if (!(await waitUntilGone(victims, PROCESS_EXIT_WAIT_MS))) {
    input.logger.error({ pids: victims.map((victim) => victim.pid) }, 'leftover instance processes survived SIGKILL');
  }
  await unmountStaleHostMounts(input);
  if (previous !== undefined) await releaseDriverMounts(previous, input);
  await removeWorkspaces(input);
}
