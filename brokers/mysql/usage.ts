import { numberColumn, textColumn, type AdminSession, type AdminSql } from './admin-sql';
import { assertDatabaseName } from './databases';
import { hasErrorCode } from './mysql-errors';
import { quoteIdentifier } from './naming';

/**
 * How much a database uses: data_length + index_length of its tables, the measure
 * cf-mysql-broker's quota uses. For InnoDB those figures are statistics, refreshed by
 * ANALYZE TABLE (otherwise only after ~10% of a table changed), so they are refreshed first.
 */

const ANALYZE_BATCH = 32;
const BYTES_PER_MB = 1024 * 1024;

export interface UsageOptions {
  /** Bound the wait for a metadata lock a tenant's open transaction holds; older statistics are used then. */
  lockWaitTimeoutSeconds: number;
}

export async function measureDatabaseBytes(sql: AdminSql, database: string, options: UsageOptions): Promise<number> {
  assertDatabaseName(database);
  return sql.withSession(async (session) => {
    await session.run('SET SESSION', 'SET SESSION lock_wait_timeout = ?', [Math.max(1, Math.round(options.lockWaitTimeoutSeconds))]);
    await refreshStatistics(session, database);
    await session.run('SET SESSION', 'SET SESSION lock_wait_timeout = DEFAULT');
    const rows = await session.rows(
      'READ CATALOG',
      `SELECT COALESCE(SUM(COALESCE(DATA_LENGTH, 0) + COALESCE(INDEX_LENGTH, 0)), 0) AS bytes
         FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?`,
      [database],
    );
    return numberColumn(rows[0], 'bytes');
  });
}

/** Megabytes to one decimal, as cf-mysql-broker reports and compares them. */
export function bytesToMegabytes(bytes: number): number {
  return Math.round((bytes / BYTES_PER_MB) * 10) / 10;
}

async function refreshStatistics(session: AdminSession, database: string): Promise<void> {
  const rows = await session.rows(
    'READ CATALOG',
    "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'",
    [database],
  );
  // Table names are chosen by tenants, so each one is quoted; NO_WRITE_TO_BINLOG keeps the
  // periodic refresh out of replication.
  const tables = rows.map((row) => textColumn(row, 'TABLE_NAME')).filter((name): name is string => name !== undefined && name !== '');
  for (let i = 0; i < tables.length; i += ANALYZE_BATCH) {
    const list = tables.slice(i, i + ANALYZE_BATCH).map((table) => `${quoteIdentifier(database)}.${quoteIdentifier(table)}`).join(', ');
    try {
      await session.rows('ANALYZE TABLE', `ANALYZE NO_WRITE_TO_BINLOG TABLE ${list}`);
    } catch (error) {
      // A tenant holding a lock must not stall measuring: the previous statistics still count.
      if (!hasErrorCode(error, 'ER_LOCK_WAIT_TIMEOUT')) throw error;
    }
  }
}
