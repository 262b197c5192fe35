import type Database from 'better-sqlite3';
import type { ServiceInstanceRecord } from '../records';
import type { ControllerDatabase } from './database';
import { lastOperationOf, optionalText, text, type Row } from './rows';

function instanceOf(row: Row): ServiceInstanceRecord {
  return {
    guid: text(row, 'guid'),
    name: text(row, 'name'),
    spaceGuid: text(row, 'space_guid'),
    planGuid: text(row, 'plan_guid'),
    tags: JSON.parse(text(row, 'tags')) as string[],
    dashboardUrl: optionalText(row, 'dashboard_url'),
    maintenanceInfoVersion: optionalText(row, 'maintenance_info_version'),
    usable: row.usable === 1,
    blockedUpdate: optionalText(row, 'blocked_update'),
    lastOperation: lastOperationOf(row),
    phase: optionalText(row, 'phase') as ServiceInstanceRecord['phase'],
    brokerOperation: optionalText(row, 'broker_operation'),
    createdAt: text(row, 'created_at'),
    updatedAt: text(row, 'updated_at'),
  };
}

/** Every column but the guid, in the table's order. */
function instanceValues(i: ServiceInstanceRecord): unknown[] {
  const op = i.lastOperation;
  return [
    i.name, i.spaceGuid, i.planGuid, JSON.stringify(i.tags), i.dashboardUrl, i.maintenanceInfoVersion, i.usable ? 1 : 0,
    i.blockedUpdate, op.type, op.state, op.description, op.createdAt, op.updatedAt, i.phase, i.brokerOperation, i.createdAt, i.updatedAt,
  ];
}

export class InstanceStore {
  private readonly db: Database.Database;

  constructor(database: ControllerDatabase) {
    this.db = database.handle;
  }

  insert(instance: ServiceInstanceRecord): void {
    this.db.prepare('INSERT INTO service_instances VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(instance.guid, ...instanceValues(instance));
  }

  save(instance: ServiceInstanceRecord): void {
    this.db.prepare(`UPDATE service_instances SET name = ?, space_guid = ?, plan_guid = ?, tags = ?, dashboard_url = ?,
      maintenance_info_version = ?, usable = ?, blocked_update = ?, op_type = ?, op_state = ?, op_description = ?,
      op_created_at = ?, op_updated_at = ?, phase = ?, broker_operation = ?, created_at = ?, updated_at = ? WHERE guid = ?`)
      .run(...instanceValues(instance), instance.guid);
  }

  get(guid: string): ServiceInstanceRecord | undefined {
    const row = this.db.prepare('SELECT * FROM service_instances WHERE guid = ?').get(guid) as Row | undefined;
    return row && instanceOf(row);
  }

  byName(spaceGuid: string, name: string): ServiceInstanceRecord | undefined {
    const row = this.db.prepare('SELECT * FROM service_instances WHERE space_guid = ? AND name = ?').get(spaceGuid, name) as Row | undefined;
    return row && instanceOf(row);
  }

  list(): ServiceInstanceRecord[] {
    return (this.db.prepare('SELECT * FROM service_instances ORDER BY created_at, rowid').all() as Row[]).map(instanceOf);
  }

  /** The instances of every plan of a broker's offerings. */
  ofBroker(brokerGuid: string): ServiceInstanceRecord[] {
    const rows = this.db.prepare(`
      SELECT i.* FROM service_instances i
      JOIN service_plans p ON p.guid = i.plan_guid
      JOIN service_offerings o ON o.guid = p.offering_guid
      WHERE o.broker_guid = ? ORDER BY i.created_at, i.rowid`).all(brokerGuid) as Row[];
    return rows.map(instanceOf);
  }

  delete(guid: string): void {
    this.db.prepare('DELETE FROM service_instances WHERE guid = ?').run(guid);
  }
}
