import type { EfsEmulator } from './emulator';
import { accessPointNotFound, fileSystemNotFound, mountTargetNotFound } from './errors';
import type { AccessPointRecord, FileSystemRecord, MountTargetRecord } from './records';

/** What an operation gets: the emulator, the decoded path parameters, the query, the parsed body. */
export interface OperationRequest {
  emulator: EfsEmulator;
  params: Readonly<Record<string, string>>;
  query: URLSearchParams;
  /** The parsed JSON body; undefined when the request had none. */
  body: unknown;
}

export interface OperationResult {
  status: number;
  /** Sent as JSON; no body at all when undefined (the 204s, and the 200s of TagResource/UntagResource). */
  body?: unknown;
}

/** One EFS operation: its HTTP binding from the 2015-02-01 model, and its logic. */
export interface Operation {
  name: string;
  method: 'GET' | 'POST' | 'DELETE';
  /** Path template, e.g. "/2015-02-01/file-systems/{FileSystemId}". */
  path: string;
  /** 429 where EFS models ThrottlingException for the operation, else AWS's common 400. */
  throttleStatus: 400 | 429;
  run(request: OperationRequest): Promise<OperationResult>;
}

// Lookups by id or ARN, failing with the error AWS gives for each kind of resource.

export function findFileSystem(emulator: EfsEmulator, input: string): FileSystemRecord {
  const id = emulator.idFromInput(input);
  const record = id === undefined ? undefined : emulator.store.fileSystems.get(id);
  if (!record) throw fileSystemNotFound(input);
  return record;
}

export function findMountTarget(emulator: EfsEmulator, id: string): MountTargetRecord {
  const record = emulator.store.mountTargets.get(id);
  if (!record) throw mountTargetNotFound(id);
  return record;
}

export function findAccessPoint(emulator: EfsEmulator, input: string): AccessPointRecord {
  const id = emulator.idFromInput(input);
  const record = id === undefined ? undefined : emulator.store.accessPoints.get(id);
  if (!record) throw accessPointNotFound(input);
  return record;
}

/** A taggable resource (TagResource, ListTagsForResource, UntagResource): a file system or an access point. */
export function findTaggable(emulator: EfsEmulator, input: string): FileSystemRecord | AccessPointRecord {
  const isAccessPoint = input.startsWith('fsap-') || input.includes(':access-point/');
  return isAccessPoint ? findAccessPoint(emulator, input) : findFileSystem(emulator, input);
}
