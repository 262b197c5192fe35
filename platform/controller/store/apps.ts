import type Database from 'better-sqlite3';
import type { AppRecord } from '../records';
import type { SecretBox } from '../secrets';
import { timestamp, type ControllerDatabase } from './database';
import { optionalText, text, type Row } from './rows';

function appOf(row: Row): AppRecord {
  return {
    guid: text(row, 'guid'),
    name: text(row, 'name'),
    spaceGuid: text(row, 'space_guid'),
    state: text(row, 'state') as AppRecord['state'],
    command: text(row, 'command'),
    instances: row.instances as number,
    packageGuid: optionalText(row, 'package_guid'),
    createdAt: text(row, 'created_at'),
    updatedAt: text(row, 'updated_at'),
  };
}

/** Apps; an app's environment variables are sealed and only `environment` opens them. */
export class AppStore {
  private readonly db: Database.Database;

  constructor(database: ControllerDatabase, private readonly secrets: SecretBox) {
    this.db = database.handle;
  }

  insert(app: AppRecord, environment: Record<string, string>): void {
    this.db.prepare(`INSERT INTO apps (guid, name, space_guid, state, command, instances, package_guid, environment_sealed, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(app.guid, app.name, app.spaceGuid, app.state, app.command, app.instances, app.packageGuid,
        this.secrets.sealJson(environment, `apps.environment:${app.guid}`), app.createdAt, app.updatedAt);
  }

  save(app: AppRecord): void {
    this.db.prepare('UPDATE apps SET name = ?, state = ?, command = ?, instances = ?, package_guid = ?, updated_at = ? WHERE guid = ?')
      .run(app.name, app.state, app.command, app.instances, app.packageGuid, app.updatedAt, app.guid);
  }

  get(guid: string): AppRecord | undefined {
    const row = this.db.prepare('SELECT * FROM apps WHERE guid = ?').get(guid) as Row | undefined;
    return row && appOf(row);
  }

  byName(spaceGuid: string, name: string): AppRecord | undefined {
    const row = this.db.prepare('SELECT * FROM apps WHERE space_guid = ? AND name = ?').get(spaceGuid, name) as Row | undefined;
    return row && appOf(row);
  }

  list(): AppRecord[] {
    return (this.db.prepare('SELECT * FROM apps ORDER BY created_at, rowid').all() as Row[]).map(appOf);
  }

  environment(guid: string): Record<string, string> {
    const row = this.db.prepare('SELECT environment_sealed FROM apps WHERE guid = ?').get(guid) as Row | undefined;
    if (!row) return {};
    return this.secrets.openJson(text(row, 'environment_sealed'), `apps.environment:${guid}`) as Record<string, string>;
  }

  saveEnvironment(guid: string, environment: Record<string, string>): void {
    this.db.prepare('UPDATE apps SET environment_sealed = ?, updated_at = ? WHERE guid = ?')
      .run(this.secrets.sealJson(environment, `apps.environment:${guid}`), timestamp(), guid);
  }

  delete(guid: string): void {
    this.db.prepare('DELETE FROM apps WHERE guid = ?').run(guid);
  }
}
