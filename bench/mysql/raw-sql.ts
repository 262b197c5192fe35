import type { Pool, RowDataPacket } from 'mysql2/promise';
import { bindingUserName, databaseName } from '../../brokers/mysql';
import { grantDatabasePattern, quoteIdentifier } from '../../brokers/mysql/naming';
import { generatePassword } from '../../brokers/mysql/password';

/**
 * The baseline: the statements a tenant's lifecycle needs on the server, sent straight with
 * mysql2, with the broker's own texts, names, passwords and pool settings. It leaves out what
 * the broker adds around them: its existence checks, the DROP USER it runs before CREATE USER
 * so a repeated bind starts clean, the second session sweep after DROP USER, its registry
 * rows, and the SDK's operation state.
 */

export const USER_HOSTS = ['%', 'localhost'] as const;
/** MAX_USER_CONNECTIONS of the small plan, as the broker sets it. */
export const SMALL_PLAN_CONNECTIONS = 10;

export type CycleStep = 'provision' | 'bind' | 'unbind' | 'deprovision';
export const STEPS: readonly CycleStep[] = ['provision', 'bind', 'unbind', 'deprovision'];

/** Statements per cycle, step by step, for the report. */
export const RAW_STATEMENTS: Record<CycleStep, string[]> = {
  provision: ['CREATE DATABASE'],
  bind: ['CREATE USER', 'GRANT', 'CREATE USER', 'GRANT'],
  unbind: ['SELECT … PROCESSLIST (sessions to kill)', 'DROP USER', 'DROP USER'],
  deprovision: ['SELECT … PROCESSLIST (sessions to kill)', 'DROP DATABASE'],
};

export class RawSqlCycle {
  constructor(private readonly pool: Pool) {}

  async provision(instanceId: string): Promise<void> {
    await this.pool.query(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(databaseName(instanceId))}`);
  }

  async bind(instanceId: string, bindingId: string): Promise<void> {
    const user = bindingUserName(instanceId, bindingId);
    const target = `${quoteIdentifier(grantDatabasePattern(databaseName(instanceId)))}.*`;
    const password = generatePassword();
    for (const host of USER_HOSTS) {
      await this.pool.query('CREATE USER ?@? IDENTIFIED BY ? WITH MAX_USER_CONNECTIONS ?', [user, host, password, SMALL_PLAN_CONNECTIONS]);
      await this.pool.query(`GRANT ALL PRIVILEGES ON ${target} TO ?@?`, [user, host]);
    }
  }

  async unbind(instanceId: string, bindingId: string): Promise<void> {
    const user = bindingUserName(instanceId, bindingId);
    await this.killSessions('USER', user);
    for (const host of USER_HOSTS) await this.pool.query('DROP USER ?@?', [user, host]);
  }

  async deprovision(instanceId: string): Promise<void> {
    const database = databaseName(instanceId);
    await this.killSessions('DB', database);
    await this.pool.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(database)}`);
  }

  private async killSessions(column: 'USER' | 'DB', value: string): Promise<void> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT ID FROM information_schema.PROCESSLIST WHERE ${column} = ? AND ID <> CONNECTION_ID()`,
      [value],
    );
    for (const row of rows) await this.pool.query('KILL CONNECTION ?', [Number(row.ID)]);
  }
}
