import type { ResultSetHeader } from 'mysql2/promise';
import { errors } from '../../errors';
import type { BindingRecord, BindingWithInstance, InstanceRecord, InstanceWithBindings, PendingTarget, StateStore, Versioned } from '../types';
import { BoundedPool, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_QUERY_TIMEOUT_MS } from './bounded-pool';
import { createMysqlPool, numberColumn, quoteIdentifier, textColumn, type MysqlServerAddress, type Row, type SqlValue } from './connection';
import { MysqlFailure, noAnswerDescription, toMysqlFailure } from './failure';

/**
 * The SDK's state in MySQL, so several broker replicas share one store: the same tables and
 * compare-and-set rules as the SQLite store. Values always travel as prepared-statement
 * parameters, never escaped into SQL text, since documents hold arbitrary characters.
 */

export interface MysqlStoreOptions {
  connection: MysqlServerAddress;
  /** Created at init() when missing. */
  database: string;
  /** How long to wait for a connection, new or free (default 10 s). */
  connectTimeoutMs?: number;
  /** How long a statement may go unanswered (default 30 s); then the call fails with 503. */
  queryTimeoutMs?: number;
  poolSize?: number;
}

export const MYSQL_STORE_SCHEMA_VERSION = 1;

/**
 * The hourly purge deletes deleted records by age. Without an index InnoDB would read, and
 * lock, every row of the table while it looks for them, holding up every replica's writes.
 */
const PURGE_INDEX = { instances: 'osb_instances_purge', bindings: 'osb_bindings_purge' } as const;

const UNAVAILABLE = 'The broker state database is unreachable; try again later.';

export class MysqlStore implements StateStore {
  private readonly pool: BoundedPool;
  private readonly database: string;
  private readonly schema: string;
  private readonly instances: string;
  private readonly bindings: string;
  private readonly schemaTable: string;
  private closed = false;
  /**
   * Writes still on the wire. A pool may run a read on another connection before an earlier
   * write commits; reads wait for them so this process always reads its own writes.
   */
  private readonly writing = new Set<Promise<unknown>>();

  constructor(options: MysqlStoreOptions) {
    if (!/^[A-Za-z0-9_]{1,64}$/.test(options.database)) throw new Error('the state database name must be 1 to 64 characters from A-Z a-z 0-9 _');
    const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.pool = new BoundedPool(createMysqlPool(options.connection, connectTimeoutMs, options.poolSize ?? 8), {
      connectTimeoutMs,
      queryTimeoutMs: options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS,
    });
    this.database = options.database;
    this.schema = quoteIdentifier(options.database);
    this.instances = `${this.schema}.${quoteIdentifier('osb_instances')}`;
    this.bindings = `${this.schema}.${quoteIdentifier('osb_bindings')}`;
    this.schemaTable = `${this.schema}.${quoteIdentifier('osb_schema')}`;
  }

  /**
   * Every statement is idempotent (IF NOT EXISTS, INSERT IGNORE of the single version row),
   * so replicas starting together all succeed and agree on the schema.
   */
  async init(): Promise<void> {
    // Binary collation: ids differing only in case are different records.
    await this.send('create database', `CREATE DATABASE IF NOT EXISTS ${this.schema} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    await this.send(
      'create schema table',
      `CREATE TABLE IF NOT EXISTS ${this.schemaTable} (
        id TINYINT UNSIGNED NOT NULL PRIMARY KEY,
        version INT NOT NULL
      ) ENGINE=InnoDB`,
    );
    await this.send(
      'create instances table',
      `CREATE TABLE IF NOT EXISTS ${this.instances} (
        instance_id VARCHAR(255) NOT NULL PRIMARY KEY,
        version BIGINT UNSIGNED NOT NULL,
        state VARCHAR(32) NOT NULL,
        op_state VARCHAR(32) NULL,
        updated_at VARCHAR(40) NOT NULL,
        doc LONGTEXT NOT NULL,
        KEY osb_instances_op_state (op_state),
        KEY ${PURGE_INDEX.instances} (state, updated_at)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    );
    await this.send(
      'create bindings table',
      `CREATE TABLE IF NOT EXISTS ${this.bindings} (
        instance_id VARCHAR(255) NOT NULL,
        binding_id VARCHAR(255) NOT NULL,
        version BIGINT UNSIGNED NOT NULL,
        state VARCHAR(32) NOT NULL,
        op_state VARCHAR(32) NULL,
        updated_at VARCHAR(40) NOT NULL,
        doc LONGTEXT NOT NULL,
        PRIMARY KEY (instance_id, binding_id),
        KEY osb_bindings_op_state (op_state),
        KEY ${PURGE_INDEX.bindings} (state, updated_at)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    );
    await this.addPurgeIndex('osb_instances', PURGE_INDEX.instances);
    await this.addPurgeIndex('osb_bindings', PURGE_INDEX.bindings);
    await this.send('record schema version', `INSERT IGNORE INTO ${this.schemaTable} (id, version) VALUES (1, ?)`, [MYSQL_STORE_SCHEMA_VERSION]);
    const rows = await this.rows('read schema version', `SELECT version FROM ${this.schemaTable} WHERE id = 1`);
    const version = numberColumn(rows[0], 'version');
    if (version > MYSQL_STORE_SCHEMA_VERSION) {
      throw new Error(`the state database was written by a newer osbkit (schema ${version} > ${MYSQL_STORE_SCHEMA_VERSION})`);
    }
  }

  /**
   * Tables an earlier osbkit made lack the purge's index; an additive index needs no schema
   * version. Replicas starting together may race to add it, and the losers' duplicate is fine.
   */
  private async addPurgeIndex(table: string, index: string): Promise<void> {
    const found = await this.rows(
      'find purge index',
      'SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = ?',
      [this.database, table, index],
    );
    if (found.length > 0) return;
    try {
      await this.send('add purge index', `ALTER TABLE ${this.schema}.${quoteIdentifier(table)} ADD KEY ${index} (state, updated_at)`);
    } catch (error) {
      if (!(error instanceof MysqlFailure && error.code === 'ER_DUP_KEYNAME')) throw error;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  async getInstance(instanceId: string): Promise<Versioned<InstanceRecord> | undefined> {
    await this.settled();
    const rows = await this.rows('read instance', `SELECT doc, version FROM ${this.instances} WHERE instance_id = ?`, [instanceId]);
    return decode<InstanceRecord>(rows[0]);
  }

  putInstance(record: InstanceRecord, expectedVersion: number | null): Promise<number | undefined> {
    return this.tracked(this.writeInstance(record, expectedVersion));
  }

  private async writeInstance(record: InstanceRecord, expectedVersion: number | null): Promise<number | undefined> {
    const doc = JSON.stringify(record);
    const opState = record.operation?.state ?? null;
    if (expectedVersion === null) {
      const inserted = await this.insertOnce(
        'insert instance',
        `INSERT INTO ${this.instances} (instance_id, version, state, op_state, updated_at, doc) VALUES (?, 1, ?, ?, ?, ?)`,
        [record.instanceId, record.state, opState, record.updatedAt, doc],
      );
      return inserted ? 1 : undefined;
    }
    const result = await this.send(
      'update instance',
      `UPDATE ${this.instances} SET version = version + 1, state = ?, op_state = ?, updated_at = ?, doc = ?
        WHERE instance_id = ? AND version = ?`,
      [record.state, opState, record.updatedAt, doc, record.instanceId, expectedVersion],
    );
    return result.affectedRows === 1 ? expectedVersion + 1 : undefined;
  }

  async getBinding(instanceId: string, bindingId: string): Promise<Versioned<BindingRecord> | undefined> {
    await this.settled();
    const rows = await this.rows(
      'read binding',
      `SELECT doc, version FROM ${this.bindings} WHERE instance_id = ? AND binding_id = ?`,
      [instanceId, bindingId],
    );
    return decode<BindingRecord>(rows[0]);
  }

  putBinding(record: BindingRecord, expectedVersion: number | null): Promise<number | undefined> {
    return this.tracked(this.writeBinding(record, expectedVersion));
  }

  private async writeBinding(record: BindingRecord, expectedVersion: number | null): Promise<number | undefined> {
    const doc = JSON.stringify(record);
    const opState = record.operation?.state ?? null;
    if (expectedVersion === null) {
      const inserted = await this.insertOnce(
        'insert binding',
        `INSERT INTO ${this.bindings} (instance_id, binding_id, version, state, op_state, updated_at, doc) VALUES (?, ?, 1, ?, ?, ?, ?)`,
        [record.instanceId, record.bindingId, record.state, opState, record.updatedAt, doc],
      );
      return inserted ? 1 : undefined;
    }
    const result = await this.send(
      'update binding',
      `UPDATE ${this.bindings} SET version = version + 1, state = ?, op_state = ?, updated_at = ?, doc = ?
        WHERE instance_id = ? AND binding_id = ? AND version = ?`,
      [record.state, opState, record.updatedAt, doc, record.instanceId, record.bindingId, expectedVersion],
    );
    return result.affectedRows === 1 ? expectedVersion + 1 : undefined;
  }

  async listBindings(instanceId: string): Promise<Array<Versioned<BindingRecord>>> {
    await this.settled();
    const rows = await this.rows('list bindings', `SELECT doc, version FROM ${this.bindings} WHERE instance_id = ?`, [instanceId]);
    return rows.map((row) => decode<BindingRecord>(row)).filter((found): found is Versioned<BindingRecord> => found !== undefined);
  }

  /** One round trip for both: the instance's row first, then the binding's. */
  async getBindingWithInstance(instanceId: string, bindingId: string): Promise<BindingWithInstance> {
    await this.settled();
    const rows = await this.rows(
      'read binding and instance',
      `SELECT 'i' AS kind, doc, version FROM ${this.instances} WHERE instance_id = ?
        UNION ALL SELECT 'b' AS kind, doc, version FROM ${this.bindings} WHERE instance_id = ? AND binding_id = ?`,
      [instanceId, instanceId, bindingId],
    );
    const of = (kind: string): Row | undefined => rows.find((row) => textColumn(row, 'kind') === kind);
    return { instance: decode<InstanceRecord>(of('i')), binding: decode<BindingRecord>(of('b')) };
  }

  /** One round trip for the instance and its bindings. */
  async getInstanceWithBindings(instanceId: string): Promise<InstanceWithBindings> {
    await this.settled();
    const rows = await this.rows(
      'read instance and bindings',
      `SELECT 'i' AS kind, doc, version FROM ${this.instances} WHERE instance_id = ?
        UNION ALL SELECT 'b' AS kind, doc, version FROM ${this.bindings} WHERE instance_id = ?`,
      [instanceId, instanceId],
    );
    const instance = decode<InstanceRecord>(rows.find((row) => textColumn(row, 'kind') === 'i'));
    const bindings = rows
      .filter((row) => textColumn(row, 'kind') === 'b')
      .map((row) => decode<BindingRecord>(row))
      .filter((found): found is Versioned<BindingRecord> => found !== undefined);
    return { instance, bindings: instance ? bindings : [] };
  }

  async listPending(): Promise<PendingTarget[]> {
    await this.settled();
    const instances = await this.rows('list pending instances', `SELECT instance_id FROM ${this.instances} WHERE op_state = 'in progress'`);
    const bindings = await this.rows('list pending bindings', `SELECT instance_id, binding_id FROM ${this.bindings} WHERE op_state = 'in progress'`);
    return [
      ...instances.map((row): PendingTarget => ({ type: 'instance', instanceId: textColumn(row, 'instance_id') ?? '' })),
      ...bindings.map((row): PendingTarget => ({
        type: 'binding',
        instanceId: textColumn(row, 'instance_id') ?? '',
        bindingId: textColumn(row, 'binding_id') ?? '',
      })),
    ];
  }

  async purgeDeleted(before: Date): Promise<number> {
    const cutoff = before.toISOString();
    const instances = await this.send('purge instances', `DELETE FROM ${this.instances} WHERE state = 'deleted' AND updated_at < ?`, [cutoff]);
    const bindings = await this.send('purge bindings', `DELETE FROM ${this.bindings} WHERE state = 'deleted' AND updated_at < ?`, [cutoff]);
    return instances.affectedRows + bindings.affectedRows;
  }

  private tracked<T>(write: Promise<T>): Promise<T> {
    const settledWrite = write.then(
      () => undefined,
      () => undefined,
    );
    this.writing.add(settledWrite);
    void settledWrite.then(() => this.writing.delete(settledWrite));
    return write;
  }

  private async settled(): Promise<void> {
    if (this.writing.size > 0) await Promise.all([...this.writing]);
  }

  /**
   * The "must not exist yet" half of compare-and-set. A plain INSERT whose duplicate-key
   * error means "someone else wrote first": unlike INSERT IGNORE it cannot turn any other
   * problem (a truncated value, say) into a silent success.
   */
  private async insertOnce(what: string, sql: string, values: SqlValue[]): Promise<boolean> {
    try {
      const result = await this.send(what, sql, values);
      return result.affectedRows === 1;
    } catch (error) {
      if (error instanceof MysqlFailure && error.code === 'ER_DUP_ENTRY') return false;
      throw error;
    }
  }

  private async rows(what: string, sql: string, values: SqlValue[] = []): Promise<Row[]> {
    const result = await this.call(what, sql, values);
    return Array.isArray(result) ? (result as Row[]) : [];
  }

  private async send(what: string, sql: string, values: SqlValue[] = []): Promise<ResultSetHeader> {
    return (await this.call(what, sql, values)) as ResultSetHeader;
  }

  /** Driver errors would carry the statement, and with it credential documents: only a sanitised failure leaves. */
  private async call(what: string, sql: string, values: SqlValue[]): Promise<unknown> {
    let failure: MysqlFailure;
    try {
      return await this.pool.send(sql, values, true);
    } catch (error) {
      failure = toMysqlFailure(`state store: ${what}`, error, true);
    }
    if (failure.code === 'ER_DUP_ENTRY') throw failure;
    if (failure.timeoutMs !== undefined) throw errors.unavailable(noAnswerDescription('The broker state database', failure.timeoutMs), failure);
    throw failure.unavailable ? errors.unavailable(UNAVAILABLE, failure) : failure;
  }
}

function decode<T>(row: Row | undefined): Versioned<T> | undefined {
  if (!row) return undefined;
  const doc = textColumn(row, 'doc');
  if (doc === undefined) return undefined;
  return { record: JSON.parse(doc) as T, version: numberColumn(row, 'version') };
}
