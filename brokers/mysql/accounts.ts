import type { AdminSession } from './admin-sql';
import { assertDatabaseName } from './databases';
import { hasErrorCode } from './mysql-errors';
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

export async function createAccount(sql: AdminSession, account: NewBindingAccount): Promise<void> {
  assertAccount(account);
  assertDatabaseName(account.database);
  if (!/^[A-Za-z0-9]{24,}$/.test(account.password)) throw new Error('binding passwords must be generated alphanumeric strings');
  const limit = connectionLimit(account.maxUserConnections);
  const target = `${quoteIdentifier(grantDatabasePattern(account.database))}.*`;
  const privileges = account.readOnly ? 'SELECT' : 'ALL PRIVILEGES';
  for (const host of account.hosts) {
    await sql.run(
      'CREATE USER',
      'CREATE USER ?@? IDENTIFIED BY ? WITH MAX_USER_CONNECTIONS ?',
      [account.user, host, account.password, limit],
      { secret: true },
    );
    await sql.run('GRANT', `GRANT ${privileges} ON ${target} TO ?@?`, [account.user, host]);
  }
}

/** Drops every account of the user; returns whether any of them existed. */
export async function dropAccount(sql: AdminSession, account: BindingAccount): Promise<boolean> {
  assertAccount(account);
  let existed = false;
  for (const host of account.hosts) {
    try {
      await sql.run('DROP USER', 'DROP USER ?@?', [account.user, host]);
      existed = true;
    } catch (error) {
      // ER_CANNOT_USER: this account does not exist, which is what we want.
      if (!hasErrorCode(error, 'ER_CANNOT_USER')) throw error;
    }
  }
  return existed;
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

function assertAccount(account: BindingAccount): void {
  if (!isSafeName(account.user, MAX_USER_NAME_LENGTH)) throw new Error('refusing to build SQL from a user name that was not derived by the broker');
  for (const host of account.hosts) {
    if (!/^[A-Za-z0-9_.%:-]{1,255}$/.test(host)) throw new Error('refusing to build SQL from an unexpected host pattern');
  }
}
