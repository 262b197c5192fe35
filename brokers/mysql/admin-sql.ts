import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { BoundedPool, type BoundedConnection, type MysqlTimeouts } from '../../sdk/store/mysql/bounded-pool';
import { createMysqlPool, type MysqlServerAddress, type Row, type SqlValue } from '../../sdk/store/mysql/connection';
import { toMysqlFailure } from './mysql-errors';

/**
 * The broker reaches the MySQL server it carves databases from with the same pool, column
 * readers and quoting as the SDK's MysqlStore.
 */
export { createMysqlPool, numberColumn, textColumn, type MysqlServerAddress, type Row, type SqlValue } from '../../sdk/store/mysql/connection';

/**
 * The one door to the admin connection. Every statement is named by its kind, so listeners,
 * logs and errors can say what ran without ever holding the statement text (CREATE USER
 * carries a password). Values go in as `?` placeholders; identifiers are built by the
 * callers from derived, quoted names only.
 */

export type StatementKind =
  | 'CREATE DATABASE'
  | 'DROP DATABASE'
  | 'CREATE USER'
  | 'DROP USER'
  | 'ALTER USER'
  | 'GRANT'
  | 'REVOKE'
  | 'KILL'
  | 'ANALYZE TABLE'
  | 'SET SESSION'
  | 'READ CATALOG'
  | 'SHOW WARNINGS'
  | 'REGISTRY';

/** May throw to fail the statement before it runs (tests inject faults this way). */
export type StatementListener = (kind: StatementKind) => void;

export interface StatementOptions {
  /** The statement holds a secret: keep even the server's error message out of errors. */
  secret?: boolean;
  /**
   * Send values out of band (a server-side prepared statement) instead of escaping them
   * into the text; for values that may hold arbitrary characters.
   */
  prepared?: boolean;
}

/** How a statement reaches the server: through the pool, or on one pinned connection. */
type Sender = (sql: string, values: SqlValue[], prepared: boolean) => Promise<unknown>;

export interface AdminSession {
  rows(kind: StatementKind, sql: string, values?: SqlValue[], options?: StatementOptions): Promise<Row[]>;
  run(kind: StatementKind, sql: string, values?: SqlValue[], options?: StatementOptions): Promise<ResultSetHeader>;
}

export class AdminSql implements AdminSession {
  private closed = false;

  constructor(
    private readonly pool: BoundedPool,
    private readonly listener?: StatementListener,
  ) {}

  static connect(address: MysqlServerAddress, options: MysqlTimeouts & { listener?: StatementListener; poolSize?: number }): AdminSql {
    const pool = new BoundedPool(createMysqlPool(address, options.connectTimeoutMs, options.poolSize ?? 4), {
      connectTimeoutMs: options.connectTimeoutMs,
      queryTimeoutMs: options.queryTimeoutMs,
    });
    // DROP USER IF EXISTS tells which accounts were missing only through notes (see dropAccount),
    // so every admin session keeps them on whatever the server's default. Sent once per new
    // connection, queued ahead of the statement that asked for it (whose query timeout covers
    // both); a failure here (a connection lost at once) shows up again on that statement.
    pool.onConnection((connection) => {
      connection.query('SET SESSION sql_notes = 1', () => undefined);
    });
    return new AdminSql(pool, options.listener);
  }

  private readonly viaPool: Sender = (sql, values, prepared) => this.pool.send(sql, values, prepared);

  rows(kind: StatementKind, sql: string, values: SqlValue[] = [], options: StatementOptions = {}): Promise<Row[]> {
    return this.send(this.viaPool, kind, sql, values, options).then(asRows);
  }

  run(kind: StatementKind, sql: string, values: SqlValue[] = [], options: StatementOptions = {}): Promise<ResultSetHeader> {
    return this.send(this.viaPool, kind, sql, values, options).then(asHeader);
  }

  /**
   * Runs `work` on one pinned connection, for session settings that must not leak to other
   * statements; the connection is destroyed rather than reused if `work` fails.
   */
  async withSession<T>(work: (session: AdminSession) => Promise<T>): Promise<T> {
    let connection: BoundedConnection;
    try {
      connection = await this.pool.acquire();
    } catch (error) {
      throw toMysqlFailure('connect', error, false);
    }
    const target: Sender = (sql, values, prepared) => connection.send(sql, values, prepared);
    const session: AdminSession = {
      rows: (kind, sql, values = [], options = {}) => this.send(target, kind, sql, values, options).then(asRows),
      run: (kind, sql, values = [], options = {}) => this.send(target, kind, sql, values, options).then(asHeader),
    };
    try {
      const result = await work(session);
      connection.release();
      return result;
    } catch (error) {
      connection.destroy();
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private async send(target: Sender, kind: StatementKind, sql: string, values: SqlValue[], options: StatementOptions): Promise<unknown> {
    try {
      this.listener?.(kind);
      return await target(sql, values, options.prepared === true);
    } catch (error) {
      throw toMysqlFailure(kind, error, options.secret === true);
    }
  }
}

function asRows(result: unknown): Row[] {
  return Array.isArray(result) ? (result as RowDataPacket[]).map((row) => ({ ...row })) : [];
}

function asHeader(result: unknown): ResultSetHeader {
  return (Array.isArray(result) ? { affectedRows: 0 } : result) as ResultSetHeader;
}
