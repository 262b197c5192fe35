import { isOsbError, type ServiceBroker } from '../../../sdk';
import { MYSQL_STORE_SCHEMA_VERSION, MysqlStore, databaseName, type StatementKind } from '../../../brokers/mysql';
import { describeStateStoreContract } from '../../support/store-contract';
import { binding, instance } from '../../support/store-records';
import { MYSQL_HOST, MYSQL_PASSWORD, MYSQL_PORT, MYSQL_USER, MysqlTestRun, PLAN_SMALL, closedPort } from './support';

/** MysqlStore: the StateStore contract the SDK's stores pass, then two replicas sharing one database. */

let run: MysqlTestRun;
let databases = 0;
const stores: MysqlStore[] = [];

beforeAll(async () => {
  run = await MysqlTestRun.start();
});

afterAll(async () => {
  for (const store of stores) await store.close();
  await run?.cleanup();
});

function freshDatabase(): string {
  return `osbkit_${run.prefix}_store${++databases}`;
}

function openStore(database: string, port = MYSQL_PORT): MysqlStore {
  const store = new MysqlStore({ connection: { host: MYSQL_HOST, port, user: MYSQL_USER, password: MYSQL_PASSWORD }, database });
  stores.push(store);
  return store;
}

describeStateStoreContract('MysqlStore behaves like the other StateStores', () => openStore(freshDatabase()));

describe('MysqlStore replicas and schema', () => {
  it('replicas initialising at once all succeed and share one schema row', async () => {
    const database = freshDatabase();
    const replicas = Array.from({ length: 5 }, () => openStore(database));
    await Promise.all(replicas.map((store) => store.init()));
    const rows = await run.rows(`SELECT id, version FROM \`${database}\`.osb_schema`);
    expect(rows.map((r) => ({ ...r }))).toEqual([{ id: 1, version: MYSQL_STORE_SCHEMA_VERSION }]);
  });

  it('two stores on one database see each other and conflict correctly', async () => {
    const database = freshDatabase();
    const a = openStore(database);
    const b = openStore(database);
    await a.init();
    await b.init();
    expect(await a.putInstance(instance('i-1'), null)).toBe(1);
    expect(await b.putInstance(instance('i-1'), null)).toBeUndefined();
    expect(await b.putInstance(instance('i-1', { parameters: { by: 'b' } }), 1)).toBe(2);
    expect(await a.putInstance(instance('i-1', { parameters: { by: 'a' } }), 1)).toBeUndefined();
    expect((await a.getInstance('i-1'))!.record.parameters).toEqual({ by: 'b' });
  });

  it('the purge finds deleted records through an index, which init adds to tables an earlier version made, even with replicas racing', async () => {
    const purgeIndexes = async (database: string): Promise<string[]> => {
      const rows = await run.rows(
        `SELECT DISTINCT TABLE_NAME AS t, INDEX_NAME AS i FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = '${database}' AND INDEX_NAME LIKE '%purge' ORDER BY t`,
      );
      return rows.map((r) => `${String(r.t)}.${String(r.i)}`);
    };
    const expected = ['osb_bindings.osb_bindings_purge', 'osb_instances.osb_instances_purge'];
    const fresh = freshDatabase();
    await openStore(fresh).init();
    expect(await purgeIndexes(fresh)).toEqual(expected);

    const older = freshDatabase();
    await openStore(older).init();
    await run.root.query(`ALTER TABLE \`${older}\`.osb_instances DROP KEY osb_instances_purge`);
    await run.root.query(`ALTER TABLE \`${older}\`.osb_bindings DROP KEY osb_bindings_purge`);
    expect(await purgeIndexes(older)).toEqual([]);
    await Promise.all(Array.from({ length: 4 }, () => openStore(older).init()));
    expect(await purgeIndexes(older)).toEqual(expected);
  });

  it('refuses a database written by a newer schema', async () => {
    const database = freshDatabase();
    await openStore(database).init();
    await run.root.query(`UPDATE \`${database}\`.osb_schema SET version = 99`);
    await expect(openStore(database).init()).rejects.toThrow(/written by a newer osbkit \(schema 99 > 1\)/);
  });

  it('reports an unreachable server as 503 without the statement or its values', async () => {
    const store = openStore(freshDatabase(), await closedPort());
    let thrown: unknown;
    try {
      await store.putBinding(binding('i-1', 'b-1', { result: { credentials: { password: 'very-secret-value' } } }), null);
    } catch (error) {
      thrown = error;
    }
    expect(isOsbError(thrown) && thrown.status).toBe(503);
    expect(JSON.stringify(thrown, Object.getOwnPropertyNames(thrown))).not.toContain('very-secret-value');
    expect(String((thrown as Error).cause)).not.toContain('very-secret-value');
  });
});

describe('two brokers on one MysqlStore', () => {
  it('turn 20 concurrent identical provisions into exactly one provision and one CREATE DATABASE', async () => {
    const statements: StatementKind[] = [];
    const provisions: string[] = [];
    const config = { onStatement: (kind: StatementKind) => void statements.push(kind) };
    const brokers = [run.startBroker({ store: 'mysql', config }), run.startBroker({ store: 'mysql', config })];
    for (const { app } of brokers) await app.start();
    // Count the broker's own provision calls, behind the SDK.
    for (const { handle } of brokers) {
      const inner = handle.broker;
      const original = inner.provision.bind(inner);
      (inner as ServiceBroker).provision = (request, ctx) => {
        provisions.push(request.instanceId);
        return original(request, ctx);
      };
    }

    const instanceId = run.id('race');
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => brokers[i % 2]!.osb.provision(instanceId)));
    const statuses = answers.map((a) => a.status);
    expect(provisions).toEqual([instanceId]);
    expect(statements.filter((kind) => kind === 'CREATE DATABASE')).toHaveLength(1);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    for (const answer of answers) {
      if (answer.status === 201 || answer.status === 200) expect(answer.body).toEqual({});
      else expect(answer.body).toMatchObject({ error: 'ConcurrencyError' });
      expect([200, 201, 422]).toContain(answer.status);
    }
    expect(await run.databaseExists(databaseName(instanceId))).toBe(true);

    // Both replicas now agree: the instance exists, and a repeat is a 200 on either.
    for (const { osb } of brokers) {
      expect((await osb.provision(instanceId)).status).toBe(200);
      expect((await osb.get(`/v2/service_instances/${instanceId}`)).body).toMatchObject({ plan_id: PLAN_SMALL });
    }
    expect(provisions).toHaveLength(1);
    expect((await brokers[1]!.osb.deprovision(instanceId)).status).toBe(200);
    expect((await brokers[0]!.osb.deprovision(instanceId)).status).toBe(410);
    expect(await run.databaseExists(databaseName(instanceId))).toBe(false);
  });
});
