import type Database from 'better-sqlite3';
import type { VolumeMount } from '../../../sdk/volume/mounts';
import type { BindingDetails, ServiceBindingRecord } from '../records';
import type { SecretBox } from '../secrets';
import type { ControllerDatabase } from './database';
import { lastOperationOf, optionalText, text, type Row } from './rows';

function bindingOf(row: Row): ServiceBindingRecord {
  return {
    guid: text(row, 'guid'),
    type: text(row, 'type') as ServiceBindingRecord['type'],
    name: optionalText(row, 'name'),
    instanceGuid: text(row, 'instance_guid'),
    appGuid: optionalText(row, 'app_guid'),
    predecessorGuid: optionalText(row, 'predecessor_guid'),
    established: row.established === 1,
    expiresAt: optionalText(row, 'expires_at'),
    lastOperation: lastOperationOf(row),
    phase: optionalText(row, 'phase') as ServiceBindingRecord['phase'],
    brokerOperation: optionalText(row, 'broker_operation'),
    createdAt: text(row, 'created_at'),
    updatedAt: text(row, 'updated_at'),
  };
}

/** Every column but the guid and the type, in the order of the INSERT and the UPDATE below. */
function bindingValues(b: ServiceBindingRecord): unknown[] {
  const op = b.lastOperation;
  return [
    b.name, b.instanceGuid, b.appGuid, b.predecessorGuid, b.established ? 1 : 0, b.expiresAt,
    op.type, op.state, op.description, op.createdAt, op.updatedAt, b.phase, b.brokerOperation, b.createdAt, b.updatedAt,
  ];
}

/**
 * Service credential bindings: app bindings and service keys (type `key`, no app) share one
 * table. What the broker returned (credentials, drain, volume mounts) is sealed and only
 * `details` opens it.
 */
export class BindingStore {
  private readonly db: Database.Database;

  constructor(database: ControllerDatabase, private readonly secrets: SecretBox) {
    this.db = database.handle;
  }

  insert(binding: ServiceBindingRecord): void {
    this.db.prepare(`INSERT INTO service_bindings (guid, type, name, instance_guid, app_guid, predecessor_guid, established, expires_at,
      op_type, op_state, op_description, op_created_at, op_updated_at, phase, broker_operation, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(binding.guid, binding.type, ...bindingValues(binding));
  }

  save(binding: ServiceBindingRecord): void {
    this.db.prepare(`UPDATE service_bindings SET name = ?, instance_guid = ?, app_guid = ?, predecessor_guid = ?, established = ?,
      expires_at = ?, op_type = ?, op_state = ?, op_description = ?, op_created_at = ?, op_updated_at = ?, phase = ?,
      broker_operation = ?, created_at = ?, updated_at = ? WHERE guid = ?`).run(...bindingValues(binding), binding.guid);
  }

  get(guid: string): ServiceBindingRecord | undefined {
    const row = this.db.prepare('SELECT * FROM service_bindings WHERE guid = ?').get(guid) as Row | undefined;
    return row && bindingOf(row);
  }

  list(): ServiceBindingRecord[] {
    return (this.db.prepare('SELECT * FROM service_bindings ORDER BY created_at, rowid').all() as Row[]).map(bindingOf);
  }

  ofInstance(instanceGuid: string): ServiceBindingRecord[] {
    return (this.db.prepare('SELECT * FROM service_bindings WHERE instance_guid = ? ORDER BY created_at, rowid').all(instanceGuid) as Row[]).map(bindingOf);
  }

  ofApp(appGuid: string): ServiceBindingRecord[] {
    return (this.db.prepare('SELECT * FROM service_bindings WHERE app_guid = ? ORDER BY created_at, rowid').all(appGuid) as Row[]).map(bindingOf);
  }

  /** The service key of an instance with this name. */
  keyByName(instanceGuid: string, name: string): ServiceBindingRecord | undefined {
    const row = this.db.prepare("SELECT * FROM service_bindings WHERE type = 'key' AND instance_guid = ? AND name = ?").get(instanceGuid, name) as Row | undefined;
    return row && bindingOf(row);
  }

  details(guid: string): BindingDetails | undefined {
    const row = this.db.prepare('SELECT details_sealed FROM service_bindings WHERE guid = ?').get(guid) as Row | undefined;
    const sealed = row && optionalText(row, 'details_sealed');
    if (!sealed) return undefined;
    const stored = this.secrets.openJson(sealed, `service_bindings.details:${guid}`) as {
      credentials: Record<string, unknown>;
      syslog_drain_url: string | null;
      volume_mounts: VolumeMount[];
    };
    return { credentials: stored.credentials, syslogDrainUrl: stored.syslog_drain_url, volumeMounts: stored.volume_mounts };
  }

  saveDetails(guid: string, details: BindingDetails): void {
    const sealed = this.secrets.sealJson(
      { credentials: details.credentials, syslog_drain_url: details.syslogDrainUrl, volume_mounts: details.volumeMounts },
      `service_bindings.details:${guid}`,
    );
    this.db.prepare('UPDATE service_bindings SET details_sealed = ? WHERE guid = ?').run(sealed, guid);
  }

  delete(guid: string): void {
    this.db.prepare('DELETE FROM service_bindings WHERE guid = ?').run(guid);
  }
}
