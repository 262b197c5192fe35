import type { Pool, RowDataPacket } from 'mysql2/promise';
import { bindingUserName, databaseName } from '../../brokers/mysql';
import { grantDatabasePattern, quoteIdentifier } from '../../brokers/mysql/naming';
import { generatePassword } from '../../brokers/mysql/password';

/**
 * The baseline: the statements a tenant's lifecycle needs on the server, sent straight with
 * mysql2, with the texts the broker sends on its common path (one multi-account CREATE USER,
 * GRANT and DROP USER per binding) and the broker's names, passwords and pool settings. It
 * leaves out what the broker adds around them: its registry rows (the provision's record,
 * written in one statement with the check that no database of that name exists yet; the
 * binding user's record; reading the instance's unfinished binding users and forgetting both
 * records), the check that the database exists before a bind, and the SDK's operation state.
 */

export const USER_HOSTS = ['%', 'localhost'] as const;
/** MAX_USER_CONNECTIONS of the small plan, as the broker sets it. */
export const SMALL_PLAN_CONNECTIONS = 10;

export type CycleStep = 'provision' | 'bind' | 'unbind' | 'deprovision';
export const STEPS: readonly CycleStep[] = ['provision', 'bind', 'unbind', 'deprovision'];

/** Statements per cycle, step by step, for the report. */
export const RAW_STATEMENTS: Record<CycleStep, string[]> = {
  provision: ['CREATE DATABASE'],
  bind: [`CREATE USER (${USER_HOSTS.length} accounts)`, `GRANT (to ${USER_HOSTS.length} accounts)`],
  unbind: [`DROP USER IF EXISTS (${USER_HOSTS.length} accounts)`, 'SELECT … PROCESSLIST (sessions to kill)'],
  deprovision: ['SELECT … PROCESSLIST (sessions to kill)', 'DROP DATABASE'],
};

const ACCOUNTS = USER_HOSTS.map(() => '?@?').join(', ');

export class RawSqlCycle {
  constructor(private readonly pool: Pool) {}

  async provision(instanceId: string): Promise<void> {
    await this.pool.query(`CREATE DATABASE ${quoteIdentifier(databaseName(instanceId))}`);
  }

  async bind(instanceId: string, bindingId: string): Promise<void> {
    const user = bindingUserName(instanceId, bindingId);
    const target = `${quoteIdentifier(grantDatabasePattern(databaseName(instanceId)))}.*`;
    const password = generatePassword();
    await this.pool.query(`CREATE USER ${USER_HOSTS.map(() => '?@? IDENTIFIED BY ?').join(', ')} WITH MAX_USER_CONNECTIONS ?`, [
      ...USER_HOSTS.flatMap((host) => [user, host, password]),
      SMALL_PLAN_CONNECTIONS,
    ]);
    await this.pool.query(`GRANT ALL PRIVILEGES ON ${target} TO ${ACCOUNTS}`, USER_HOSTS.flatMap((host) => [user, host]));
  }

  async unbind(instanceId: string, bindingId: string): Promise<void> {
    const user = bindingUserName(instanceId, bindingId);
    await this.pool.query(`DROP USER IF EXISTS ${ACCOUNTS}`, USER_HOSTS.flatMap((host) => [user, host]));
    await this.killSessions('USER', user);
  }

  async deprovision(instanceId: string): Promise<void> {
    const database = databaseName(instanceId);
    await this.killSessions('DB', database);
    await this.pool.query(`DROP DATABASE ${quoteIdentifier(database)}`);
  }

  private async killSessions(column: 'USER' | 'DB', value: string): Promise<void> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT ID FROM information_schema.PROCESSLIST WHERE ${column} = ? AND ID <> CONNECTION_ID()`,
      [value],
    );
    for (const row of rows) await this.pool.query('KILL CONNECTION ?', [Number(row.ID)]);
  }
}
