import type Database from 'better-sqlite3';
import type { BrokerCredentials, ServiceBrokerRecord } from '../records';
import type { SecretBox } from '../secrets';
import { timestamp, type ControllerDatabase } from './database';
import { text, type Row } from './rows';

function brokerOf(row: Row): ServiceBrokerRecord {
  return {
    guid: text(row, 'guid'),
    name: text(row, 'name'),
    url: text(row, 'url'),
    username: text(row, 'username'),
    state: text(row, 'state') as ServiceBrokerRecord['state'],
    createdAt: text(row, 'created_at'),
    updatedAt: text(row, 'updated_at'),
  };
}

/** Registered service brokers; a broker's password is sealed and only `credentials` opens it. */
export class BrokerStore {
  private readonly db: Database.Database;

  constructor(database: ControllerDatabase, private readonly secrets: SecretBox) {
    this.db = database.handle;
  }

  insert(broker: ServiceBrokerRecord, password: string): void {
    this.db
      .prepare('INSERT INTO service_brokers VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(broker.guid, broker.name, broker.url, broker.username, this.secrets.seal(password, `service_brokers.password:${broker.guid}`), broker.state, broker.createdAt, broker.updatedAt);
  }

  get(guid: string): ServiceBrokerRecord | undefined {
    const row = this.db.prepare('SELECT * FROM service_brokers WHERE guid = ?').get(guid) as Row | undefined;
    return row && brokerOf(row);
  }

  byName(name: string): ServiceBrokerRecord | undefined {
    const row = this.db.prepare('SELECT * FROM service_brokers WHERE name = ?').get(name) as Row | undefined;
    return row && brokerOf(row);
  }

  list(): ServiceBrokerRecord[] {
    return (this.db.prepare('SELECT * FROM service_brokers ORDER BY created_at, rowid').all() as Row[]).map(brokerOf);
  }

  credentials(guid: string): BrokerCredentials | undefined {
    const row = this.db.prepare('SELECT username, password_sealed FROM service_brokers WHERE guid = ?').get(guid) as Row | undefined;
    if (!row) return undefined;
    return { username: text(row, 'username'), password: this.secrets.open(text(row, 'password_sealed'), `service_brokers.password:${guid}`) };
  }

  update(guid: string, changes: { name?: string; url?: string; credentials?: BrokerCredentials; state?: ServiceBrokerRecord['state'] }): void {
    const current = this.get(guid);
    if (!current) return;
    const now = timestamp();
    this.db.prepare('UPDATE service_brokers SET name = ?, url = ?, state = ?, updated_at = ? WHERE guid = ?')
      .run(changes.name ?? current.name, changes.url ?? current.url, changes.state ?? current.state, now, guid);
    if (changes.credentials) {
      this.db.prepare('UPDATE service_brokers SET username = ?, password_sealed = ? WHERE guid = ?')
        .run(changes.credentials.username, this.secrets.seal(changes.credentials.password, `service_brokers.password:${guid}`), guid);
    }
  }

  delete(guid: string): void {
    this.db.prepare('DELETE FROM service_brokers WHERE guid = ?').run(guid);
  }
}
