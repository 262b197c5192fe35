import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { BindingRecord, InstanceRecord, PendingTarget, StateStore, Versioned } from './types';

export interface SqliteStoreOptions {
  /** File path, or ':memory:'. */
  path: string;
  /**
   * NORMAL (the default) survives a killed process, which is the failure brokers meet; FULL
   * also survives power loss at the cost of an fsync per write.
   */
  synchronous?: 'NORMAL' | 'FULL';
}

const SCHEMA_VERSION = 1;

/** The embedded durable default: one SQLite file in WAL mode, safe for several processes. */
export class SqliteStore implements StateStore {
  private readonly db: Database.Database;
  private statements!: ReturnType<SqliteStore['prepare']>;

  constructor(private readonly options: SqliteStoreOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path);
  }

  async init(): Promise<void> {
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${this.options.synchronous ?? 'NORMAL'}`);
    // Another replica may hold the write lock briefly; wait instead of failing.
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS osb_schema (version INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS osb_instances (
        instance_id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        state TEXT NOT NULL,
        op_state TEXT,
        updated_at TEXT NOT NULL,
        doc TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS osb_bindings (
        instance_id TEXT NOT NULL,
        binding_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        state TEXT NOT NULL,
        op_state TEXT,
        updated_at TEXT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (instance_id, binding_id)
      );
      CREATE INDEX IF NOT EXISTS osb_instances_pending ON osb_instances (op_state) WHERE op_state = 'in progress';
      CREATE INDEX IF NOT EXISTS osb_bindings_pending ON osb_bindings (op_state) WHERE op_state = 'in progress';
    `);
    const row = this.db.prepare('SELECT version FROM osb_schema').get() as { version: number } | undefined;
    if (!row) this.db.prepare('INSERT INTO osb_schema (version) VALUES (?)').run(SCHEMA_VERSION);
    else if (row.version > SCHEMA_VERSION) {
      throw new Error(`the state file was written by a newer osbkit (schema ${row.version} > ${SCHEMA_VERSION})`);
    }
    this.statements = this.prepare();
    this.runBatch = this.db.transaction((batch: Array<{ run: () => number | undefined }>) => batch.map((item) => item.run()));
  }

  private runBatch!: Database.Transaction<(batch: Array<{ run: () => number | undefined }>) => Array<number | undefined>>;

  private prepare() {
    const db = this.db;
    return {
      getInstance: db.prepare('SELECT doc, version FROM osb_instances WHERE instance_id = ?'),
      insertInstance: db.prepare(
        'INSERT OR IGNORE INTO osb_instances (instance_id, version, state, op_state, updated_at, doc) VALUES (?, 1, ?, ?, ?, ?)',
      ),
      updateInstance: db.prepare(
        'UPDATE osb_instances SET version = version + 1, state = ?, op_state = ?, updated_at = ?, doc = ? WHERE instance_id = ? AND version = ?',
      ),
      getBinding: db.prepare('SELECT doc, version FROM osb_bindings WHERE instance_id = ? AND binding_id = ?'),
      insertBinding: db.prepare(
        'INSERT OR IGNORE INTO osb_bindings (instance_id, binding_id, version, state, op_state, updated_at, doc) VALUES (?, ?, 1, ?, ?, ?, ?)',
      ),
      updateBinding: db.prepare(
        'UPDATE osb_bindings SET version = version + 1, state = ?, op_state = ?, updated_at = ?, doc = ? WHERE instance_id = ? AND binding_id = ? AND version = ?',
      ),
      listBindings: db.prepare('SELECT doc, version FROM osb_bindings WHERE instance_id = ?'),
      pendingInstances: db.prepare("SELECT instance_id FROM osb_instances WHERE op_state = 'in progress'"),
      pendingBindings: db.prepare("SELECT instance_id, binding_id FROM osb_bindings WHERE op_state = 'in progress'"),
      purgeInstances: db.prepare("DELETE FROM osb_instances WHERE state = 'deleted' AND updated_at < ?"),
      purgeBindings: db.prepare("DELETE FROM osb_bindings WHERE state = 'deleted' AND updated_at < ?"),
    };
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    this.flush();
    this.db.close();
  }

  /**
   * Writes queued in one turn of the event loop commit in one transaction (group commit):
   * a commit costs far more than a row, and concurrent requests then share it. Each write
   * still gets its own compare-and-set answer, and a read of a key with a queued write
   * commits the queue first, so every caller reads its own writes.
   */
  private readonly queue: Array<{ key: string; run: () => number | undefined; resolve: (v: number | undefined) => void; reject: (e: unknown) => void }> = [];
  private readonly queuedKeys = new Set<string>();
  private flushScheduled = false;

  private enqueue(key: string, run: () => number | undefined): Promise<number | undefined> {
    return new Promise((resolve, reject) => {
      this.queue.push({ key, run, resolve, reject });
      this.queuedKeys.add(key);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.queue.length === 0) return;
    const batch = this.queue.splice(0);
    this.queuedKeys.clear();
    let results: Array<number | undefined>;
    try {
      results = this.runBatch.immediate(batch);
    } catch {
      // One failing write must not fail the others: retry them one by one.
      batch.forEach((item) => {
        try {
          item.resolve(item.run());
        } catch (error) {
          item.reject(error);
        }
      });
      return;
    }
    batch.forEach((item, i) => item.resolve(results[i]));
  }

  private readKey(key: string): void {
    if (this.queuedKeys.has(key)) this.flush();
  }

  async getInstance(instanceId: string): Promise<Versioned<InstanceRecord> | undefined> {
    this.readKey(`i:${instanceId}`);
    return decode<InstanceRecord>(this.statements.getInstance.get(instanceId));
  }

  async putInstance(record: InstanceRecord, expectedVersion: number | null): Promise<number | undefined> {
    const doc = JSON.stringify(record);
    const opState = record.operation?.state ?? null;
    return this.enqueue(`i:${record.instanceId}`, () => {
      if (expectedVersion === null) {
        const result = this.statements.insertInstance.run(record.instanceId, record.state, opState, record.updatedAt, doc);
        return result.changes === 1 ? 1 : undefined;
      }
      const result = this.statements.updateInstance.run(record.state, opState, record.updatedAt, doc, record.instanceId, expectedVersion);
      return result.changes === 1 ? expectedVersion + 1 : undefined;
    });
  }

  async getBinding(instanceId: string, bindingId: string): Promise<Versioned<BindingRecord> | undefined> {
    this.readKey(`b:${JSON.stringify([instanceId, bindingId])}`);
    return decode<BindingRecord>(this.statements.getBinding.get(instanceId, bindingId));
  }

  async putBinding(record: BindingRecord, expectedVersion: number | null): Promise<number | undefined> {
    const doc = JSON.stringify(record);
    const opState = record.operation?.state ?? null;
    return this.enqueue(`b:${JSON.stringify([record.instanceId, record.bindingId])}`, () => {
      if (expectedVersion === null) {
        const result = this.statements.insertBinding.run(
          record.instanceId, record.bindingId, record.state, opState, record.updatedAt, doc,
        );
        return result.changes === 1 ? 1 : undefined;
      }
      const result = this.statements.updateBinding.run(
        record.state, opState, record.updatedAt, doc, record.instanceId, record.bindingId, expectedVersion,
      );
      return result.changes === 1 ? expectedVersion + 1 : undefined;
    });
  }

  async listBindings(instanceId: string): Promise<Array<Versioned<BindingRecord>>> {
    this.flush();
    return this.statements.listBindings.all(instanceId).map((row) => decode<BindingRecord>(row)!);
  }

  async listPending(): Promise<PendingTarget[]> {
    this.flush();
    const instances = this.statements.pendingInstances.all() as Array<{ instance_id: string }>;
    const bindings = this.statements.pendingBindings.all() as Array<{ instance_id: string; binding_id: string }>;
    return [
      ...instances.map((r): PendingTarget => ({ type: 'instance', instanceId: r.instance_id })),
      ...bindings.map((r): PendingTarget => ({ type: 'binding', instanceId: r.instance_id, bindingId: r.binding_id })),
    ];
  }

  async purgeDeleted(before: Date): Promise<number> {
    this.flush();
    const cutoff = before.toISOString();
    return this.statements.purgeInstances.run(cutoff).changes + this.statements.purgeBindings.run(cutoff).changes;
  }
}

function decode<T>(row: unknown): Versioned<T> | undefined {
  if (!row) return undefined;
  const { doc, version } = row as { doc: string; version: number };
  return { record: JSON.parse(doc) as T, version };
}
