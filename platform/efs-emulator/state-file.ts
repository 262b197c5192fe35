import { readJsonStateFile, writeFileAtomic } from '../../sdk/volume';
import type { EfsStateSnapshot } from './records';

/**
 * The optional state file: the whole state as JSON, replaced atomically after every change
 * and before the change is answered, so a 2xx from the emulator means it is on disk.
 */

export class StateFileError extends Error {}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function requireFields(record: unknown, kind: string, strings: string[], numbers: string[]): void {
  if (!isObject(record)) throw new StateFileError(`a ${kind} entry is not an object`);
  for (const field of strings) if (typeof record[field] !== 'string') throw new StateFileError(`a ${kind} entry lacks the string ${field}`);
  for (const field of numbers) if (typeof record[field] !== 'number') throw new StateFileError(`a ${kind} entry lacks the number ${field}`);
  if (!Array.isArray(record.tags ?? [])) throw new StateFileError(`a ${kind} entry has tags that are not a list`);
}

function assertSnapshot(value: unknown): asserts value is EfsStateSnapshot {
  if (!isObject(value) || value.version !== 1 || typeof value.nextSeq !== 'number') throw new StateFileError('not an EFS emulator state (version 1)');
  const { fileSystems, mountTargets, accessPoints } = value;
  if (!Array.isArray(fileSystems) || !Array.isArray(mountTargets) || !Array.isArray(accessPoints)) {
    throw new StateFileError('fileSystems, mountTargets and accessPoints must be lists');
  }
  const lifecycle = ['seq', 'createdAtMs', 'availableAtMs'];
  for (const record of fileSystems) requireFields(record, 'file system', ['fileSystemId', 'creationToken', 'performanceMode', 'throughputMode'], lifecycle);
  for (const record of mountTargets) requireFields(record, 'mount target', ['mountTargetId', 'fileSystemId', 'subnetId', 'ipAddress', 'availabilityZoneName'], lifecycle);
  for (const record of accessPoints) requireFields(record, 'access point', ['accessPointId', 'fileSystemId', 'clientToken'], lifecycle);
}

/** The snapshot in `path`, or undefined when there is no such file yet. */
export async function loadStateFile(path: string): Promise<EfsStateSnapshot | undefined> {
  const parsed = await readJsonStateFile(path, (reason) => new StateFileError(`${path} is ${reason}`));
  if (parsed === undefined) return undefined;
  try {
    assertSnapshot(parsed);
  } catch (error) {
    if (error instanceof StateFileError) throw new StateFileError(`${path}: ${error.message}`);
    throw error;
  }
  return parsed;
}

/** Writes snapshots one after another, so an older one never lands after a newer one. */
export class StateFileWriter {
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly path: string) {}

  write(snapshot: EfsStateSnapshot): Promise<void> {
    const text = `${JSON.stringify(snapshot, null, 2)}\n`;
    const written = this.chain.then(() => writeFileAtomic(this.path, text));
    this.chain = written.catch(() => undefined);
    return written;
  }

  /** Settles once every snapshot written so far is on disk (or has failed). */
  flushed(): Promise<void> {
    return this.chain;
  }
}
