import type Database from 'better-sqlite3';
import type { PackageRecord, PackageState } from './records';

/**
 * Packages (uploads of app bits) in the controller's database. The bits themselves are
 * files (package-bits.ts); a row says which upload they came from and whether they are usable.
 */

/**
 * The table this store adds, and the app's column naming the package it runs; `ControllerStore`
 * runs it as a schema migration. An app's `path` (a host directory its creator named) is gone:
 * an app runs only what was uploaded.
 */
export const PACKAGE_SCHEMA = `
CREATE TABLE packages (
  guid TEXT PRIMARY KEY, app_guid TEXT NOT NULL REFERENCES apps(guid) ON DELETE CASCADE, state TEXT NOT NULL,
  checksum TEXT, error TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE INDEX packages_by_app ON packages (app_guid);
ALTER TABLE apps ADD COLUMN package_guid TEXT;
ALTER TABLE apps DROP COLUMN path;
`;

type Row = Record<string, unknown>;

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
  constructor(private readonly db: Database.Database) {}

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
