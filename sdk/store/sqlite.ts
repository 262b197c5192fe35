import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type {
  BindingRecord, BindingWithInstance, InstanceRecord, InstanceWithBindings, PendingTarget, ReadIntent, StateStore, Versioned,
} from './types';
import { WalCheckpointer } from './sqlite-checkpointer';
import { InstanceCache } from './sqlite-instance-cache';

export interface SqliteStoreOptions {
  /** File path, or ':memory:'. */
  path: string;
  /**
   * NORMAL (the default) survives a killed process, which is the failure brokers meet; FULL
   * also survives power loss at the cost of an fsync per write.
   */
  synchronous?: 'NORMAL' | 'FULL';
  /**
   * How often a background thread copies committed pages from the WAL into the main file
   * (default 200 ms; 0 leaves it to SQLite's automatic checkpoints inside commits).
   */
  checkpointIntervalMs?: number;
}

const AUTOMATIC_CHECKPOINT_PAGES = 1000;

const SCHEMA_VERSION = 1;

const COMMITTED = Promise.resolve();

/** The stores of this process, by file, so one never waits on another's open transaction. */
const openStores = new Map<string, Set<SqliteStore>>();

/** The embedded durable default: one SQLite file in WAL mode, safe for several processes. */
export class SqliteStore implements StateStore {
  private readonly db: Database.Database;
  private statements!: ReturnType<SqliteStore['prepare']>;
  private checkpointer: WalCheckpointer | undefined;
  /** Instance reads, which keep what they decoded (see sqlite-instance-cache.ts). */
  private instances!: InstanceCache;
  /** PRAGMA data_version when the last write transaction began: it changes only with other connections' commits. */
  private dataVersion: number | undefined;

  constructor(private readonly options: SqliteStoreOptions) {
    if (options.path !== ':memory:') {
      mkdirSync(dirname(options.path), { recursive: true, mode: 0o700 });
      // The file holds every binding's credentials: a new one is readable by its owner only,
      // and SQLite gives its WAL and shared-memory files the same mode.
      closeSync(openSync(options.path, 'a', 0o600));
    }
    this.db = new Database(options.path);
  }

  async init(): Promise<void> {
    this.commit();
    if (this.options.path !== ':memory:') {
      const peers = openStores.get(this.options.path) ?? new Set<SqliteStore>();
      peers.add(this);
      openStores.set(this.options.path, peers);
    }
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${this.options.synchronous ?? 'NORMAL'}`);
    // Another replica may hold the write lock briefly; wait instead of failing.
    this.db.pragma('busy_timeout = 5000');
    const intervalMs = this.options.checkpointIntervalMs ?? 200;
    if (this.options.path !== ':memory:' && intervalMs > 0 && !this.checkpointer) {
      // Without its thread the WAL would grow for ever: SQLite takes the job back.
      const fallBack = (): void => {
        this.checkpointer = undefined;
        if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${AUTOMATIC_CHECKPOINT_PAGES}`);
      };
      try {
        this.checkpointer = new WalCheckpointer({ file: this.options.path, intervalMs, onFailure: fallBack });
        this.db.pragma('wal_autocheckpoint = 0');
      } catch {
        // A process that may not start threads keeps SQLite's own checkpoints.
        fallBack();
      }
    }
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
      -- The purge holds the write lock and the event loop while it runs: without these it
      -- would read every live record to find the few deleted ones. Live records are not in
      -- them, so creates pay nothing.
      CREATE INDEX IF NOT EXISTS osb_instances_deleted ON osb_instances (updated_at) WHERE state = 'deleted';
      CREATE INDEX IF NOT EXISTS osb_bindings_deleted ON osb_bindings (updated_at) WHERE state = 'deleted';
    `);
    const row = this.db.prepare('SELECT version FROM osb_schema').get() as { version: number } | undefined;
    if (!row) this.db.prepare('INSERT INTO osb_schema (version) VALUES (?)').run(SCHEMA_VERSION);
    else if (row.version > SCHEMA_VERSION) {
      throw new Error(`the state file was written by a newer osbkit (schema ${row.version} > ${SCHEMA_VERSION})`);
    }
    this.statements = this.prepare();
    this.instances = new InstanceCache(this.statements.probeInstance);
  }

  private prepare() {
    const db = this.db;
    return {
      begin: db.prepare('BEGIN IMMEDIATE'),
      dataVersion: db.prepare('PRAGMA data_version').pluck(),
      commit: db.prepare('COMMIT'),
      rollback: db.prepare('ROLLBACK'),
      // The version alone cannot tell a record from one created afresh after a purge (both
      // start at 1); with the write time it can.
      probeInstance: db.prepare<[number, string, string]>(
        'SELECT version, updated_at, CASE WHEN version = ? AND updated_at = ? THEN NULL ELSE doc END AS doc FROM osb_instances WHERE instance_id = ?',
      ),
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
    const checkpointer = this.checkpointer;
    this.checkpointer = undefined;
    await checkpointer?.stop();
    if (!this.db.open) return;
    this.commit();
    openStores.get(this.options.path)?.delete(this);
    this.db.close();
  }

  /**
   * Group commit. The first write in a turn of the event loop opens a write transaction
   * (BEGIN IMMEDIATE, which also holds off other processes' writers); every write in that
   * turn runs in it at once, so its compare-and-set answer is known immediately and later
   * reads on this connection see it; the transaction commits at the end of the turn. A
   * commit costs far more than a row, so concurrent requests share one. `sync()` resolves
   * once everything written so far is committed: the server calls it before it answers.
   */
  private commitScheduled = false;
  private inCommitDrain = false;
  /** What sync() hands out while a transaction is open: one promise for all its writers. */
  private nextCommit: { done: Promise<void>; resolve: () => void; reject: (error: unknown) => void } | undefined;

  private write(run: () => number | undefined): number | undefined {
    if (!this.db.inTransaction) this.beginWriting();
    return run();
  }

  private beginWriting(): void {
    // Another store on the same file in this process would hold the lock until its turn
    // ends, which a blocking BEGIN here would never let come: commit it first.
    for (const other of openStores.get(this.options.path) ?? []) if (other !== this) other.commit();
    this.statements.begin.run();
    const dataVersion = this.statements.dataVersion.get() as number;
    if (dataVersion !== this.dataVersion) {
      this.dataVersion = dataVersion;
      this.instances.newEpoch();
    }
    if (!this.commitScheduled) {
      this.commitScheduled = true;
      // Writes made by the continuations of a commit (a request that just got its claim
      // committed, writing its outcome) commit as soon as those continuations are done,
      // in the same turn; waiting for the next turn would idle the loop meanwhile.
      if (this.inCommitDrain) process.nextTick(() => this.commit());
      else setImmediate(() => this.commit());
    }
  }

  /** Commits the open transaction now (also used by peers on the same file). */
  commit(): void {
    this.commitScheduled = false;
    const waiting = this.nextCommit;
    this.nextCommit = undefined;
    try {
      if (this.db.inTransaction) this.statements.commit.run();
    } catch (error) {
      if (this.db.inTransaction) this.statements.rollback.run();
      this.instances.clear();
      waiting?.reject(error);
      return;
    }
    this.inCommitDrain = true;
    waiting?.resolve();
    // This job runs after the continuations just released; the tick it queues runs once the
    // whole promise queue has drained, which ends the drain.
    void Promise.resolve().then(() => process.nextTick(() => (this.inCommitDrain = false)));
  }

  sync(): Promise<void> {
    if (!this.db.inTransaction) return COMMITTED;
    if (!this.nextCommit) {
      let resolve!: () => void;
      let reject!: (error: unknown) => void;
      const done = new Promise<void>((ok, fail) => {
        resolve = ok;
        reject = fail;
      });
      this.nextCommit = { done, resolve, reject };
    }
    return this.nextCommit.done;
  }

  /**
   * The record it returns is frozen: it may be the one kept for later reads. `forWrite` opens
   * the write transaction first when a write will follow, so the read costs no lock of its own
   * and a record checked earlier in this epoch is returned without a statement.
   */
  async getInstance(instanceId: string, intent?: ReadIntent): Promise<Versioned<InstanceRecord> | undefined> {
    if (intent?.forWrite && !this.db.inTransaction) this.beginWriting();
    return this.instances.read(instanceId, this.db.inTransaction);
  }

  async putInstance(record: InstanceRecord, expectedVersion: number | null): Promise<number | undefined> {
    const doc = JSON.stringify(record);
    const opState = record.operation?.state ?? null;
    // The next read decodes the new document; keeping (and so freezing) the caller's object instead would surprise it.
    this.instances.forget(record.instanceId);
    return this.write(() => {
      if (expectedVersion === null) {
        const result = this.statements.insertInstance.run(record.instanceId, record.state, opState, record.updatedAt, doc);
        return result.changes === 1 ? 1 : undefined;
      }
      const result = this.statements.updateInstance.run(record.state, opState, record.updatedAt, doc, record.instanceId, expectedVersion);
      return result.changes === 1 ? expectedVersion + 1 : undefined;
    });
  }

  async getBinding(instanceId: string, bindingId: string): Promise<Versioned<BindingRecord> | undefined> {
    return decode<BindingRecord>(this.statements.getBinding.get(instanceId, bindingId));
  }

  async putBinding(record: BindingRecord, expectedVersion: number | null): Promise<number | undefined> {
    const doc = JSON.stringify(record);
    const opState = record.operation?.state ?? null;
    return this.write(() => {
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
    return this.statements.listBindings.all(instanceId).map((row) => decode<BindingRecord>(row)!);
  }

  /** Both statements run in the same turn, with no other write of this process between them. */
  async getBindingWithInstance(instanceId: string, bindingId: string, intent?: ReadIntent): Promise<BindingWithInstance> {
    if (intent?.forWrite && !this.db.inTransaction) this.beginWriting();
    return {
      instance: this.instances.read(instanceId, this.db.inTransaction),
      binding: decode<BindingRecord>(this.statements.getBinding.get(instanceId, bindingId)),
    };
  }

  async getInstanceWithBindings(instanceId: string, intent?: ReadIntent): Promise<InstanceWithBindings> {
    if (intent?.forWrite && !this.db.inTransaction) this.beginWriting();
    const instance = this.instances.read(instanceId, this.db.inTransaction);
    return { instance, bindings: instance ? this.statements.listBindings.all(instanceId).map((row) => decode<BindingRecord>(row)!) : [] };
  }

  async listPending(): Promise<PendingTarget[]> {
    const instances = this.statements.pendingInstances.all() as Array<{ instance_id: string }>;
    const bindings = this.statements.pendingBindings.all() as Array<{ instance_id: string; binding_id: string }>;
    return [
      ...instances.map((r): PendingTarget => ({ type: 'instance', instanceId: r.instance_id })),
      ...bindings.map((r): PendingTarget => ({ type: 'binding', instanceId: r.instance_id, bindingId: r.binding_id })),
    ];
  }

  async purgeDeleted(before: Date): Promise<number> {
    const cutoff = before.toISOString();
    return this.write(() => this.statements.purgeInstances.run(cutoff).changes + this.statements.purgeBindings.run(cutoff).changes) ?? 0;
  }
}

function decode<T>(row: unknown): Versioned<T> | undefined {
  if (!row) return undefined;
  const { doc, version } = row as { doc: string; version: number };
  return { record: JSON.parse(doc) as T, version };
}
