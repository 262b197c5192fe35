import { Catalog } from '../../../sdk';
import { mysqlBrokerConfigFromEnv, mysqlCatalogPath } from '../../../brokers/mysql';
import { MysqlConfigError, parseMysqlUrl, resolveMysqlConfig } from '../../../brokers/mysql/config';
import { planLimits } from '../../../brokers/mysql/plans';

describe('MySQL broker configuration', () => {
  it('reads the admin account from MYSQL_URL, decoding user and password', () => {
    const config = resolveMysqlConfig(mysqlBrokerConfigFromEnv({ MYSQL_URL: 'mysql://admin:p%40ss%3Aword@db.internal:3307' }));
    expect(config.admin).toEqual({ host: 'db.internal', port: 3307, user: 'admin', password: 'p@ss:word' });
    expect(config.publicHost).toBe('db.internal');
    expect(config.publicPort).toBe(3307);
    expect(config.stateDatabase).toBe('osbkit_broker');
    expect(config.userHosts).toEqual(['%', 'localhost']);
  });

  it('takes public address, CA, state database and quota interval from the environment', () => {
    const config = resolveMysqlConfig(
      mysqlBrokerConfigFromEnv({
        MYSQL_URL: 'mysql://root@127.0.0.1/brokerstate',
        MYSQL_PUBLIC_HOST: 'mysql.example.com',
        MYSQL_PUBLIC_PORT: '13306',
        MYSQL_CA_CERTIFICATE: 'PEM',
        MYSQL_QUOTA_INTERVAL_SECONDS: '2.5',
      }),
    );
    expect(config.admin).toEqual({ host: '127.0.0.1', port: 3306, user: 'root', password: '' });
    expect(config.publicHost).toBe('mysql.example.com');
    expect(config.publicPort).toBe(13306);
    expect(config.caCertificate).toBe('PEM');
    expect(config.stateDatabase).toBe('brokerstate');
    expect(config.quota.intervalMs).toBe(2500);
  });

  it('bounds connecting and every statement: 10 s and 30 s unless MYSQL_CONNECT_TIMEOUT_SECONDS / MYSQL_QUERY_TIMEOUT_SECONDS say otherwise', () => {
    const defaults = resolveMysqlConfig(mysqlBrokerConfigFromEnv({ MYSQL_URL: 'mysql://root@127.0.0.1' }));
    expect({ connect: defaults.connectTimeoutMs, query: defaults.queryTimeoutMs }).toEqual({ connect: 10_000, query: 30_000 });
    const configured = resolveMysqlConfig(
      mysqlBrokerConfigFromEnv({ MYSQL_URL: 'mysql://root@127.0.0.1', MYSQL_CONNECT_TIMEOUT_SECONDS: '2.5', MYSQL_QUERY_TIMEOUT_SECONDS: '45' }),
    );
    expect({ connect: configured.connectTimeoutMs, query: configured.queryTimeoutMs }).toEqual({ connect: 2_500, query: 45_000 });
    const programmatic = resolveMysqlConfig({ url: 'mysql://root@127.0.0.1', connectTimeoutMs: 750, queryTimeoutMs: 1_500 });
    expect({ connect: programmatic.connectTimeoutMs, query: programmatic.queryTimeoutMs }).toEqual({ connect: 750, query: 1_500 });
  });

  it('refuses timeouts that are not positive numbers, naming the setting', () => {
    for (const value of ['0', '-3', 'soon', '1e10']) {
      expect(() => mysqlBrokerConfigFromEnv({ MYSQL_URL: 'mysql://root@h', MYSQL_QUERY_TIMEOUT_SECONDS: value })).toThrow(
        /^MYSQL_QUERY_TIMEOUT_SECONDS must be a positive number of seconds/,
      );
      expect(() => mysqlBrokerConfigFromEnv({ MYSQL_URL: 'mysql://root@h', MYSQL_CONNECT_TIMEOUT_SECONDS: value })).toThrow(
        /^MYSQL_CONNECT_TIMEOUT_SECONDS must be a positive number of seconds/,
      );
    }
    expect(() => resolveMysqlConfig({ url: 'mysql://root@h', queryTimeoutMs: 0 })).toThrow(/query timeout must be a positive number/);
    expect(() => resolveMysqlConfig({ url: 'mysql://root@h', connectTimeoutMs: Number.NaN })).toThrow(/connect timeout must be a positive number/);
  });

  it('accepts host/port/user/password without a URL', () => {
    const config = resolveMysqlConfig({ host: 'h', user: 'u', password: 'p' });
    expect(config.admin).toEqual({ host: 'h', port: 3306, user: 'u', password: 'p' });
  });

  it('fails clearly without leaking the password', () => {
    expect(() => mysqlBrokerConfigFromEnv({})).toThrow(MysqlConfigError);
    let message = '';
    try {
      parseMysqlUrl('http://admin:hunter2@h');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/mysql:\/\//);
    expect(message).not.toContain('hunter2');
    expect(() => resolveMysqlConfig({ url: 'mysql://u:p@h/bad-name' })).toThrow(/state database/);
    expect(() => resolveMysqlConfig({ url: 'mysql://u:p@h', userHosts: ["'; --"] })).toThrow(/userHosts/);
  });
});

describe('the shipped catalog', () => {
  it('is valid and carries the limits of every plan', () => {
    const catalog = Catalog.load(mysqlCatalogPath);
    const offering = catalog.allOfferings()[0]!;
    expect(offering.name).toBe('mysql');
    expect(offering.bindable && offering.plan_updateable && offering.instances_retrievable && offering.bindings_retrievable).toBe(true);
    const limits = catalog.allPlans().map((entry) => planLimits(entry.plan));
    expect(limits).toEqual([
      { planName: 'small', maxStorageMb: 100, maxUserConnections: 10 },
      { planName: 'medium', maxStorageMb: 1024, maxUserConnections: 40 },
      { planName: 'large', maxStorageMb: 10240, maxUserConnections: 100 },
    ]);
  });

  it('validates parameters: encodings restricted to [A-Za-z0-9_], read_only boolean, nothing else', () => {
    const catalog = Catalog.load(mysqlCatalogPath);
    const planId = catalog.allPlans()[0]!.plan.id;
    expect(catalog.validateParameters(planId, 'instance.create', { character_set: 'utf8mb4', collation: 'utf8mb4_bin' })).toEqual([]);
    expect(catalog.validateParameters(planId, 'instance.create', { character_set: "utf8'; DROP DATABASE x; --" })).not.toEqual([]);
    expect(catalog.validateParameters(planId, 'instance.create', { engine: 'MyISAM' })).not.toEqual([]);
    expect(catalog.validateParameters(planId, 'binding.create', { read_only: true })).toEqual([]);
    expect(catalog.validateParameters(planId, 'binding.create', { read_only: 'true' })).not.toEqual([]);
    expect(catalog.validateParameters(planId, 'instance.update', { character_set: 'latin1' })).not.toEqual([]);
  });
});
