import { readJsonStateFile, writeFileAtomic } from '../../../sdk/volume/atomic-file';
import { invalidVolumeNameReason } from '../../../sdk/volume/volume-name';

/** What the local driver knows about one volume. */
export interface LocalVolumeRecord {
  opts: Record<string, unknown>;
  /** Containers holding a mount; a container counts once however often it mounts. */
  containers: string[];
  /** Mounts made without a container id (volman sends none); each needs its own unmount. */
  anonymousMounts: number;
}

export type LocalVolumeTable = Map<string, LocalVolumeRecord>;

/** On disk the table is a list, so a volume named `__proto__` is just a name. */
interface StateFileV1 {
  version: 1;
  volumes: Array<{ name: string } & LocalVolumeRecord>;
}

export class LocalDriverStateError extends Error {
  constructor(stateFile: string, reason: string) {
    super(`local driver state file ${stateFile} is unusable: ${reason}`);
    this.name = 'LocalDriverStateError';
  }
}

export function mountCount(record: LocalVolumeRecord): number {
  return record.containers.length + record.anonymousMounts;
}

export function cloneTable(table: LocalVolumeTable): LocalVolumeTable {
  return new Map([...table].map(([name, record]) => [name, structuredClone(record)]));
}

export async function saveLocalDriverState(stateFile: string, table: LocalVolumeTable): Promise<void> {
  const state: StateFileV1 = {
    version: 1,
    volumes: [...table].map(([name, record]) => ({ name, ...record })),
  };
  await writeFileAtomic(stateFile, `${JSON.stringify(state, null, 2)}\n`, 0o600);
}

/**
 * Loads the table written by saveLocalDriverState; a missing file is an
 * empty table. A damaged file stops the driver instead of being ignored:
 * starting empty would forget live mounts.
 */
export async function loadLocalDriverState(stateFile: string): Promise<LocalVolumeTable> {
  const parsed = await readJsonStateFile(stateFile, (reason) => new LocalDriverStateError(stateFile, reason));
  if (parsed === undefined) return new Map();
  return decodeState(parsed, (reason) => new LocalDriverStateError(stateFile, reason));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function decodeState(parsed: unknown, fail: (reason: string) => Error): LocalVolumeTable {
  if (!isObject(parsed) || parsed.version !== 1) throw fail('expected an object with version 1');
  if (!Array.isArray(parsed.volumes)) throw fail('volumes must be an array');
  const table: LocalVolumeTable = new Map();
  parsed.volumes.forEach((entry: unknown, index) => {
    const at = `volumes[${index}]`;
    if (!isObject(entry)) throw fail(`${at} must be an object`);
    const { name, opts, containers, anonymousMounts } = entry;
    if (typeof name !== 'string' || invalidVolumeNameReason(name) !== undefined) throw fail(`${at}.name is not a valid volume name`);
    if (table.has(name)) throw fail(`${at}.name repeats volume ${JSON.stringify(name)}`);
    if (!isObject(opts)) throw fail(`${at}.opts must be an object`);
    if (
      !Array.isArray(containers) ||
      !containers.every((id): id is string => typeof id === 'string' && id !== '') ||
      new Set(containers).size !== containers.length
    ) {
      throw fail(`${at}.containers must be distinct non-empty strings`);
    }
    if (typeof anonymousMounts !== 'number' || !Number.isSafeInteger(anonymousMounts) || anonymousMounts < 0) {
      throw fail(`${at}.anonymousMounts must be a non-negative integer`);
    }
    table.set(name, { opts, containers: [...containers], anonymousMounts });
  });
  return table;
}
