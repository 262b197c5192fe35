import { numberColumn, textColumn, type AdminSql, type Row } from './admin-sql';
import { hasErrorCode } from './mysql-errors';
import { quoteIdentifier } from './naming';

/**
 * The broker's own record of what it made: which database belongs to which instance and
 * quota, and which users belong to which database and are read-only. It lives on the same
 * server as the databases, so the quota enforcer (in the broker or run alone by the CLI)
 * needs nothing else, whichever store the SDK keeps its state in. It is also the ownership
 * mark: a database the registry does not list is never adopted or dropped.
 */

export interface RegisteredDatabase {
  database: string;
  instanceId: string;
  planId: string;
  maxStorageMb: number;
  maxUserConnections: number;
}

export interface RegisteredUser {
  user: string;
  database: string;
  instanceId: string;
  bindingId: string;
  readOnly: boolean;
}

export class BrokerRegistry {
  private readonly databasesTable: string;
  private readonly usersTable: string;
  private ready: Promise<void> | undefined;

  constructor(
    private readonly sql: AdminSql,
    private readonly schema: string,
  ) {
    this.databasesTable = `${quoteIdentifier(schema)}.${quoteIdentifier('mysql_broker_databases')}`;
    this.usersTable = `${quoteIdentifier(schema)}.${quoteIdentifier('mysql_broker_users')}`;
  }

  /** Creates the tables once; a failure (server down) is retried by the next caller instead of sticking. */
  ensure(): Promise<void> {
    this.ready ??= this.create().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  private async create(): Promise<void> {
    await this.sql.run('REGISTRY', `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(this.schema)} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    await this.sql.run(
      'REGISTRY',
      `CREATE TABLE IF NOT EXISTS ${this.databasesTable} (
        database_name VARCHAR(64) NOT NULL PRIMARY KEY,
        instance_id TEXT NOT NULL,
        plan_id TEXT NOT NULL,
        max_storage_mb DOUBLE NOT NULL,
        max_user_connections INT NOT NULL,
        updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    );
    await this.sql.run(
      'REGISTRY',
      `CREATE TABLE IF NOT EXISTS ${this.usersTable} (
        user_name VARCHAR(32) NOT NULL PRIMARY KEY,
        database_name VARCHAR(64) NOT NULL,
        instance_id TEXT NOT NULL,
        binding_id TEXT NOT NULL,
        read_only TINYINT(1) NOT NULL,
        updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
        KEY mysql_broker_users_database (database_name)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    );
  }

  async findDatabase(database: string): Promise<RegisteredDatabase | undefined> {
    await this.ensure();
    const rows = await this.sql.rows('REGISTRY', `SELECT * FROM ${this.databasesTable} WHERE database_name = ?`, [database], { prepared: true });
    return rows[0] ? toDatabase(rows[0]) : undefined;
  }

  async listDatabases(): Promise<RegisteredDatabase[]> {
    await this.ensure();
    const rows = await this.sql.rows('REGISTRY', `SELECT * FROM ${this.databasesTable} ORDER BY database_name`);
    return rows.map(toDatabase);
  }

  /**
   * Records a database the broker is about to make, in one statement that also checks the
   * server has no database of that name yet:
   * - 'claimed': the row is new, and at that moment no such database existed;
   * - 'database-exists': the database already exists; nothing was written;
   * - 'row-exists': a row for this name is already there (a resumed provision, or another
   *   instance); nothing was written.
   * Doing both in one statement matters: a broker run makes a database only after a row for it
   * exists, so any database present at this check was not made by this broker for this row,
   * and one that appears after it was made by a run that saw this row.
   */
  async claimDatabase(entry: RegisteredDatabase): Promise<'claimed' | 'database-exists' | 'row-exists'> {
    await this.ensure();
    try {
      const result = await this.sql.run(
        'REGISTRY',
        `INSERT INTO ${this.databasesTable} (database_name, instance_id, plan_id, max_storage_mb, max_user_connections)
         SELECT ?, ?, ?, ?, ? FROM DUAL
         WHERE NOT EXISTS (SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?)`,
        [entry.database, entry.instanceId, entry.planId, entry.maxStorageMb, entry.maxUserConnections, entry.database],
        { prepared: true },
      );
      return result.affectedRows > 0 ? 'claimed' : 'database-exists';
    } catch (error) {
      if (hasErrorCode(error, 'ER_DUP_ENTRY')) return 'row-exists';
      throw error;
    }
  }

  async saveDatabase(entry: RegisteredDatabase): Promise<void> {
    await this.ensure();
    await this.sql.run(
      'REGISTRY',
      `INSERT INTO ${this.databasesTable} (database_name, instance_id, plan_id, max_storage_mb, max_user_connections)
       VALUES (?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE plan_id = VALUES(plan_id), max_storage_mb = VALUES(max_storage_mb),
         max_user_connections = VALUES(max_user_connections), updated_at = CURRENT_TIMESTAMP`,
      [entry.database, entry.instanceId, entry.planId, entry.maxStorageMb, entry.maxUserConnections],
      { prepared: true },
    );
  }

  async forgetDatabase(database: string): Promise<void> {
    await this.ensure();
    await this.sql.run('REGISTRY', `DELETE FROM ${this.databasesTable} WHERE database_name = ?`, [database], { prepared: true });
  }

  async usersOf(database: string): Promise<RegisteredUser[]> {
    await this.ensure();
    const rows = await this.sql.rows('REGISTRY', `SELECT * FROM ${this.usersTable} WHERE database_name = ? ORDER BY user_name`, [database], { prepared: true });
    return rows.map(toUser);
  }

  /**
   * What a deprovision must end before DROP DATABASE, in one read: the users of the
   * database's unfinished bindings, and the ids of the sessions connected to it (ours left out).
   */
  async leftoversOf(database: string): Promise<{ users: string[]; sessionIds: number[] }> {
    await this.ensure();
    const rows = await this.sql.rows(
      'REGISTRY',
      `SELECT user_name, NULL AS session_id FROM ${this.usersTable} WHERE database_name = ?
       UNION ALL
       SELECT NULL, ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()`,
      [database, database],
      { prepared: true },
    );
    const users: string[] = [];
    const sessionIds: number[] = [];
    for (const row of rows) {
      const user = textColumn(row, 'user_name');
      if (user !== undefined) users.push(user);
      else sessionIds.push(numberColumn(row, 'session_id'));
    }
    return { users: users.sort(), sessionIds };
  }

  async listUsers(): Promise<RegisteredUser[]> {
    await this.ensure();
    const rows = await this.sql.rows('REGISTRY', `SELECT * FROM ${this.usersTable} ORDER BY user_name`);
    return rows.map(toUser);
  }

  async findUser(user: string): Promise<RegisteredUser | undefined> {
    await this.ensure();
    const rows = await this.sql.rows('REGISTRY', `SELECT * FROM ${this.usersTable} WHERE user_name = ?`, [user], { prepared: true });
    return rows[0] ? toUser(rows[0]) : undefined;
  }

  /**
   * Records a binding user, in one statement that also checks the instance's database still
   * exists (a bind's common path then needs no read of its own):
   * - 'added': the row is new, and at that moment the database existed;
   * - 'no-database': the database is gone; nothing was written;
   * - 'row-exists': a row for this user is already there (ER_DUP_ENTRY; nothing was written,
   *   and the database was not checked), which means an earlier attempt of this binding may
   *   have made the user.
   */
  async addUser(entry: RegisteredUser): Promise<'added' | 'no-database' | 'row-exists'> {
    await this.ensure();
    try {
      const result = await this.sql.run(
        'REGISTRY',
        `INSERT INTO ${this.usersTable} (user_name, database_name, instance_id, binding_id, read_only)
         SELECT ?, ?, ?, ?, ? FROM DUAL
         WHERE EXISTS (SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?)`,
        [entry.user, entry.database, entry.instanceId, entry.bindingId, entry.readOnly ? 1 : 0, entry.database],
        { prepared: true },
      );
      return result.affectedRows > 0 ? 'added' : 'no-database';
    } catch (error) {
      if (hasErrorCode(error, 'ER_DUP_ENTRY')) return 'row-exists';
      throw error;
    }
  }

  async saveUser(entry: RegisteredUser): Promise<void> {
    await this.ensure();
    await this.sql.run(
      'REGISTRY',
      `INSERT INTO ${this.usersTable} (user_name, database_name, instance_id, binding_id, read_only) VALUES (?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE database_name = VALUES(database_name), instance_id = VALUES(instance_id),
         binding_id = VALUES(binding_id), read_only = VALUES(read_only), updated_at = CURRENT_TIMESTAMP`,
      [entry.user, entry.database, entry.instanceId, entry.bindingId, entry.readOnly ? 1 : 0],
      { prepared: true },
    );
  }

  async forgetUser(user: string): Promise<void> {
    await this.ensure();
    await this.sql.run('REGISTRY', `DELETE FROM ${this.usersTable} WHERE user_name = ?`, [user], { prepared: true });
  }
}

function toDatabase(row: Row): RegisteredDatabase {
  return {
    database: textColumn(row, 'database_name') ?? '',
    instanceId: textColumn(row, 'instance_id') ?? '',
    planId: textColumn(row, 'plan_id') ?? '',
    maxStorageMb: numberColumn(row, 'max_storage_mb'),
    maxUserConnections: numberColumn(row, 'max_user_connections'),
  };
}

function toUser(row: Row): RegisteredUser {
  return {
    user: textColumn(row, 'user_name') ?? '',
    database: textColumn(row, 'database_name') ?? '',
    instanceId: textColumn(row, 'instance_id') ?? '',
    bindingId: textColumn(row, 'binding_id') ?? '',
    readOnly: numberColumn(row, 'read_only') !== 0,
  };
}
