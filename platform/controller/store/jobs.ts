import type Database from 'better-sqlite3';
import type { ErrorEntry } from '../errors';
import type { JobRecord } from '../records';
import type { ControllerDatabase } from './database';
import { text, type Row } from './rows';

function jobOf(row: Row): JobRecord {
  return {
    guid: text(row, 'guid'),
    operation: text(row, 'operation') as JobRecord['operation'],
    state: text(row, 'state') as JobRecord['state'],
    errors: JSON.parse(text(row, 'errors')) as ErrorEntry[],
    warnings: JSON.parse(text(row, 'warnings')) as string[],
    resourceType: text(row, 'resource_type') as JobRecord['resourceType'],
    resourceGuid: text(row, 'resource_guid'),
    userId: text(row, 'user_id'),
    payload: JSON.parse(text(row, 'payload')) as Record<string, unknown>,
    createdAt: text(row, 'created_at'),
    updatedAt: text(row, 'updated_at'),
  };
}

/** Asynchronous jobs (`/v3/jobs`); those still PROCESSING are resumed after a restart. */
export class JobStore {
  private readonly db: Database.Database;

  constructor(database: ControllerDatabase) {
    this.db = database.handle;
  }

  insert(job: JobRecord): void {
    this.db.prepare('INSERT INTO jobs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(job.guid, job.operation, job.state, JSON.stringify(job.errors), JSON.stringify(job.warnings), job.resourceType,
        job.resourceGuid, job.userId, JSON.stringify(job.payload), job.createdAt, job.updatedAt);
  }

  save(job: JobRecord): void {
    this.db.prepare('UPDATE jobs SET state = ?, errors = ?, warnings = ?, payload = ?, updated_at = ? WHERE guid = ?')
      .run(job.state, JSON.stringify(job.errors), JSON.stringify(job.warnings), JSON.stringify(job.payload), job.updatedAt, job.guid);
  }

  get(guid: string): JobRecord | undefined {
    const row = this.db.prepare('SELECT * FROM jobs WHERE guid = ?').get(guid) as Row | undefined;
    return row && jobOf(row);
  }

  processing(): JobRecord[] {
    return (this.db.prepare("SELECT * FROM jobs WHERE state = 'PROCESSING' ORDER BY created_at, rowid").all() as Row[]).map(jobOf);
  }

  processingFor(resourceType: JobRecord['resourceType'], resourceGuid: string): JobRecord | undefined {
    const row = this.db.prepare("SELECT * FROM jobs WHERE state = 'PROCESSING' AND resource_type = ? AND resource_guid = ? LIMIT 1")
      .get(resourceType, resourceGuid) as Row | undefined;
    return row && jobOf(row);
  }
}
