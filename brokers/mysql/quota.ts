import type { Logger } from 'pino';
import { Counter, Gauge, Registry } from 'prom-client';
import { forbidImplicitUserCreation, grantWrites, isVanishedAccount, revokeWrites, WRITE_PRIVILEGES, type WritePrivilege } from './accounts';
import { textColumn, type AdminSql } from './admin-sql';
import { MysqlFailure } from './mysql-errors';
import { grantDatabasePattern, granteeOf } from './naming';
import type { BrokerRegistry, RegisteredDatabase, RegisteredUser } from './registry';
import { killSessions } from './sessions';
import { bytesToMegabytes, measureDatabaseBytes } from './usage';

/**
 * Storage quotas, enforced the way cf-mysql-quota-enforcer does: a database over its plan's
 * max_storage_mb loses INSERT, UPDATE and CREATE for its read-write users (they can still
 * read and DELETE their way back), and gets them back once it is under again. The grants are
 * the state; the registry says which users are read-write, so a read-only user is never
 * given write privileges it never had.
 */

export interface QuotaEnforcerOptions {
  sql: AdminSql;
  registry: BrokerRegistry;
  userHosts: readonly string[];
  logger: Logger;
  metricsRegistry?: Registry;
  lockWaitTimeoutSeconds: number;
  /** Tests and trials only: the quota of every database, in place of its plan's max_storage_mb. */
  quotaOverrideMb?: number;
}

export interface DatabaseQuotaResult {
  database: string;
  instanceId: string;
  usedMb: number;
  quotaMb: number;
  overQuota: boolean;
  /** Accounts ('user'@'host') that lost or regained write privileges in this pass. */
  revoked: string[];
  restored: string[];
  /** Set when this database could not be checked; the pass went on with the others. */
  error?: string;
}

export interface QuotaPassResult {
  databases: DatabaseQuotaResult[];
}

/** GRANTEE → escaped schema pattern → privileges held there. */
type Grants = Map<string, Map<string, Set<string>>>;

interface PrivilegeChange {
  user: string;
  host: string;
  revoke: boolean;
  privileges: WritePrivilege[];
}

export class QuotaEnforcer {
  readonly metricsRegistry: Registry;
  private readonly metrics: QuotaMetrics;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<QuotaPassResult> | undefined;
  private stopped = false;

  constructor(private readonly options: QuotaEnforcerOptions) {
    this.metricsRegistry = options.metricsRegistry ?? new Registry();
    this.metrics = new QuotaMetrics(this.metricsRegistry);
  }

  /** One pass over every database the broker made; concurrent callers share the pass in flight. */
  runOnce(): Promise<QuotaPassResult> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Repeats passes `intervalMs` apart (measured from the end of one to the start of the next). */
  start(intervalMs: number): void {
    if (this.timer || this.stopped) return;
    const schedule = (): void => {
      this.timer = setTimeout(() => {
        this.runOnce()
          .catch(() => undefined)
          .finally(() => {
            if (!this.stopped) schedule();
          });
      }, intervalMs);
      // Enforcement never keeps a process alive on its own.
      this.timer.unref();
    };
    schedule();
    this.options.logger.info({ intervalMs }, 'quota enforcer started');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  private async pass(): Promise<QuotaPassResult> {
    const { registry, logger } = this.options;
    try {
      const databases = await registry.listDatabases();
      const existing = await this.existingDatabases();
      const users = groupByDatabase(await registry.listUsers());
      const grants = await this.writeGrants();
      const results: DatabaseQuotaResult[] = [];
      this.metrics.resetDatabases();
      for (const entry of databases) {
        if (!existing.has(entry.database)) continue;
        results.push(await this.enforce(entry, users.get(entry.database) ?? [], grants));
      }
      this.metrics.overQuota.set(results.filter((r) => r.overQuota).length);
      this.metrics.runs.inc({ outcome: results.some((r) => r.error) ? 'partial' : 'ok' });
      return { databases: results };
    } catch (error) {
      this.metrics.runs.inc({ outcome: 'failed' });
      logger.warn({ err: error }, 'quota enforcer pass failed');
      throw error;
    }
  }

  private async enforce(entry: RegisteredDatabase, users: RegisteredUser[], grants: Grants): Promise<DatabaseQuotaResult> {
    const { sql, logger, lockWaitTimeoutSeconds } = this.options;
    const quotaMb = this.options.quotaOverrideMb ?? entry.maxStorageMb;
    const result: DatabaseQuotaResult = {
      database: entry.database,
      instanceId: entry.instanceId,
      usedMb: 0,
      quotaMb,
      overQuota: false,
      revoked: [],
      restored: [],
    };
    try {
      const bytes = await measureDatabaseBytes(sql, entry.database, { lockWaitTimeoutSeconds });
      result.usedMb = bytesToMegabytes(bytes);
      result.overQuota = result.usedMb > quotaMb;
      this.metrics.usage.set({ database: entry.database }, bytes);
      this.metrics.limit.set({ database: entry.database }, quotaMb * 1024 * 1024);
      const changes = this.plannedChanges(entry.database, users, grants, result.overQuota);
      const changedUsers = new Set<string>();
      if (changes.length > 0) {
        await sql.withSession(async (session) => {
          await forbidImplicitUserCreation(session);
          for (const change of changes) {
            try {
              if (change.revoke) await revokeWrites(session, change.user, change.host, entry.database, change.privileges);
              else await grantWrites(session, change.user, change.host, entry.database, change.privileges);
            } catch (error) {
              if (!isVanishedAccount(error)) throw error;
              continue;
            }
            (change.revoke ? result.revoked : result.restored).push(granteeOf(change.user, change.host));
            changedUsers.add(change.user);
          }
        });
      }
      // Open sessions keep the privileges they started with; new ones see the change.
      let killed = 0;
      for (const user of changedUsers) killed += await killSessions(sql, { user });
      this.metrics.revocations.inc(result.revoked.length);
      this.metrics.restorations.inc(result.restored.length);
      this.metrics.killed.inc(killed);
      const fields = { database: entry.database, instanceId: entry.instanceId, usedMb: result.usedMb, quotaMb, sessionsKilled: killed };
      if (result.revoked.length > 0) logger.warn({ ...fields, accounts: result.revoked }, 'database over its storage quota: write privileges revoked');
      if (result.restored.length > 0) logger.info({ ...fields, accounts: result.restored }, 'database back under its storage quota: write privileges restored');
    } catch (error) {
      // An unreachable server fails the whole pass; anything else only this database.
      if (error instanceof MysqlFailure && error.unavailable) throw error;
      const cause = error instanceof Error ? error : new Error(String(error));
      result.error = cause.message;
      this.metrics.failures.inc();
      logger.error({ database: entry.database, err: cause }, 'quota check of a database failed');
    }
    return result;
  }

  /** Over quota: take the write privileges a read-write account still has. Under: give back what is missing. */
  private plannedChanges(database: string, users: RegisteredUser[], grants: Grants, overQuota: boolean): PrivilegeChange[] {
    const pattern = grantDatabasePattern(database);
    const changes: PrivilegeChange[] = [];
    for (const user of users) {
      if (user.readOnly) continue;
      for (const host of this.options.userHosts) {
        const held = grants.get(granteeOf(user.user, host))?.get(pattern);
        // No SELECT means no account with grants on this database: nothing to take or give back.
        if (!held?.has('SELECT')) continue;
        const privileges = WRITE_PRIVILEGES.filter((p) => held.has(p) === overQuota);
        if (privileges.length > 0) changes.push({ user: user.user, host, revoke: overQuota, privileges });
      }
    }
    return changes;
  }

  private async existingDatabases(): Promise<Set<string>> {
    const rows = await this.options.sql.rows('READ CATALOG', 'SELECT SCHEMA_NAME FROM information_schema.SCHEMATA');
    return new Set(rows.map((row) => textColumn(row, 'SCHEMA_NAME')).filter((name): name is string => name !== undefined));
  }

  /**
   * Read once per pass for the whole server and matched here: GRANTEE values hold quotes
   * and TABLE_SCHEMA holds backslashes, which are safer compared in code than escaped into SQL.
   */
  private async writeGrants(): Promise<Grants> {
    const rows = await this.options.sql.rows(
      'READ CATALOG',
      `SELECT GRANTEE, TABLE_SCHEMA, PRIVILEGE_TYPE FROM information_schema.SCHEMA_PRIVILEGES
        WHERE PRIVILEGE_TYPE IN ('SELECT', 'INSERT', 'UPDATE', 'CREATE')`,
    );
    const grants: Grants = new Map();
    for (const row of rows) {
      const grantee = textColumn(row, 'GRANTEE');
      const schema = textColumn(row, 'TABLE_SCHEMA');
      const privilege = textColumn(row, 'PRIVILEGE_TYPE');
      if (!grantee || !schema || !privilege) continue;
      let bySchema = grants.get(grantee);
      if (!bySchema) grants.set(grantee, (bySchema = new Map()));
      let held = bySchema.get(schema);
      if (!held) bySchema.set(schema, (held = new Set()));
      held.add(privilege.toUpperCase());
    }
    return grants;
  }
}

function groupByDatabase(users: RegisteredUser[]): Map<string, RegisteredUser[]> {
  const byDatabase = new Map<string, RegisteredUser[]>();
  for (const user of users) {
    const list = byDatabase.get(user.database) ?? [];
    list.push(user);
    byDatabase.set(user.database, list);
  }
  return byDatabase;
}

/** Metrics are looked up before they are made, so several enforcers may share one registry. */
class QuotaMetrics {
  readonly runs: Counter<'outcome'>;
  readonly revocations: Counter;
  readonly restorations: Counter;
  readonly killed: Counter;
  readonly failures: Counter;
  readonly usage: Gauge<'database'>;
  readonly limit: Gauge<'database'>;
  readonly overQuota: Gauge;

  constructor(registry: Registry) {
    const counter = <L extends string>(name: string, help: string, labelNames: L[] = []): Counter<L> =>
      (registry.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames, registers: [registry] });
    const gauge = <L extends string>(name: string, help: string, labelNames: L[] = []): Gauge<L> =>
      (registry.getSingleMetric(name) as Gauge<L> | undefined) ?? new Gauge({ name, help, labelNames, registers: [registry] });
    this.runs = counter('osbkit_mysql_quota_runs_total', 'Quota enforcer passes by outcome (ok, partial, failed).', ['outcome']);
    this.revocations = counter('osbkit_mysql_quota_revocations_total', 'Accounts whose write privileges were revoked for exceeding a quota.');
    this.restorations = counter('osbkit_mysql_quota_restorations_total', 'Accounts whose write privileges were restored.');
    this.killed = counter('osbkit_mysql_quota_sessions_killed_total', 'Sessions killed so a privilege change takes effect.');
    this.failures = counter('osbkit_mysql_quota_database_failures_total', 'Databases a pass could not check.');
    this.usage = gauge('osbkit_mysql_database_usage_bytes', 'Data plus index bytes of each broker-managed database.', ['database']);
    this.limit = gauge('osbkit_mysql_database_quota_bytes', 'Storage quota of each broker-managed database.', ['database']);
    this.overQuota = gauge('osbkit_mysql_databases_over_quota', 'Broker-managed databases over their quota in the last pass.');
  }

  /** Deleted databases must not linger as series. */
  resetDatabases(): void {
    this.usage.reset();
    this.limit.reset();
  }
}
