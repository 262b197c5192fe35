import type { Connection, RowDataPacket } from 'mysql2/promise';
import { MemoryStore } from '../../../sdk';
import { MysqlTestRun, PLAN_MEDIUM, PLAN_SMALL, PLAN_TINY, connectAs, credentialsOf, type BindingCredentials, type TestBroker, Sessions } from './support';

/** Plan changes: upgrades always, downgrades only when the data fits, connection limits follow the plan. */

let run: MysqlTestRun;
let broker: TestBroker;
const sessions = new Sessions();
const login = (credentials: BindingCredentials): Promise<Connection> => sessions.login(credentials);

beforeAll(async () => {
  run = await MysqlTestRun.start();
  broker = run.startBroker({ store: new MemoryStore() });
});

afterAll(async () => {
  await sessions.closeAll();
  await run?.cleanup();
});


/** About `megabytes` MB of InnoDB data in one table. */
async function fill(connection: Connection, megabytes: number): Promise<void> {
  await connection.query('CREATE TABLE IF NOT EXISTS filler (id INT AUTO_INCREMENT PRIMARY KEY, payload VARBINARY(1000))');
  const rows = Math.ceil((megabytes * 1024 * 1024) / 1000);
  for (let done = 0; done < rows; done += 500) {
    const batch = Array.from({ length: Math.min(500, rows - done) }, () => [Buffer.alloc(1000, 7)]);
    await connection.query('INSERT INTO filler (payload) VALUES ?', [batch]);
  }
}

async function connectionLimitOf(user: string): Promise<number[]> {
  const rows = await run.rows('SELECT max_user_connections AS n FROM mysql.user WHERE User = ? ORDER BY Host', [user]);
  return rows.map((row: RowDataPacket) => Number(row.n));
}

describe('plan changes', () => {
  const instanceId = (): string => run.id('plans');
  let credentials: BindingCredentials;

  it('refuses a downgrade while the data does not fit, with the figures, and changes nothing', async () => {
    expect((await broker.osb.provision(instanceId(), PLAN_SMALL)).status).toBe(201);
    credentials = credentialsOf((await broker.osb.bind(instanceId(), run.id('pb'), {}, PLAN_SMALL)).body);
    await fill(await login(credentials), 3);

    const refused = await broker.osb.updatePlan(instanceId(), PLAN_TINY);
    expect(refused.status).toBe(422);
    expect(refused.body.error).toBe('UnprocessableEntity');
    expect(refused.body.description).toMatch(/^The database uses \d+\.\d MB; plan tiny allows 1 MB\./);
    const usedMb = Number(/uses (\d+\.\d) MB/.exec(refused.body.description as string)![1]);
    expect(usedMb).toBeGreaterThan(1);

    const instance = await broker.osb.get(`/v2/service_instances/${instanceId()}`);
    expect(instance.body.plan_id).toBe(PLAN_SMALL);
    expect(await connectionLimitOf(credentials.username)).toEqual([10, 10]);
  });

  it('allows the downgrade once the data fits, and applies the new connection limit to existing users', async () => {
    const connection = await login(credentials);
    await connection.query('DROP TABLE filler');
    const accepted = await broker.osb.updatePlan(instanceId(), PLAN_TINY);
    expect(accepted.status).toBe(200);
    expect((await broker.osb.get(`/v2/service_instances/${instanceId()}`)).body.plan_id).toBe(PLAN_TINY);
    expect(await connectionLimitOf(credentials.username)).toEqual([3, 3]);
  });

  it('enforces MAX_USER_CONNECTIONS, and an upgrade always goes through and raises it', async () => {
    await sessions.closeAll();
    const held = [await login(credentials), await login(credentials), await login(credentials)];
    // ER_USER_LIMIT_REACHED: the account's own limit, not the server-wide one.
    await expect(connectAs(credentials.username, credentials.password, credentials.name)).rejects.toMatchObject({
      code: 'ER_USER_LIMIT_REACHED',
    });
    // Over the tiny plan's storage quota: an upgrade is still accepted without measuring.
    await fill(held[0]!, 2);
    const upgraded = await broker.osb.updatePlan(instanceId(), PLAN_MEDIUM);
    expect(upgraded.status).toBe(200);
    expect(await connectionLimitOf(credentials.username)).toEqual([40, 40]);
    const fourth = await login(credentials);
    const [rows] = await fourth.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM filler');
    expect(Number(rows[0]!.n)).toBeGreaterThan(0);
  });

  it('binds new users with the current plan limit', async () => {
    const second = credentialsOf((await broker.osb.bind(instanceId(), run.id('pb2'), { read_only: true }, PLAN_MEDIUM)).body);
    expect(await connectionLimitOf(second.username)).toEqual([40, 40]);
  });

  it('cleans up', async () => {
    await sessions.closeAll();
    expect((await broker.osb.unbind(instanceId(), run.id('pb'), PLAN_MEDIUM)).status).toBe(200);
    expect((await broker.osb.unbind(instanceId(), run.id('pb2'), PLAN_MEDIUM)).status).toBe(200);
    expect((await broker.osb.deprovision(instanceId(), PLAN_MEDIUM)).status).toBe(200);
    expect(await run.leftovers()).toEqual({ databases: [run.stateDatabase], users: [] });
  });
});
