import type { Connection, RowDataPacket } from 'mysql2/promise';
import { Registry } from 'prom-client';
import { MemoryStore } from '../../../sdk';
import { MysqlTestRun, PLAN_TINY, capturingLogger, connectAs, credentialsOf, type BindingCredentials, type TestBroker, Sessions, isAlive } from './support';

/** The quota enforcer against a real server: a 1 MB plan filled past its quota and emptied again. */

let run: MysqlTestRun;
let broker: TestBroker;
let logs: ReturnType<typeof capturingLogger>;
const metrics = new Registry();
const sessions = new Sessions();
const login = (credentials: BindingCredentials): Promise<Connection> => sessions.login(credentials);

beforeAll(async () => {
  run = await MysqlTestRun.start();
  logs = capturingLogger();
  broker = run.startBroker({ store: new MemoryStore(), logger: logs.logger, config: { quota: { metricsRegistry: metrics } } });
});

afterAll(async () => {
  await sessions.closeAll();
  await run?.cleanup();
});



async function fill(connection: Connection, megabytes: number): Promise<void> {
  const rows = Math.ceil((megabytes * 1024 * 1024) / 1000);
  for (let done = 0; done < rows; done += 500) {
    const batch = Array.from({ length: Math.min(500, rows - done) }, () => [Buffer.alloc(1000, 1)]);
    await connection.query('INSERT INTO filler (payload) VALUES ?', [batch]);
  }
}

async function grantsOf(user: string): Promise<string[]> {
  const [rows] = await run.root.query<RowDataPacket[]>('SHOW GRANTS FOR ?@?', [user, '%']);
  return rows.map((row) => String(Object.values(row)[0])).sort();
}

/** A fresh session each time (open ones keep old privileges), closed again: the tiny plan allows 3. */
async function canInsert(credentials: BindingCredentials): Promise<boolean> {
  const connection = await connectAs(credentials.username, credentials.password, credentials.name);
  try {
    await connection.query('INSERT INTO filler (payload) VALUES (?)', [Buffer.alloc(10)]);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === 'ER_TABLEACCESS_DENIED_ERROR') return false;
    throw error;
  } finally {
    await connection.end().catch(() => undefined);
  }
}

async function metricValue(name: string): Promise<number> {
  const metric = await metrics.getSingleMetric(name)?.get();
  return (metric?.values ?? []).reduce((sum, value) => sum + value.value, 0);
}

describe('quota enforcer', () => {
  const instanceId = (): string => run.id('quota');
  let readWrite: BindingCredentials;
  let readOnly: BindingCredentials;
  let readOnlyGrants: string[];
  let writer: Connection;

  it('leaves a database under its quota alone', async () => {
    expect((await broker.osb.provision(instanceId(), PLAN_TINY)).status).toBe(201);
    readWrite = credentialsOf((await broker.osb.bind(instanceId(), run.id('qrw'), {}, PLAN_TINY)).body);
    readOnly = credentialsOf((await broker.osb.bind(instanceId(), run.id('qro'), { read_only: true }, PLAN_TINY)).body);
    readOnlyGrants = await grantsOf(readOnly.username);
    writer = await login(readWrite);
    await writer.query('CREATE TABLE filler (id INT AUTO_INCREMENT PRIMARY KEY, payload VARBINARY(1000))');

    const pass = await broker.handle.runQuotaEnforcerOnce();
    const mine = pass.databases.find((d) => d.database === readWrite.name)!;
    expect(mine).toMatchObject({ instanceId: instanceId(), quotaMb: 1, overQuota: false, revoked: [], restored: [] });
    expect(await isAlive(writer)).toBe(true);
  });

  it('revokes INSERT, UPDATE and CREATE from read-write users of a full database and kills their sessions', async () => {
    await fill(writer, 2);
    const pass = await broker.handle.runQuotaEnforcerOnce();
    const mine = pass.databases.find((d) => d.database === readWrite.name)!;
    expect(mine.overQuota).toBe(true);
    expect(mine.usedMb).toBeGreaterThan(1);
    expect(mine.revoked.sort()).toEqual([`'${readWrite.username}'@'%'`, `'${readWrite.username}'@'localhost'`]);

    expect(await isAlive(writer)).toBe(false);
    expect(await canInsert(readWrite)).toBe(false);
    const fresh = await login(readWrite);
    await expect(fresh.query('UPDATE filler SET payload = NULL WHERE id = 1')).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
    await expect(fresh.query('CREATE TABLE more (id INT)')).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
    const [count] = await fresh.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM filler');
    expect(Number(count[0]!.n)).toBeGreaterThan(1000);
  });

  it('leaves the read-only user exactly as it was', async () => {
    expect(await grantsOf(readOnly.username)).toEqual(readOnlyGrants);
    const connection = await login(readOnly);
    const [rows] = await connection.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM filler');
    expect(Number(rows[0]!.n)).toBeGreaterThan(0);
    expect(await canInsert(readOnly)).toBe(false);
  });

  it('reports what it did in logs and metrics, and a repeated pass changes nothing', async () => {
    const warning = logs.lines.find((line) => line.msg === 'database over its storage quota: write privileges revoked');
    expect(warning).toMatchObject({ database: readWrite.name, instanceId: instanceId(), quotaMb: 1 });
    expect(await metricValue('osbkit_mysql_quota_revocations_total')).toBe(2);
    expect(await metricValue('osbkit_mysql_databases_over_quota')).toBeGreaterThanOrEqual(1);
    const usage = await metrics.getSingleMetric('osbkit_mysql_database_usage_bytes')!.get();
    expect(usage.values.find((v) => v.labels.database === readWrite.name)!.value).toBeGreaterThan(1024 * 1024);

    const again = await broker.handle.runQuotaEnforcerOnce();
    expect(again.databases.find((d) => d.database === readWrite.name)).toMatchObject({ overQuota: true, revoked: [], restored: [] });
    expect(await metricValue('osbkit_mysql_quota_revocations_total')).toBe(2);
  });

  it('restores writes once the data is deleted and the table optimised, and never promotes the read-only user', async () => {
    const connection = await login(readWrite);
    await connection.query('DELETE FROM filler');
    // OPTIMIZE needs INSERT, which the tenant lost: this is the operator's (or TRUNCATE's) part.
    await run.root.query(`OPTIMIZE TABLE \`${readWrite.name}\`.filler`);

    const pass = await broker.handle.runQuotaEnforcerOnce();
    const mine = pass.databases.find((d) => d.database === readWrite.name)!;
    expect(mine.overQuota).toBe(false);
    expect(mine.restored.sort()).toEqual([`'${readWrite.username}'@'%'`, `'${readWrite.username}'@'localhost'`]);
    expect(await canInsert(readWrite)).toBe(true);
    const fresh = await login(readWrite);
    await fresh.query('CREATE TABLE more (id INT)');

    expect(await grantsOf(readOnly.username)).toEqual(readOnlyGrants);
    expect(await canInsert(readOnly)).toBe(false);
    expect(logs.lines.some((line) => line.msg === 'database back under its storage quota: write privileges restored')).toBe(true);
    expect(await metricValue('osbkit_mysql_quota_restorations_total')).toBe(2);
  });

  it('runs on an interval inside the broker process', async () => {
    await sessions.closeAll();
    const connection = await login(readWrite);
    await fill(connection, 2);
    broker.handle.startQuotaEnforcer({ intervalMs: 50 });
    try {
      const deadline = Date.now() + 15_000;
      while (await canInsert(readWrite)) {
        if (Date.now() > deadline) throw new Error('the enforcer did not revoke writes within 15 s');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await broker.handle.stopQuotaEnforcer();
    }
    expect(await grantsOf(readOnly.username)).toEqual(readOnlyGrants);
  });

  it('cleans up', async () => {
    await sessions.closeAll();
    expect((await broker.osb.unbind(instanceId(), run.id('qrw'), PLAN_TINY)).status).toBe(200);
    expect((await broker.osb.unbind(instanceId(), run.id('qro'), PLAN_TINY)).status).toBe(200);
    expect((await broker.osb.deprovision(instanceId(), PLAN_TINY)).status).toBe(200);
    expect(await run.leftovers()).toEqual({ databases: [run.stateDatabase], users: [] });
  });
});
