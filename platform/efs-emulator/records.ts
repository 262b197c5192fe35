import type { Tag } from './tags';
import type { PerformanceMode, ThroughputMode } from './validation';

/**
 * What the emulator keeps of each resource: plain JSON, so the state file is these records.
 * Lifecycle states are not stored but follow from the clock: a resource is `creating` until
 * `availableAtMs`, `deleting` from DeleteX until `deletedAtMs`, and gone after that. So a
 * restarted emulator (with --state-file) carries on where the old one left off.
 */

export type LifeCycleState = 'creating' | 'available' | 'updating' | 'deleting' | 'deleted' | 'error';

interface Lifecycle {
  /** Creation order, for stable pagination. */
  seq: number;
  createdAtMs: number;
  availableAtMs: number;
  deletedAtMs?: number;
}

export interface FileSystemRecord extends Lifecycle {
  fileSystemId: string;
  creationToken: string;
  performanceMode: PerformanceMode;
  throughputMode: ThroughputMode;
  provisionedThroughputInMibps?: number;
  encrypted: boolean;
  kmsKeyId?: string;
  availabilityZoneName?: string;
  backup: boolean;
  tags: Tag[];
}

export interface MountTargetRecord extends Lifecycle {
  mountTargetId: string;
  fileSystemId: string;
  subnetId: string;
  availabilityZoneName: string;
  ipAddress: string;
  networkInterfaceId: string;
  securityGroups: string[];
}

export interface PosixUser {
  Uid: number;
  Gid: number;
  SecondaryGids?: number[];
}

export interface CreationInfo {
  OwnerUid: number;
  OwnerGid: number;
  Permissions: string;
}

export interface RootDirectory {
  Path: string;
  CreationInfo?: CreationInfo;
}

export interface AccessPointRecord extends Lifecycle {
  accessPointId: string;
  fileSystemId: string;
  clientToken: string;
  posixUser?: PosixUser;
  rootDirectory: RootDirectory;
  tags: Tag[];
}

export function lifeCycleState(record: Lifecycle, nowMs: number): LifeCycleState {
  if (record.deletedAtMs !== undefined) return nowMs >= record.deletedAtMs ? 'deleted' : 'deleting';
  return nowMs >= record.availableAtMs ? 'available' : 'creating';
}

/** The whole state, as written to the state file. */
export interface EfsStateSnapshot {
  version: 1;
  nextSeq: number;
  fileSystems: FileSystemRecord[];
  mountTargets: MountTargetRecord[];
  accessPoints: AccessPointRecord[];
}

/** The resources and their indexes; no I/O, no clock of its own. */
export class EfsStore {
  readonly fileSystems = new Map<string, FileSystemRecord>();
  readonly mountTargets = new Map<string, MountTargetRecord>();
  readonly accessPoints = new Map<string, AccessPointRecord>();
  private nextSeq = 1;

  static fromSnapshot(snapshot: EfsStateSnapshot): EfsStore {
    const store = new EfsStore();
    store.nextSeq = snapshot.nextSeq;
    for (const record of snapshot.fileSystems) store.fileSystems.set(record.fileSystemId, record);
    for (const record of snapshot.mountTargets) store.mountTargets.set(record.mountTargetId, record);
    for (const record of snapshot.accessPoints) store.accessPoints.set(record.accessPointId, record);
    return store;
  }

  snapshot(): EfsStateSnapshot {
    return {
      version: 1,
      nextSeq: this.nextSeq,
      fileSystems: [...this.fileSystems.values()],
      mountTargets: [...this.mountTargets.values()],
      accessPoints: [...this.accessPoints.values()],
    };
  }

  takeSeq(): number {
    const seq = this.nextSeq;
    this.nextSeq += 1;
    return seq;
  }

  fileSystemByCreationToken(token: string): FileSystemRecord | undefined {
    for (const record of this.fileSystems.values()) if (record.creationToken === token) return record;
    return undefined;
  }

  mountTargetsOf(fileSystemId: string): MountTargetRecord[] {
    return [...this.mountTargets.values()].filter((record) => record.fileSystemId === fileSystemId).sort(bySeq);
  }

  accessPointsOf(fileSystemId: string): AccessPointRecord[] {
    return [...this.accessPoints.values()].filter((record) => record.fileSystemId === fileSystemId).sort(bySeq);
  }

  countAccessPoints(fileSystemId: string): number {
    let count = 0;
    for (const record of this.accessPoints.values()) if (record.fileSystemId === fileSystemId) count += 1;
    return count;
  }

  accessPointByClientToken(fileSystemId: string, clientToken: string): AccessPointRecord | undefined {
    for (const record of this.accessPoints.values()) if (record.fileSystemId === fileSystemId && record.clientToken === clientToken) return record;
    return undefined;
  }

  addressesInUse(subnetId: string): Set<string> {
    return new Set([...this.mountTargets.values()].filter((record) => record.subnetId === subnetId).map((record) => record.ipAddress));
  }

  /**
   * Drops every resource whose deletion has finished (a file system takes its access points
   * with it). Returns the file systems that went, and whether anything changed.
   */
  removeDeleted(nowMs: number): { removedFileSystems: string[]; changed: boolean } {
    const done = (record: Lifecycle): boolean => record.deletedAtMs !== undefined && nowMs >= record.deletedAtMs;
    let changed = false;
    for (const [id, record] of this.mountTargets) if (done(record)) changed = this.mountTargets.delete(id) || changed;
    for (const [id, record] of this.accessPoints) if (done(record)) changed = this.accessPoints.delete(id) || changed;
    const removedFileSystems: string[] = [];
    for (const [id, record] of this.fileSystems) {
      if (!done(record)) continue;
      this.fileSystems.delete(id);
      for (const accessPoint of this.accessPointsOf(id)) this.accessPoints.delete(accessPoint.accessPointId);
      removedFileSystems.push(id);
      changed = true;
    }
    return { removedFileSystems, changed };
  }

  /** The earliest pending lifecycle change after `nowMs`, for the settle timer. */
  nextTransitionAfter(nowMs: number): number | undefined {
    let earliest: number | undefined;
    const consider = (at: number | undefined): void => {
      if (at !== undefined && at > nowMs && (earliest === undefined || at < earliest)) earliest = at;
    };
    for (const map of [this.fileSystems, this.mountTargets, this.accessPoints] as const) {
      for (const record of map.values()) consider(record.deletedAtMs);
    }
    return earliest;
  }
}

export const bySeq = (a: { seq: number }, b: { seq: number }): number => a.seq - b.seq;
