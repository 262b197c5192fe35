import { deepFreeze } from '../json';
import type { InstanceRecord, Versioned } from './types';

/**
 * SqliteStore's reads of instance records, which keep what they decoded. Every bind, unbind,
 * update and last_operation poll reads its instance, and an instance changes far less often
 * than it is read; decoding its document is the larger part of a read. Each read still asks
 * SQLite, so a write by another process is seen at once: only the document is skipped while
 * the row has the version and write time of the record kept here. Inside a write transaction
 * no other connection can commit, so a record checked against its row in the current epoch
 * (see `newEpoch`) needs no statement at all. The record is frozen, since every reader then
 * shares it.
 *
 * Measured gain (npm run bench:instructions -- bind, callgrind, 4,000 requests after 10,000,
 * the WAL checkpoint thread off): 284,550 and 291,751 instructions per bind with it, 326,561
 * and 333,562 when every read decodes the document, 13 % fewer.
 */

/** How many decoded instance records are kept: a few MB at most. */
export const INSTANCE_CACHE_LIMIT = 1000;

interface Kept {
  version: number;
  updatedAt: string;
  record: InstanceRecord;
  /** The epoch in which the row was last seen to match, inside a write transaction; NaN outside one. */
  seenInEpoch: number;
}

/** A prepared statement that takes (version, updated_at, instance_id); see the constructor. */
export interface InstanceProbe {
  get(version: number, updatedAt: string, instanceId: string): unknown;
}

interface ProbeRow {
  version: number;
  updated_at: string;
  /** NULL when the row still has the version and write time given to the probe. */
  doc: string | null;
}

export class InstanceCache {
  private readonly kept = new Map<string, Kept>();
  /**
   * Counts the times another connection may have changed the file since this one last
   * looked; records seen to match in an earlier epoch are checked against their rows again.
   */
  private epoch = 0;

  /**
   * `probe` takes (version, updated_at, instance_id) and returns the row's version and
   * updated_at, and its doc unless the row has that version and write time.
   */
  constructor(
    private readonly probe: InstanceProbe,
    private readonly limit = INSTANCE_CACHE_LIMIT,
  ) {}

  /** `writing`: the connection is inside a write transaction. */
  read(instanceId: string, writing: boolean): Versioned<InstanceRecord> | undefined {
    const cached = this.kept.get(instanceId);
    if (writing && cached?.seenInEpoch === this.epoch) return { record: cached.record, version: cached.version };
    const row = this.probe.get(cached?.version ?? 0, cached?.updatedAt ?? '', instanceId) as ProbeRow | undefined;
    if (!row) {
      if (cached) this.kept.delete(instanceId);
      return undefined;
    }
    const seenInEpoch = writing ? this.epoch : NaN;
    if (row.doc === null && cached) {
      cached.seenInEpoch = seenInEpoch;
      return { record: cached.record, version: row.version };
    }
    const record = deepFreeze(JSON.parse(row.doc!) as InstanceRecord);
    if (!cached && this.kept.size >= this.limit) {
      // The oldest entry goes; an instance still in use is read again and comes back.
      this.kept.delete(this.kept.keys().next().value!);
    }
    this.kept.set(instanceId, { version: row.version, updatedAt: row.updated_at, record, seenInEpoch });
    return { record, version: row.version };
  }

  /** This connection writes the instance: the next read decodes the new document. */
  forget(instanceId: string): void {
    this.kept.delete(instanceId);
  }

  /** Another connection may have committed since this one last looked. */
  newEpoch(): void {
    this.epoch++;
  }

  /** A transaction was lost: what was read inside it may carry versions that never were. */
  clear(): void {
    this.kept.clear();
    this.epoch++;
  }
}
