import type Database from 'better-sqlite3';
import type { OrphanMitigationRecord } from '../records';
import type { ControllerDatabase } from './database';
import { optionalText, text, type Row } from './rows';

function mitigationOf(row: Row): OrphanMitigationRecord {
  return {
    guid: text(row, 'guid'),
    kind: text(row, 'kind') as OrphanMitigationRecord['kind'],
    purpose: text(row, 'purpose') as OrphanMitigationRecord['purpose'],
    brokerGuid: text(row, 'broker_guid'),
    instanceGuid: text(row, 'instance_guid'),
    bindingGuid: optionalText(row, 'binding_guid'),
    serviceId: text(row, 'service_id'),
    planId: text(row, 'plan_id'),
    reason: text(row, 'reason'),
    state: text(row, 'state') as OrphanMitigationRecord['state'],
    attempts: row.attempts as number,
    lastError: optionalText(row, 'last_error'),
    nextAttemptAt: text(row, 'next_attempt_at'),
    createdAt: text(row, 'created_at'),
    updatedAt: text(row, 'updated_at'),
  };
}

/** Orphan mitigations: deletes the controller still owes a broker for what it may have created. */
export class MitigationStore {
  private readonly db: Database.Database;

  constructor(database: ControllerDatabase) {
    this.db = database.handle;
  }

  insert(m: OrphanMitigationRecord): void {
    this.db.prepare('INSERT INTO orphan_mitigations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(m.guid, m.kind, m.purpose, m.brokerGuid, m.instanceGuid, m.bindingGuid, m.serviceId, m.planId, m.reason, m.state,
        m.attempts, m.lastError, m.nextAttemptAt, m.createdAt, m.updatedAt);
  }

  save(m: OrphanMitigationRecord): void {
    this.db.prepare('UPDATE orphan_mitigations SET state = ?, attempts = ?, last_error = ?, next_attempt_at = ?, updated_at = ? WHERE guid = ?')
      .run(m.state, m.attempts, m.lastError, m.nextAttemptAt, m.updatedAt, m.guid);
  }

  get(guid: string): OrphanMitigationRecord | undefined {
    const row = this.db.prepare('SELECT * FROM orphan_mitigations WHERE guid = ?').get(guid) as Row | undefined;
    return row && mitigationOf(row);
  }

  pending(): OrphanMitigationRecord[] {
    return (this.db.prepare("SELECT * FROM orphan_mitigations WHERE state = 'pending' ORDER BY created_at, rowid").all() as Row[]).map(mitigationOf);
  }

  pendingOfBroker(brokerGuid: string): OrphanMitigationRecord[] {
    return (this.db.prepare("SELECT * FROM orphan_mitigations WHERE state = 'pending' AND broker_guid = ?").all(brokerGuid) as Row[]).map(mitigationOf);
  }

  /** The newest mitigation for an instance (bindingGuid null) or a binding. */
  latestFor(instanceGuid: string, bindingGuid: string | null): OrphanMitigationRecord | undefined {
    const row = (bindingGuid === null
      ? this.db.prepare("SELECT * FROM orphan_mitigations WHERE kind = 'instance' AND instance_guid = ? ORDER BY rowid DESC LIMIT 1").get(instanceGuid)
      : this.db.prepare("SELECT * FROM orphan_mitigations WHERE kind = 'binding' AND binding_guid = ? ORDER BY rowid DESC LIMIT 1").get(bindingGuid)) as Row | undefined;
    return row && mitigationOf(row);
  }

  /** Forgets finished mitigations of a resource that no longer exists. */
  deleteFinished(instanceGuid: string, bindingGuid: string | null): void {
    if (bindingGuid === null) {
      this.db.prepare("DELETE FROM orphan_mitigations WHERE kind = 'instance' AND instance_guid = ? AND state != 'pending'").run(instanceGuid);
    } else {
      this.db.prepare("DELETE FROM orphan_mitigations WHERE kind = 'binding' AND binding_guid = ? AND state != 'pending'").run(bindingGuid);
    }
  }
}
