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
