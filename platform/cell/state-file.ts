import { readJsonStateFile, writeFileAtomic } from '../../sdk/volume/atomic-file';
import type { IsolationMode } from './types';
import type { DriverMountRecord } from './volumes';

/**
 * What a crashed cell leaves for its successor: every process it started and every driver mount
 * it asked for. Desired state is not kept; the controller owns it and desires again.
 */
export interface PersistedInstance {
  containerId: string;
  appGuid: string;
  index: number;
  isolation: IsolationMode;
  /** Host pid of the outermost process; absent while volumes are mounted but nothing was started yet. */
  pid?: number;
  pidStartTicks?: string;
  /** Recorded before the driver is asked, so a crash in the middle of a mount is still cleaned up. */
  mounts: DriverMountRecord[];
}

export interface PersistedCellState {
  version: 1;
  cellPid: number;
  cellStartTicks?: string;
  instances: PersistedInstance[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

function parseMountRecord(value: unknown): DriverMountRecord | undefined {
  if (!isRecord(value)) return undefined;
  const { driver, volumeId, containerId } = value;
  if (typeof driver !== 'string' || typeof volumeId !== 'string' || typeof containerId !== 'string') return undefined;
  return { driver, volumeId, containerId };
}

function parseInstance(value: unknown): PersistedInstance | undefined {
  if (!isRecord(value)) return undefined;
  const { containerId, appGuid, index, isolation, pid, pidStartTicks, mounts } = value;
  if (typeof containerId !== 'string' || typeof appGuid !== 'string' || typeof index !== 'number') return undefined;
  if (isolation !== 'namespaces' && isolation !== 'none') return undefined;
  if (!Array.isArray(mounts)) return undefined;
  const parsedMounts = mounts.map(parseMountRecord);
  if (parsedMounts.some((mount) => mount === undefined)) return undefined;
  const instance: PersistedInstance = { containerId, appGuid, index, isolation, mounts: parsedMounts as DriverMountRecord[] };
  if (isPositiveInteger(pid)) instance.pid = pid;
  if (typeof pidStartTicks === 'string') instance.pidStartTicks = pidStartTicks;
  return instance;
}

/** Thrown when the file exists but cannot be trusted; the caller decides how to clean up without it. */
export class CorruptStateFileError extends Error {
  constructor(readonly path: string, detail: string) {
    super(`cell state file ${path} is unreadable: ${detail}`);
    this.name = 'CorruptStateFileError';
  }
}

/** Reads the state a previous cell left; undefined when there is none. */
export async function readCellState(path: string): Promise<PersistedCellState | undefined> {
  const data = await readJsonStateFile(path, (reason) => new CorruptStateFileError(path, reason));
  if (data === undefined) return undefined;
  if (!isRecord(data) || data.version !== 1 || !isPositiveInteger(data.cellPid) || !Array.isArray(data.instances)) {
    throw new CorruptStateFileError(path, 'unexpected shape');
  }
  const instances = data.instances.map(parseInstance);
  if (instances.some((instance) => instance === undefined)) throw new CorruptStateFileError(path, 'malformed instance entry');
  const state: PersistedCellState = { version: 1, cellPid: data.cellPid, instances: instances as PersistedInstance[] };
  if (typeof data.cellStartTicks === 'string') state.cellStartTicks = data.cellStartTicks;
  return state;
}

/** Replaces the file so a reader, or a successor after a power loss, sees the old or the new state, never a torn one. */
export function writeCellStateAtomically(path: string, state: PersistedCellState): Promise<void> {
  return writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`);
}

/**
 * Serialises state writes and coalesces bursts: a caller gets a promise that settles once a
 * write that started after its call has finished, so what it changed is on disk.
 */
export class CellStateWriter {
  private writing: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(
    private readonly path: string,
    private readonly snapshot: () => PersistedCellState,
  ) {}

  persist(): Promise<void> {
    if (this.queued !== undefined) return this.queued;
    if (this.writing === undefined) {
      this.writing = this.writeNow();
      return this.writing;
    }
    const current = this.writing;
    this.queued = current
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        this.writing = this.writeNow();
        return this.writing;
      });
    return this.queued;
  }

  private async writeNow(): Promise<void> {
    try {
      await writeCellStateAtomically(this.path, this.snapshot());
    } finally {
      this.writing = undefined;
    }
  }
}
