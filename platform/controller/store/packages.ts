import type Database from 'better-sqlite3';
import type { PackageRecord, PackageState } from '../records';
import type { ControllerDatabase } from './database';
import type { Row } from './rows';

/**
 * Packages (uploads of app bits) in the controller's database. The bits themselves are
 * files (package-bits.ts); a row says which upload they came from and whether they are usable.
 */

function packageOf(row: Row): PackageRecord {
  return {
    guid: row.guid as string,
    appGuid: row.app_guid as string,
    state: row.state as PackageState,
    checksum: typeof row.checksum === 'string' ? row.checksum : null,
    error: typeof row.error === 'string' ? row.error : null,
    createdAt: row.created_at as string,
    updatedAt: row.updated_at as string,
  };
}

export class PackageStore {
  private readonly db: Database.Database;

  constructor(database: ControllerDatabase) {
    this.db = database.handle;
  }

  insert(record: PackageRecord): void {
    this.db.prepare('INSERT INTO packages (guid, app_guid, state, checksum, error, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(record.guid, record.appGuid, record.state, record.checksum, record.error, record.createdAt, record.updatedAt);
  }

  save(record: PackageRecord): void {
    this.db.prepare('UPDATE packages SET state = ?, checksum = ?, error = ?, updated_at = ? WHERE guid = ?')
      .run(record.state, record.checksum, record.error, record.updatedAt, record.guid);
  }

  /**
   * Moves a package from one state to another only if it is still in the first: two uploads
   * to one package cannot both start. True when it moved.
   */
  claim(guid: string, from: PackageState, to: PackageState, updatedAt: string): boolean {
    return this.db.prepare('UPDATE packages SET state = ?, updated_at = ? WHERE guid = ? AND state = ?').run(to, updatedAt, guid, from).changes === 1;
  }

  get(guid: string): PackageRecord | undefined {
    const row = this.db.prepare('SELECT * FROM packages WHERE guid = ?').get(guid) as Row | undefined;
    return row && packageOf(row);
  }

  /** Oldest first. */
  list(): PackageRecord[] {
    return (this.db.prepare('SELECT * FROM packages ORDER BY created_at, rowid').all() as Row[]).map(packageOf);
  }

  /** Oldest first. */
  ofApp(appGuid: string): PackageRecord[] {
    return (this.db.prepare('SELECT * FROM packages WHERE app_guid = ? ORDER BY created_at, rowid').all(appGuid) as Row[]).map(packageOf);
  }

  inState(state: PackageState): PackageRecord[] {
    return (this.db.prepare('SELECT * FROM packages WHERE state = ? ORDER BY created_at, rowid').all(state) as Row[]).map(packageOf);
  }
}
