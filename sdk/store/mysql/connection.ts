import { createPool, type Pool } from 'mysql2/promise';

/** Where a MySQL or MariaDB server listens, and the account to use. */
export interface MysqlServerAddress {
  host: string;
  port: number;
  user: string;
  password: string;
}

export type Row = Record<string, unknown>;
export type SqlValue = string | number | boolean | null;

export function createMysqlPool(address: MysqlServerAddress, connectTimeoutMs: number, poolSize: number): Pool {
  return createPool({
    host: address.host,
    port: address.port,
    user: address.user,
    password: address.password,
    connectionLimit: poolSize,
    maxIdle: poolSize,
    idleTimeout: 60_000,
    connectTimeout: connectTimeoutMs,
    enableKeepAlive: true,
    charset: 'utf8mb4_general_ci',
    // Sizes are DECIMAL sums; numbers are exact enough for megabytes and easier to compare.
    decimalNumbers: true,
    supportBigNumbers: true,
    dateStrings: true,
    multipleStatements: false,
    // mysql2 otherwise captures a stack trace for every statement, to paste into an error that
    // may never come; the store and the MySQL broker replace driver errors by sanitised failures
    // that drop the driver's stack anyway. It cost 18.5 % of the MySQL broker cycle's
    // main-thread instructions: 5.39 million a cycle with it, 4.39 million without (callgrind
    // over bench/mysql/profile.ts, 100 cycles after 300 uncounted).
    trace: false,
  });
}

/** Column readers: rows come from the driver untyped, so each value is checked where it is used. */
export function textColumn(row: Row | undefined, column: string): string | undefined {
  const value = row?.[column];
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}

export function numberColumn(row: Row | undefined, column: string): number {
  const value = row?.[column];
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return 0;
}

/** A backtick-quoted identifier; backticks inside are doubled, as MySQL requires. */
export function quoteIdentifier(name: string): string {
  // MySQL identifiers cannot hold NUL at all; refusing it is safer than guessing.
  if (name === '' || name.includes('\u0000')) throw new Error('an identifier must be non-empty and free of NUL characters');
  return `\`${name.replace(/`/g, '``')}\``;
}
