import type Database from 'better-sqlite3';
import type { RoleRecord, RoleType, UserRecord } from '../records';
import type { ControllerDatabase } from './database';
import type { Row } from './rows';

/**
 * Users, their roles and their access tokens, in the controller's database. Passwords are
 * kept only as scrypt hashes and tokens only as SHA-256 digests: the database never holds
 * anything a caller could present.
 */

function userOf(row: Row): UserRecord {
  return {
    guid: row.guid as string,
    username: row.username as string,
    admin: row.admin === 1,
    createdAt: row.created_at as string,
    updatedAt: row.updated_at as string,
  };
}

function roleOf(row: Row): RoleRecord {
  return {
    guid: row.guid as string,
    type: row.type as RoleType,
    userGuid: row.user_guid as string,
    organizationGuid: typeof row.organization_guid === 'string' ? row.organization_guid : null,
    spaceGuid: typeof row.space_guid === 'string' ? row.space_guid : null,
    createdAt: row.created_at as string,
    updatedAt: row.updated_at as string,
  };
}

export interface StoredToken {
  userGuid: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

export class IdentityStore {
  private readonly db: Database.Database;

  constructor(database: ControllerDatabase) {
    this.db = database.handle;
  }

  // --- users ----------------------------------------------------------------------------

  insertUser(user: UserRecord, passwordHash: string): void {
    this.db.prepare('INSERT INTO users VALUES (?, ?, ?, ?, ?, ?)')
      .run(user.guid, user.username, passwordHash, user.admin ? 1 : 0, user.createdAt, user.updatedAt);
  }

  user(guid: string): UserRecord | undefined {
    const row = this.db.prepare('SELECT * FROM users WHERE guid = ?').get(guid) as Row | undefined;
    return row && userOf(row);
  }

  /** Usernames compare case-insensitively, as UAA's do. */
  userByName(username: string): UserRecord | undefined {
    const row = this.db.prepare('SELECT * FROM users WHERE username = ?').get(username) as Row | undefined;
    return row && userOf(row);
  }

  listUsers(): UserRecord[] {
    return (this.db.prepare('SELECT * FROM users ORDER BY created_at, rowid').all() as Row[]).map(userOf);
  }

  passwordHash(guid: string): string | undefined {
    const row = this.db.prepare('SELECT password_hash FROM users WHERE guid = ?').get(guid) as Row | undefined;
    return row ? (row.password_hash as string) : undefined;
  }

  /** A new password also ends the user's sessions: tokens got with the old one may have leaked with it. */
  updateUser(guid: string, changes: { passwordHash?: string; admin?: boolean }, updatedAt: string): void {
    if (changes.passwordHash !== undefined) {
      this.db.prepare('UPDATE users SET password_hash = ? WHERE guid = ?').run(changes.passwordHash, guid);
      this.db.prepare('DELETE FROM access_tokens WHERE user_guid = ?').run(guid);
    }
    if (changes.admin !== undefined) this.db.prepare('UPDATE users SET admin = ? WHERE guid = ?').run(changes.admin ? 1 : 0, guid);
    this.db.prepare('UPDATE users SET updated_at = ? WHERE guid = ?').run(updatedAt, guid);
  }

  countAdmins(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM users WHERE admin = 1').get() as Row).n as number;
  }

  /** Its roles and tokens go with it. */
  deleteUser(guid: string): void {
    this.db.prepare('DELETE FROM users WHERE guid = ?').run(guid);
  }

  // --- roles ----------------------------------------------------------------------------

  insertRole(role: RoleRecord): void {
    this.db.prepare('INSERT INTO roles VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(role.guid, role.type, role.userGuid, role.organizationGuid, role.spaceGuid, role.createdAt, role.updatedAt);
  }

  role(guid: string): RoleRecord | undefined {
    const row = this.db.prepare('SELECT * FROM roles WHERE guid = ?').get(guid) as Row | undefined;
    return row && roleOf(row);
  }

  listRoles(): RoleRecord[] {
    return (this.db.prepare('SELECT * FROM roles ORDER BY created_at, rowid').all() as Row[]).map(roleOf);
  }

  rolesOfUser(userGuid: string): RoleRecord[] {
    return (this.db.prepare('SELECT * FROM roles WHERE user_guid = ? ORDER BY created_at, rowid').all(userGuid) as Row[]).map(roleOf);
  }

  deleteRole(guid: string): void {
    this.db.prepare('DELETE FROM roles WHERE guid = ?').run(guid);
  }

  // --- access tokens --------------------------------------------------------------------

  insertToken(digest: string, token: StoredToken, createdAt: string): void {
    this.db.prepare('INSERT INTO access_tokens VALUES (?, ?, ?, ?)').run(digest, token.userGuid, token.expiresAt, createdAt);
  }

  token(digest: string): StoredToken | undefined {
    const row = this.db.prepare('SELECT user_guid, expires_at FROM access_tokens WHERE digest = ?').get(digest) as Row | undefined;
    return row && { userGuid: row.user_guid as string, expiresAt: row.expires_at as number };
  }

  deleteToken(digest: string): boolean {
    return this.db.prepare('DELETE FROM access_tokens WHERE digest = ?').run(digest).changes > 0;
  }

  deleteExpiredTokens(now: number): number {
    return this.db.prepare('DELETE FROM access_tokens WHERE expires_at <= ?').run(now).changes;
  }
}
