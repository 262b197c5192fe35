import { errors, type JsonObject, type JsonValue } from '../../sdk';

/**
 * What the broker keeps in the SDK's store: the instance's and binding's private `data`, and
 * the checkpoints of its operations. They come back from a database, so they are read with the
 * same care as anything else from outside the process.
 */

export interface MountTargetRecord {
  subnetId: string;
  mountTargetId: string;
  availabilityZone?: string;
  ipAddress?: string;
}

export interface InstanceData {
  fileSystemId: string;
  region: string;
  mountTargets: MountTargetRecord[];
}

export interface BindingData {
  fileSystemId: string;
  accessPointId: string;
  rootPath: string;
}

/** Where a multi-step operation is. `waits` counts the waits in a row in the current phase. */
export interface Checkpoint<Phase extends string> {
  phase: Phase;
  waits: number;
  fileSystemId?: string;
  accessPointId?: string;
}

export type ProvisionPhase = 'create-file-system' | 'file-system' | 'mount-targets';
export type DeprovisionPhase = 'find' | 'access-points' | 'mount-targets' | 'delete-file-system' | 'file-system';
export type BindPhase = 'create-access-point' | 'access-point';

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: JsonValue | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function corrupt(what: string): Error {
  return errors.internal(new Error(`the stored ${what} is malformed`));
}

export function readInstanceData(value: JsonValue | undefined): InstanceData | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw corrupt('instance data');
  const fileSystemId = text(value.fileSystemId);
  const region = text(value.region);
  const targets = value.mountTargets;
  if (!fileSystemId || !region || !Array.isArray(targets)) throw corrupt('instance data');
  const mountTargets = targets.map((target): MountTargetRecord => {
    if (!isObject(target) || !text(target.subnetId) || !text(target.mountTargetId)) throw corrupt('mount target record');
    return {
      subnetId: text(target.subnetId)!,
      mountTargetId: text(target.mountTargetId)!,
      ...(text(target.availabilityZone) ? { availabilityZone: text(target.availabilityZone)! } : {}),
      ...(text(target.ipAddress) ? { ipAddress: text(target.ipAddress)! } : {}),
    };
  });
  return { fileSystemId, region, mountTargets };
}

export function readBindingData(value: JsonValue | undefined): BindingData | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw corrupt('binding data');
  const fileSystemId = text(value.fileSystemId);
  const accessPointId = text(value.accessPointId);
  const rootPath = text(value.rootPath);
  if (!fileSystemId || !accessPointId || !rootPath) throw corrupt('binding data');
  return { fileSystemId, accessPointId, rootPath };
}

/** A checkpoint of one of `phases`, or undefined for the first step (or a checkpoint of another shape, e.g. a halted create's). */
export function readCheckpoint<Phase extends string>(value: JsonValue | undefined, phases: readonly Phase[]): Checkpoint<Phase> | undefined {
  if (!isObject(value)) return undefined;
  const phase = value.phase;
  if (typeof phase !== 'string' || !(phases as readonly string[]).includes(phase)) return undefined;
  const waits = typeof value.waits === 'number' && Number.isInteger(value.waits) && value.waits >= 0 ? value.waits : 0;
  const fileSystemId = text(value.fileSystemId);
  const accessPointId = text(value.accessPointId);
  return {
    phase: phase as Phase,
    waits,
    ...(fileSystemId ? { fileSystemId } : {}),
    ...(accessPointId ? { accessPointId } : {}),
  };
}

export function checkpointJson<Phase extends string>(checkpoint: Checkpoint<Phase>): JsonObject {
  return {
    phase: checkpoint.phase,
    waits: checkpoint.waits,
    ...(checkpoint.fileSystemId ? { fileSystemId: checkpoint.fileSystemId } : {}),
    ...(checkpoint.accessPointId ? { accessPointId: checkpoint.accessPointId } : {}),
  };
}
