import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ServiceBroker } from '../../sdk';
import { AdminSql } from './admin-sql';
import { MysqlBroker } from './broker';
import { resolveMysqlConfig, type MysqlBrokerConfig, type ResolvedMysqlConfig } from './config';
import { QuotaEnforcer, type QuotaPassResult } from './quota';
import { BrokerRegistry } from './registry';
import { MysqlStore } from '../../sdk/store/mysql';

/** The MySQL broker's entry points, as the CLI and tests use them. */

export { mysqlBrokerConfigFromEnv, parseMysqlUrl, MysqlConfigError, DEFAULT_STATE_DATABASE } from './config';
export type { MysqlBrokerConfig, MysqlQuotaConfig, MysqlServerAddress, ResolvedMysqlConfig } from './config';
export type { StatementKind, StatementListener } from './admin-sql';
export type { DatabaseQuotaResult, QuotaPassResult } from './quota';
export { MysqlStore, MYSQL_STORE_SCHEMA_VERSION, type MysqlStoreOptions } from '../../sdk/store/mysql';
export { MysqlBroker } from './broker';
export { databaseName, bindingUserName } from './naming';
export { UNREACHABLE_DESCRIPTION } from './mysql-errors';

/**
 * The catalog file that ships with the broker. Looked up relative to this module from the
 * sources (brokers/mysql) and from the build output (dist/brokers/mysql) alike.
 */
export const mysqlCatalogPath: string = locateCatalog();

export interface QuotaEnforcerStartOptions {
  intervalMs?: number;
  metricsRegistry?: Registry;
}

export interface MysqlBrokerHandle {
  broker: ServiceBroker;
  /** The SDK state store on the same server; undefined when `stateStore: false`. Pass it to createBroker. */
  store: MysqlStore | undefined;
  config: ResolvedMysqlConfig;
  /** Runs the quota enforcer in this process every `intervalMs` (default from the config). */
  startQuotaEnforcer(options?: QuotaEnforcerStartOptions): void;
  stopQuotaEnforcer(): Promise<void>;
  /** One enforcer pass, for `osbkit mysql-quota` and tests. */
  runQuotaEnforcerOnce(options?: Pick<QuotaEnforcerStartOptions, 'metricsRegistry'>): Promise<QuotaPassResult>;
  /** Stops the enforcer and closes every connection pool this handle opened; safe to call twice. */
  close(): Promise<void>;
}

export function createMysqlBroker(config: MysqlBrokerConfig, logger: Logger): MysqlBrokerHandle {
  const resolved = resolveMysqlConfig(config);
  const sql = AdminSql.connect(resolved.admin, {
    connectTimeoutMs: resolved.connectTimeoutMs,
    queryTimeoutMs: resolved.queryTimeoutMs,
    ...(resolved.onStatement ? { listener: resolved.onStatement } : {}),
  });
  const registry = new BrokerRegistry(sql, resolved.stateDatabase);
  const store = resolved.stateStore
    ? new MysqlStore({
        connection: resolved.admin,
        database: resolved.stateDatabase,
        connectTimeoutMs: resolved.connectTimeoutMs,
        queryTimeoutMs: resolved.queryTimeoutMs,
      })
    : undefined;
  const quotaLogger = logger.child({ component: 'mysql-quota' });
  let enforcer: QuotaEnforcer | undefined;
  // Made on first use so the caller can still hand over the registry its /metrics serves.
  const enforcerWith = (metricsRegistry: Registry | undefined): QuotaEnforcer => {
    enforcer ??= new QuotaEnforcer({
      sql,
      registry,
      userHosts: resolved.userHosts,
      logger: quotaLogger,
      lockWaitTimeoutSeconds: resolved.quota.lockWaitTimeoutSeconds,
      ...(resolved.quota.overrideMb !== undefined ? { quotaOverrideMb: resolved.quota.overrideMb } : {}),
      ...(metricsRegistry ?? resolved.quota.metricsRegistry ? { metricsRegistry: metricsRegistry ?? resolved.quota.metricsRegistry } : {}),
    });
    return enforcer;
  };
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await enforcer?.stop();
    await sql.close();
    await store?.close();
  };
  // The SDK stops the broker when its app closes: that is when the pools must go too.
  const broker = new MysqlBroker({ sql, registry, config: resolved, logger, shutdown: close });

  return {
    broker,
    store,
    config: resolved,
    startQuotaEnforcer(options = {}) {
      enforcerWith(options.metricsRegistry).start(options.intervalMs ?? resolved.quota.intervalMs);
    },
    async stopQuotaEnforcer() {
      await enforcer?.stop();
    },
    runQuotaEnforcerOnce(options = {}) {
      return enforcerWith(options.metricsRegistry).runOnce();
    },
    close,
  };
}

function locateCatalog(): string {
  const candidates = [resolve(__dirname, '../../catalog/mysql.yaml'), resolve(__dirname, '../../../catalog/mysql.yaml')];
  return candidates.find((path) => existsSync(path)) ?? candidates[0]!;
}
