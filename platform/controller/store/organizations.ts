import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { OrganizationRecord, SpaceRecord } from '../records';
import { timestamp, type ControllerDatabase } from './database';
import { text, type Row } from './rows';

export const DEFAULT_ORGANIZATION = 'osbkit-org';
export const DEFAULT_SPACE = 'dev';

function organizationOf(row: Row): OrganizationRecord {
  return { guid: text(row, 'guid'), name: text(row, 'name'), createdAt: text(row, 'created_at'), updatedAt: text(row, 'updated_at') };
}

function spaceOf(row: Row): SpaceRecord {
  return {
    guid: text(row, 'guid'),
    name: text(row, 'name'),
    organizationGuid: text(row, 'organization_guid'),
    createdAt: text(row, 'created_at'),
    updatedAt: text(row, 'updated_at'),
  };
}

export class SpaceStore {
  private readonly db: Database.Database;

  constructor(database: ControllerDatabase) {
    this.db = database.handle;
  }

  get(guid: string): SpaceRecord | undefined {
    const row = this.db.prepare('SELECT * FROM spaces WHERE guid = ?').get(guid) as Row | undefined;
    return row && spaceOf(row);
  }

  list(): SpaceRecord[] {
    return (this.db.prepare('SELECT * FROM spaces ORDER BY created_at, rowid').all() as Row[]).map(spaceOf);
  }

  byName(organizationGuid: string, name: string): SpaceRecord | undefined {
    const row = this.db.prepare('SELECT * FROM spaces WHERE organization_guid = ? AND name = ?').get(organizationGuid, name) as Row | undefined;
    return row && spaceOf(row);
  }

  insert(space: SpaceRecord): void {
    this.db.prepare('INSERT INTO spaces VALUES (?, ?, ?, ?, ?)').run(space.guid, space.name, space.organizationGuid, space.createdAt, space.updatedAt);
  }
}

export class OrganizationStore {
  private readonly db: Database.Database;

  constructor(private readonly database: ControllerDatabase, private readonly spaces: SpaceStore) {
    this.db = database.handle;
  }

  /** The single organization and space every resource lives in; created once, guids kept. */
  ensureDefaults(): { organization: OrganizationRecord; space: SpaceRecord } {
    return this.database.transaction(() => {
      let organization = this.byName(DEFAULT_ORGANIZATION);
      if (!organization) {
        const now = timestamp();
        organization = { guid: randomUUID(), name: DEFAULT_ORGANIZATION, createdAt: now, updatedAt: now };
        this.db.prepare('INSERT INTO organizations VALUES (?, ?, ?, ?)').run(organization.guid, organization.name, now, now);
      }
      let space = this.spaces.byName(organization.guid, DEFAULT_SPACE);
      if (!space) {
        const now = timestamp();
        space = { guid: randomUUID(), name: DEFAULT_SPACE, organizationGuid: organization.guid, createdAt: now, updatedAt: now };
        this.spaces.insert(space);
      }
      return { organization, space };
    });
  }

  get(guid: string): OrganizationRecord | undefined {
    const row = this.db.prepare('SELECT * FROM organizations WHERE guid = ?').get(guid) as Row | undefined;
    return row && organizationOf(row);
  }

  private byName(name: string): OrganizationRecord | undefined {
    const row = this.db.prepare('SELECT * FROM organizations WHERE name = ?').get(name) as Row | undefined;
    return row && organizationOf(row);
  }

  list(): OrganizationRecord[] {
    return (this.db.prepare('SELECT * FROM organizations ORDER BY created_at, rowid').all() as Row[]).map(organizationOf);
  }
}
