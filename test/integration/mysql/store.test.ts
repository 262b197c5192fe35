import {
  isOsbError,
  type BindingRecord,
  type InstanceRecord,
  type OperationRecord,
  type OperationState,
  type ServiceBroker,
} from '../../../sdk';
import { MYSQL_STORE_SCHEMA_VERSION, MysqlStore, databaseName, type StatementKind } from '../../../brokers/mysql';
import { MYSQL_HOST, MYSQL_PASSWORD, MYSQL_PORT, MYSQL_USER, MysqlTestRun, PLAN_SMALL, SERVICE_ID, closedPort } from './support';

/** MysqlStore: the StateStore behaviour table the SDK's stores pass, then two replicas sharing one database. */

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

const NOW = new Date().toISOString();
const longAgo = '2001-01-01T00:00:00.000Z';

function freshDatabase(): string {
  return `osbkit_${run.prefix}_store${++databases}`;
}

function openStore(database: string, port = MYSQL_PORT): MysqlStore {
  const store = new MysqlStore({ connection: { host: MYSQL_HOST, port, user: MYSQL_USER, password: MYSQL_PASSWORD }, database });
  stores.push(store);
  return store;
}

function operation(state: OperationState, id = `op-${state.replace(' ', '-')}`): OperationRecord {
  return { id, kind: 'provision', state, async: true, fingerprint: '{}', request: {}, attempts: 0, startedAt: NOW, updatedAt: NOW };
}

function instance(instanceId: string, overrides: Partial<InstanceRecord> = {}): InstanceRecord {
  return {
    instanceId,
    serviceId: SERVICE_ID,
    planId: PLAN_SMALL,
    state: 'provisioned',
    parameters: { size: 3 },
    history: [],
    createdAt: NOW,
    updatedAt: NOW,
    ...overrides,
  };
}

function binding(instanceId: string, bindingId: string, overrides: Partial<BindingRecord> = {}): BindingRecord {
  return {
    instanceId,
    bindingId,
    serviceId: SERVICE_ID,
    planId: PLAN_SMALL,
    state: 'bound',
    parameters: {},
    result: { credentials: { username: `u-${bindingId}` } },
    history: [],
    createdAt: NOW,
    updatedAt: NOW,
    ...overrides,
  };
}

describe('MysqlStore behaves like the other StateStores', () => {
  let store: MysqlStore;

  beforeEach(async () => {
    store = openStore(freshDatabase());
    await store.init();
  });

  it('init is safe to call again', async () => {
    await store.putInstance(instance('i-1'), null);
    await store.init();
    expect((await store.getInstance('i-1'))?.version).toBe(1);
  });

  it('an unknown id reads as undefined', async () => {
    expect(await store.getInstance('i-none')).toBeUndefined();
    expect(await store.getBinding('i-none', 'b-none')).toBeUndefined();
    expect(await store.listBindings('i-none')).toEqual([]);
  });

  it('insert-if-absent: the first insert wins, a second one changes nothing', async () => {
    const first = instance('i-1', { parameters: { size: 1 } });
    expect(await store.putInstance(first, null)).toBe(1);
    expect(await store.putInstance(instance('i-1', { parameters: { size: 2 } }), null)).toBeUndefined();
    expect(await store.getInstance('i-1')).toEqual({ record: first, version: 1 });
  });

  it('compare-and-set: a write with the current version wins, a stale one is refused', async () => {
    await store.putInstance(instance('i-1'), null);
    const second = instance('i-1', { parameters: { size: 2 } });
    expect(await store.putInstance(second, 1)).toBe(2);
    expect(await store.putInstance(instance('i-1', { parameters: { size: 3 } }), 1)).toBeUndefined();
    expect(await store.putInstance(instance('i-1', { parameters: { size: 4 } }), 7)).toBeUndefined();
    expect(await store.getInstance('i-1')).toEqual({ record: second, version: 2 });
  });

  it('compare-and-set on a record that does not exist is refused', async () => {
    expect(await store.putInstance(instance('i-1'), 1)).toBeUndefined();
    expect(await store.putBinding(binding('i-1', 'b-1'), 1)).toBeUndefined();
    expect(await store.getInstance('i-1')).toBeUndefined();
  });

  it('of concurrent writers with the same version exactly one wins', async () => {
    await store.putInstance(instance('i-1'), null);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.putInstance(instance('i-1', { parameters: { writer: i } }), 1)),
    );
    expect(results.filter((v) => v !== undefined)).toEqual([2]);
    const winner = results.indexOf(2);
    expect(await store.getInstance('i-1')).toEqual({ record: instance('i-1', { parameters: { writer: winner } }), version: 2 });
  });

  it('of concurrent inserts exactly one wins', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.putBinding(binding('i-1', 'b-1', { parameters: { writer: i } }), null)));
    expect(results.filter((v) => v !== undefined)).toEqual([1]);
  });

  it('a read right after a write sees the write', async () => {
    const write = store.putInstance(instance('i-1', { parameters: { size: 9 } }), null);
    expect(await store.getInstance('i-1')).toMatchObject({ record: { parameters: { size: 9 } }, version: 1 });
    expect(await write).toBe(1);
  });

  it('hands out copies: changing a record read does not change the store', async () => {
    await store.putInstance(instance('i-1'), null);
    const read = (await store.getInstance('i-1'))!;
    read.record.parameters.size = 99;
    read.record.history.push(operation('failed'));
    expect((await store.getInstance('i-1'))!.record).toEqual(instance('i-1'));
  });

  it("keeps JSON exactly: unicode, quotes, backslashes, nesting, nulls, operations and history", async () => {
    const record = instance('i-1', {
      parameters: { name: 'été ☃ 🚀', quote: `it's "x" \`y\` \\ \\\\ ; --`, nested: { list: [1, 'two', null, { deep: true }] }, nothing: null },
      context: { platform: 'kubernetes', namespace: 'ns' },
      dashboardUrl: null,
      data: ['private', { n: 1.5 }],
      operation: operation('succeeded', 'op-2'),
      history: [operation('failed', 'op-1')],
    });
    await store.putInstance(record, null);
    expect((await store.getInstance('i-1'))!.record).toEqual(record);
  });

  it('ids are exact: case matters and metacharacters are plain data', async () => {
    expect(await store.putInstance(instance('abc'), null)).toBe(1);
    expect(await store.putInstance(instance('ABC'), null)).toBe(1);
    const hostile = "x'; DROP TABLE osb_instances; --";
    expect(await store.putInstance(instance(hostile), null)).toBe(1);
    expect((await store.getInstance(hostile))!.record.instanceId).toBe(hostile);
    expect((await store.getInstance('abc'))!.record.instanceId).toBe('abc');
  });

  it('bindings are keyed by instance and binding id, and listed per instance', async () => {
    expect(await store.putBinding(binding('i-1', 'b-1'), null)).toBe(1);
    expect(await store.putBinding(binding('i-1', 'b-2'), null)).toBe(1);
    expect(await store.putBinding(binding('i-2', 'b-1', { parameters: { other: true } }), null)).toBe(1);
    expect(await store.putBinding(binding('i-1', 'b-1', { state: 'deleted' }), 1)).toBe(2);
    expect(await store.putBinding(binding('i-1', 'b-1'), 1)).toBeUndefined();
    expect((await store.getBinding('i-2', 'b-1'))!.record.parameters).toEqual({ other: true });
    const listed = await store.listBindings('i-1');
    expect(listed.map((b) => [b.record.bindingId, b.record.state, b.version]).sort()).toEqual([
      ['b-1', 'deleted', 2],
      ['b-2', 'bound', 1],
    ]);
  });

  it('listPending names the records whose operation is in progress, and only those', async () => {
    await store.putInstance(instance('i-run', { state: 'provisioning', operation: operation('in progress') }), null);
    await store.putInstance(instance('i-done', { operation: operation('succeeded') }), null);
    await store.putInstance(instance('i-none'), null);
    await store.putBinding(binding('i-done', 'b-run', { state: 'binding', operation: operation('in progress') }), null);
    await store.putBinding(binding('i-done', 'b-failed', { state: 'failed', operation: operation('failed') }), null);
    const sorted = async (): Promise<string[]> => (await store.listPending()).map((t) => JSON.stringify(t)).sort();
    expect(await sorted()).toEqual([
      JSON.stringify({ type: 'binding', instanceId: 'i-done', bindingId: 'b-run' }),
      JSON.stringify({ type: 'instance', instanceId: 'i-run' }),
    ]);
    await store.putInstance(instance('i-run', { operation: operation('succeeded') }), 1);
    await store.putBinding(binding('i-done', 'b-run', { operation: operation('failed') }), 1);
    expect(await store.listPending()).toEqual([]);
  });

  it('purgeDeleted drops deleted records changed before the cutoff, nothing else', async () => {
    await store.putInstance(instance('i-old-deleted', { state: 'deleted', updatedAt: longAgo }), null);
    await store.putInstance(instance('i-new-deleted', { state: 'deleted' }), null);
    await store.putInstance(instance('i-old-live', { updatedAt: longAgo }), null);
    await store.putInstance(instance('i-old-failed', { state: 'failed', updatedAt: longAgo }), null);
    await store.putBinding(binding('i-old-live', 'b-old-deleted', { state: 'deleted', updatedAt: longAgo }), null);
    await store.putBinding(binding('i-old-live', 'b-old-bound', { updatedAt: longAgo }), null);
    const cutoff = new Date(Date.now() - 60_000);
    expect(await store.purgeDeleted(cutoff)).toBe(2);
    expect(await store.getInstance('i-old-deleted')).toBeUndefined();
    expect(await store.getBinding('i-old-live', 'b-old-deleted')).toBeUndefined();
    for (const id of ['i-new-deleted', 'i-old-live', 'i-old-failed']) expect(await store.getInstance(id)).toBeDefined();
    expect(await store.getBinding('i-old-live', 'b-old-bound')).toBeDefined();
    expect(await store.purgeDeleted(cutoff)).toBe(0);
    expect(await store.putInstance(instance('i-old-deleted'), null)).toBe(1);
  });
});

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
