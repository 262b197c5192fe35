import { numberColumn, type AdminSession } from './admin-sql';
import { assertDatabaseName } from './databases';
import { MysqlFailure, hasErrorCode } from './mysql-errors';
import { MAX_USER_NAME_LENGTH, grantDatabasePattern, isSafeName, quoteIdentifier } from './naming';

/**
 * The MySQL accounts behind a binding. One binding is one user name with an account per
 * configured host ('%' and 'localhost' by default), all with the same password and grants,
 * so the login works however the server resolves the client's host.
 */

export interface BindingAccount {
  user: string;
  hosts: readonly string[];
}

export interface NewBindingAccount extends BindingAccount {
  password: string;
  database: string;
  readOnly: boolean;
  maxUserConnections: number;
}

/** The privileges the quota enforcer takes away from a read-write user of a full database. */
export const WRITE_PRIVILEGES = ['INSERT', 'UPDATE', 'CREATE'] as const;
export type WritePrivilege = (typeof WRITE_PRIVILEGES)[number];

/**
 * Makes every account of the binding with one CREATE USER and grants it the database with one
 * GRANT. MySQL 8 applies a multi-account CREATE USER atomically; MariaDB and MySQL 5.7 create
 * the accounts they can and fail for the others. Either way a failure leaves at most some of
 * the accounts behind, which the caller drops (see isExistingAccountError and dropAccount).
 */
export async function createAccount(sql: AdminSession, account: NewBindingAccount): Promise<void> {
  assertAccount(account);
  assertDatabaseName(account.database);
  if (!/^[A-Za-z0-9]{24,}$/.test(account.password)) throw new Error('binding passwords must be generated alphanumeric strings');
  const limit = connectionLimit(account.maxUserConnections);
  const target = `${quoteIdentifier(grantDatabasePattern(account.database))}.*`;
  const privileges = account.readOnly ? 'SELECT' : 'ALL PRIVILEGES';
  await sql.run(
    'CREATE USER',
    `CREATE USER ${account.hosts.map(() => '?@? IDENTIFIED BY ?').join(', ')} WITH MAX_USER_CONNECTIONS ?`,
    [...account.hosts.flatMap((host) => [account.user, host, account.password]), limit],
    { secret: true },
  );
  await sql.run('GRANT', `GRANT ${privileges} ON ${target} TO ${accountList(account)}`, accountValues(account));
}

/** CREATE USER failed because an account of that name already exists (ER_CANNOT_USER). */
export function isExistingAccountError(error: unknown): boolean {
  return error instanceof MysqlFailure && error.statement === 'CREATE USER' && error.code === 'ER_CANNOT_USER';
}

/**
 * Notes DROP USER IF EXISTS leaves for an account that did not exist: MariaDB's
 * ER_USER_DROP_EXISTS and MySQL's ER_USER_DOES_NOT_EXIST.
 */
const MISSING_ACCOUNT_NOTES = new Set([1974, 3162]);

/**
 * Drops every account of the user with one DROP USER IF EXISTS and returns whether any of
 * them existed. IF EXISTS makes the statement succeed whatever is there, on MySQL 8 (atomic)
 * and MariaDB alike, and leaves one note per missing account; AdminSql keeps sql_notes on for
 * that. No warning at all, the common case, means every account existed. Otherwise the notes
 * are read with SHOW WARNINGS, so `session` must be one pinned connection (AdminSql.withSession)
 * and other warnings (MariaDB 12.1+ warns about a dropped user's open sessions) are not
 * mistaken for missing accounts.
 */
export async function dropAccount(session: AdminSession, account: BindingAccount): Promise<boolean> {
  assertAccount(account);
  const result = await session.run('DROP USER', `DROP USER IF EXISTS ${accountList(account)}`, accountValues(account));
  if (!result.warningStatus) return true;
  const warnings = await session.rows('SHOW WARNINGS', 'SHOW WARNINGS');
  const missing = warnings.filter((row) => MISSING_ACCOUNT_NOTES.has(numberColumn(row, 'Code'))).length;
  return missing < account.hosts.length;
}

export async function setConnectionLimit(sql: AdminSession, account: BindingAccount, maxUserConnections: number): Promise<void> {
  assertAccount(account);
  const limit = connectionLimit(maxUserConnections);
  for (const host of account.hosts) {
    await sql.run('ALTER USER', 'ALTER USER IF EXISTS ?@? WITH MAX_USER_CONNECTIONS ?', [account.user, host, limit]);
  }
}

export async function revokeWrites(sql: AdminSession, user: string, host: string, database: string, privileges: readonly WritePrivilege[]): Promise<void> {
  await changeWrites(sql, 'REVOKE', user, host, database, privileges);
}

export async function grantWrites(sql: AdminSession, user: string, host: string, database: string, privileges: readonly WritePrivilege[]): Promise<void> {
  await changeWrites(sql, 'GRANT', user, host, database, privileges);
}

async function changeWrites(
  sql: AdminSession,
  verb: 'GRANT' | 'REVOKE',
  user: string,
  host: string,
  database: string,
  privileges: readonly WritePrivilege[],
): Promise<void> {
  assertAccount({ user, hosts: [host] });
  assertDatabaseName(database);
  if (privileges.length === 0) return;
  const list = privileges.filter((p) => (WRITE_PRIVILEGES as readonly string[]).includes(p)).join(', ');
  const target = `${quoteIdentifier(grantDatabasePattern(database))}.*`;
  const direction = verb === 'GRANT' ? 'TO' : 'FROM';
  await sql.run(verb, `${verb} ${list} ON ${target} ${direction} ?@?`, [user, host]);
}

/**
 * On servers whose sql_mode lacks NO_AUTO_CREATE_USER, GRANT to an account that was dropped a
 * moment ago would re-create it without a password. MySQL 8 never does that and rejects the
 * mode name, which is then fine to ignore.
 */
export async function forbidImplicitUserCreation(session: AdminSession): Promise<void> {
  try {
    await session.run('SET SESSION', "SET SESSION sql_mode = CONCAT_WS(',', @@SESSION.sql_mode, 'NO_AUTO_CREATE_USER')");
  } catch (error) {
    if (!hasErrorCode(error, 'ER_WRONG_VALUE_FOR_VAR')) throw error;
  }
}

/** The account was dropped (an unbind) between reading the grants and changing them. */
export function isVanishedAccount(error: unknown): boolean {
  return ['ER_NONEXISTING_GRANT', 'ER_PASSWORD_NO_MATCH', 'ER_CANNOT_USER', 'ER_CANT_CREATE_USER_WITH_GRANT'].some((code) => hasErrorCode(error, code));
}

function connectionLimit(value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new Error('max_user_connections must be a positive integer');
  return value;
}

/** `?@?, ?@?, …`: one placeholder pair per account, with accountValues. */
function accountList(account: BindingAccount): string {
  return account.hosts.map(() => '?@?').join(', ');
}

function accountValues(account: BindingAccount): string[] {
  return account.hosts.flatMap((host) => [account.user, host]);
}

function assertAccount(account: BindingAccount): void {
  if (!isSafeName(account.user, MAX_USER_NAME_LENGTH)) throw new Error('refusing to build SQL from a user name that was not derived by the broker');
  if (account.hosts.length === 0) throw new Error('a binding needs at least one account host');
  for (const host of account.hosts) {
    if (!/^[A-Za-z0-9_.%:-]{1,255}$/.test(host)) throw new Error('refusing to build SQL from an unexpected host pattern');
  }
}
