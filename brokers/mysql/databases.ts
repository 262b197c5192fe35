import { errors } from '../../sdk';
import { textColumn, type AdminSession } from './admin-sql';
import { hasErrorCode } from './mysql-errors';
import { MAX_DATABASE_NAME_LENGTH, isSafeName, quoteIdentifier } from './naming';

/** Creating, inspecting and dropping the database behind an instance. */

export interface DatabaseEncoding {
  characterSet?: string;
  collation?: string;
}

const ENCODING_NAME = /^[A-Za-z0-9_]{1,64}$/;

export async function databaseExists(sql: AdminSession, database: string): Promise<boolean> {
  const rows = await sql.rows('READ CATALOG', 'SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [database]);
  return rows.length > 0;
}

/**
 * Checks the requested encoding against what this server knows and returns the server's own
 * spelling of it; an unknown name or a collation of another character set is the client's
 * mistake (400), named in the answer.
 */
export async function resolveEncoding(sql: AdminSession, requested: DatabaseEncoding): Promise<DatabaseEncoding> {
  const resolved: DatabaseEncoding = {};
  if (requested.characterSet !== undefined) {
    if (!ENCODING_NAME.test(requested.characterSet)) throw errors.badRequest('character_set must be 1 to 64 characters from A-Z a-z 0-9 _.');
    const rows = await sql.rows(
      'READ CATALOG',
      'SELECT CHARACTER_SET_NAME FROM information_schema.CHARACTER_SETS WHERE CHARACTER_SET_NAME = ?',
      [requested.characterSet],
    );
    const name = textColumn(rows[0], 'CHARACTER_SET_NAME');
    if (!name) throw errors.badRequest(`Unknown character_set "${requested.characterSet}": this MySQL server does not support it.`);
    resolved.characterSet = name;
  }
  if (requested.collation !== undefined) {
    if (!ENCODING_NAME.test(requested.collation)) throw errors.badRequest('collation must be 1 to 64 characters from A-Z a-z 0-9 _.');
    const match = await findCollation(sql, requested.collation);
    if (!match) throw errors.badRequest(`Unknown collation "${requested.collation}": this MySQL server does not support it.`);
    if (resolved.characterSet !== undefined && match.characterSet.toLowerCase() !== resolved.characterSet.toLowerCase()) {
      throw errors.badRequest(
        `collation "${requested.collation}" belongs to character set "${match.characterSet}", not to character_set "${resolved.characterSet}".`,
      );
    }
    resolved.collation = match.collation;
  }
  return resolved;
}

/**
 * The applicability table is read whole: MariaDB 10.10+ lists its UCA 14 collations there
 * under FULL_COLLATION_NAME, a column MySQL lacks, so the match is done here rather than in SQL.
 */
async function findCollation(sql: AdminSession, wanted: string): Promise<{ collation: string; characterSet: string } | undefined> {
  const rows = await sql.rows('READ CATALOG', 'SELECT * FROM information_schema.COLLATION_CHARACTER_SET_APPLICABILITY');
  const key = wanted.toLowerCase();
  for (const row of rows) {
    const characterSet = textColumn(row, 'CHARACTER_SET_NAME');
    if (!characterSet) continue;
    for (const column of ['FULL_COLLATION_NAME', 'COLLATION_NAME']) {
      const name = textColumn(row, column);
      if (name && name.toLowerCase() === key) return { collation: name, characterSet };
    }
  }
  return undefined;
}

/**
 * CREATE DATABASE without IF NOT EXISTS, so the server itself says whether the database was
 * already there (ER_DB_CREATE_EXISTS, on MySQL and MariaDB alike): returns false then, true
 * when this call made it.
 */
export async function createDatabase(sql: AdminSession, database: string, encoding: DatabaseEncoding): Promise<boolean> {
  assertDatabaseName(database);
  const values: string[] = [];
  let clause = '';
  if (encoding.characterSet !== undefined) {
    clause += ' CHARACTER SET ?';
    values.push(encoding.characterSet);
  }
  if (encoding.collation !== undefined) {
    clause += ' COLLATE ?';
    values.push(encoding.collation);
  }
  try {
    await sql.run('CREATE DATABASE', `CREATE DATABASE ${quoteIdentifier(database)}${clause}`, values);
    return true;
  } catch (error) {
    if (hasErrorCode(error, 'ER_DB_CREATE_EXISTS')) return false;
    throw error;
  }
}

/**
 * DROP DATABASE without IF EXISTS, for the same reason: returns false when there was no such
 * database (ER_DB_DROP_EXISTS), true when this call dropped it.
 */
export async function dropDatabase(sql: AdminSession, database: string): Promise<boolean> {
  assertDatabaseName(database);
  try {
    await sql.run('DROP DATABASE', `DROP DATABASE ${quoteIdentifier(database)}`);
    return true;
  } catch (error) {
    if (hasErrorCode(error, 'ER_DB_DROP_EXISTS')) return false;
    throw error;
  }
}

/** A last guard: DDL is only ever built from names the naming module derived. */
export function assertDatabaseName(database: string): void {
  if (!isSafeName(database, MAX_DATABASE_NAME_LENGTH)) throw new Error('refusing to build SQL from a database name that was not derived by the broker');
}
