import { numberColumn, type AdminSession } from './admin-sql';
import { hasErrorCode } from './mysql-errors';

/**
 * Ending other clients' sessions. MySQL keeps a session's privileges until it reconnects or
 * runs USE, and DROP USER / DROP DATABASE leave open sessions alive, so every revocation is
 * followed by killing what is still connected.
 */

export type SessionFilter = { user: string } | { database: string };

/** Kills the matching sessions except our own; returns how many were killed. */
export async function killSessions(sql: AdminSession, filter: SessionFilter): Promise<number> {
  const [column, value] = 'user' in filter ? ['USER', filter.user] : ['DB', filter.database];
  const rows = await sql.rows(
    'READ CATALOG',
    `SELECT ID FROM information_schema.PROCESSLIST WHERE ${column} = ? AND ID <> CONNECTION_ID()`,
    [value],
  );
  return killSessionIds(sql, rows.map((row) => numberColumn(row, 'ID')));
}

/** Kills the sessions of these ids (read a moment ago); returns how many were killed. */
export async function killSessionIds(sql: AdminSession, ids: readonly number[]): Promise<number> {
  let killed = 0;
  for (const id of ids) {
    if (!Number.isInteger(id) || id <= 0) continue;
    try {
      await sql.run('KILL', 'KILL CONNECTION ?', [id]);
      killed++;
    } catch (error) {
      // The session ended by itself between the lookup and the kill.
      if (!hasErrorCode(error, 'ER_NO_SUCH_THREAD')) throw error;
    }
  }
  return killed;
}
