import { MemoryStore } from '../../../sdk';
import { UNREACHABLE_DESCRIPTION, bindingUserName, databaseName, type StatementKind } from '../../../brokers/mysql';
import { MysqlTestRun, TcpRelay, adminUrl, capturingLogger, closedPort, connectAs, credentialsOf, type TestBroker } from './support';

/** MySQL down or failing half-way: 503 with a plain description, and nothing left half-made. */

let run: MysqlTestRun;
let relay: TcpRelay;
let broker: TestBroker;
let logs: ReturnType<typeof capturingLogger>;

beforeAll(async () => {
  run = await MysqlTestRun.start();
  relay = new TcpRelay();
  await relay.start();
  logs = capturingLogger();
  broker = run.startBroker({ store: new MemoryStore(), logger: logs.logger, config: { url: adminUrl(relay.port) } });
});

afterAll(async () => {
  await relay?.stop();
  await run?.cleanup();
});

async function registryCounts(): Promise<{ dbs: number; users: number }> {
  const [row] = await run.rows(
    `SELECT (SELECT COUNT(*) FROM \`${run.stateDatabase}\`.mysql_broker_databases) AS dbs,
            (SELECT COUNT(*) FROM \`${run.stateDatabase}\`.mysql_broker_users) AS users`,
  );
  return { dbs: Number(row!.dbs), users: Number(row!.users) };
}

function expectUnavailable(answer: { status: number; body: Record<string, unknown> }): void {
  expect(answer.status).toBe(503);
  expect(answer.body).toEqual({ error: 'ServiceUnavailable', description: UNREACHABLE_DESCRIPTION });
}

describe('the MySQL server goes away', () => {
  const up = (): string => run.id('up');
  const down = (): string => run.id('down');

  it('works while the server is reachable', async () => {
    expect((await broker.osb.provision(up())).status).toBe(201);
    expect((await broker.osb.bind(up(), run.id('ob1'))).status).toBe(201);
    expect((await broker.osb.provision(run.id('lone'))).status).toBe(201);
  });

  it('answers provision, bind, unbind, update and deprovision with 503 while it is down, making nothing', async () => {
    await relay.stop();
    expectUnavailable(await broker.osb.provision(down()));
    expectUnavailable(await broker.osb.bind(up(), run.id('ob2')));
    expectUnavailable(await broker.osb.unbind(up(), run.id('ob1')));
    expectUnavailable(await broker.osb.deprovision(run.id('lone')));
    expectUnavailable(await broker.osb.updatePlan(up(), '521c6f32-5446-4d22-af0e-9a43a35da763'));

    expect(await run.databaseExists(databaseName(down()))).toBe(false);
    expect(await run.accountsOf(bindingUserName(up(), run.id('ob2')))).toEqual([]);
    // What failed, and that it was a connection failure, is in the logs; the client saw neither.
    const failures = logs.lines.filter((line) => line.msg === 'request failed');
    expect(failures.length).toBeGreaterThan(0);
    expect(JSON.stringify(failures)).toMatch(/ECONNREFUSED|PROTOCOL_CONNECTION_LOST|ECONNRESET/);
  });

  it('recovers when the server is back: the same requests now succeed', async () => {
    await relay.start();
    expect((await broker.osb.provision(down())).status).toBe(201);
    expect((await broker.osb.bind(up(), run.id('ob2'))).status).toBe(201);
    expect((await broker.osb.unbind(up(), run.id('ob1'))).status).toBe(200);
    expect((await broker.osb.unbind(up(), run.id('ob2'))).status).toBe(200);
    expect((await broker.osb.deprovision(up())).status).toBe(200);
    expect((await broker.osb.deprovision(down())).status).toBe(200);
    expect((await broker.osb.deprovision(run.id('lone'))).status).toBe(200);
  });

  it('answers 503 from a broker that never reached its server, and still serves the catalog', async () => {
    const port = await closedPort();
    const stranded = run.startBroker({ store: new MemoryStore(), config: { url: adminUrl(port) } });
    expectUnavailable(await stranded.osb.provision(run.id('never')));
    expect((await stranded.osb.get('/v2/catalog')).status).toBe(200);
    expect(await run.databaseExists(databaseName(run.id('never')))).toBe(false);
  });
});

describe('a failure half-way', () => {
  let failOn: StatementKind | undefined;
  let faulty: TestBroker;

  beforeAll(() => {
    faulty = run.startBroker({
      store: new MemoryStore(),
      config: {
        onStatement: (kind) => {
          if (kind !== failOn) return;
          failOn = undefined;
          // What mysql2 reports when the connection drops mid-statement.
          throw Object.assign(new Error('Connection lost: The server closed the connection.'), { code: 'PROTOCOL_CONNECTION_LOST', fatal: true });
        },
      },
    });
  });

  it('a bind that fails after CREATE USER drops the user it made', async () => {
    const instanceId = run.id('half');
    expect((await faulty.osb.provision(instanceId)).status).toBe(201);
    failOn = 'GRANT';
    expectUnavailable(await faulty.osb.bind(instanceId, run.id('hb')));
    const user = bindingUserName(instanceId, run.id('hb'));
    expect(await run.accountsOf(user)).toEqual([]);
    expect((await registryCounts()).users).toBe(0);

    // The platform retries: the same binding id now binds cleanly.
    const retried = await faulty.osb.bind(instanceId, run.id('hb'));
    expect(retried.status).toBe(201);
    const credentials = credentialsOf(retried.body);
    const connection = await connectAs(credentials.username, credentials.password, credentials.name);
    await connection.end();
    expect((await faulty.osb.unbind(instanceId, run.id('hb'))).status).toBe(200);
    expect((await faulty.osb.deprovision(instanceId)).status).toBe(200);
  });

  it('a provision that fails before CREATE DATABASE leaves only its registry mark, which deprovision (410) clears', async () => {
    const instanceId = run.id('halfdb');
    failOn = 'CREATE DATABASE';
    expectUnavailable(await faulty.osb.provision(instanceId));
    expect(await run.databaseExists(databaseName(instanceId))).toBe(false);
    const removed = await faulty.osb.deprovision(instanceId);
    expect(removed.status).toBe(410);
    expect(await registryCounts()).toEqual({ dbs: 0, users: 0 });
  });

  it('leaves nothing behind', async () => {
    expect(await run.leftovers()).toEqual({ databases: [run.stateDatabase], users: [] });
  });
});
