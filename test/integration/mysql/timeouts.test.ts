import { MemoryStore, isOsbError } from '../../../sdk';
import { MysqlStore, bindingUserName, databaseName, type StatementKind } from '../../../brokers/mysql';
import { waitFor } from '../../support/process';
import { instance } from '../../support/store-records';
import { MYSQL_HOST, MYSQL_PASSWORD, MYSQL_USER, MysqlTestRun, TcpRelay, adminUrl, capturingLogger, connectAs, credentialsOf, type TestBroker } from './support';

/**
 * A MySQL server that stops answering (a paused process, a dropped route) without closing
 * anything: every request that needs it answers 503 within the configured timeouts instead of
 * hanging, and the same request succeeds once the server answers again. The hang is a relay
 * this suite starts in front of the shared server, switched to a black hole or to swallowing
 * answers; the shared server itself is never paused.
 */
jest.setTimeout(120_000);

const TIMEOUTS = { connectTimeoutMs: 1_000, queryTimeoutMs: 1_500 };
const CONNECT_DESCRIPTION = 'The MySQL server did not answer within 1 s; try again later.';
const QUERY_DESCRIPTION = 'The MySQL server did not answer within 1.5 s; try again later.';
const STORE_QUERY_DESCRIPTION = 'The broker state database did not answer within 1.5 s; try again later.';
const STORE_CONNECT_DESCRIPTION = 'The broker state database did not answer within 1 s; try again later.';
/** "Answers instead of hanging": far above the timeouts above, far below forever. */
const ANSWER_BOUND_MS = 20_000;

/** `request`'s result, or a failure naming it when it has not answered within ANSWER_BOUND_MS. */
async function answered<T>(request: PromiseLike<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ANSWER_BOUND_MS / 1000} s`)), ANSWER_BOUND_MS);
  });
  try {
    return await Promise.race([Promise.resolve(request), bound]);
  } finally {
    clearTimeout(timer);
  }
}

let run: MysqlTestRun;

beforeAll(async () => {
  run = await MysqlTestRun.start();
});

afterAll(async () => {
  await run?.cleanup();
});

async function registryRows(table: 'mysql_broker_databases' | 'mysql_broker_users', column: string, name: string): Promise<number> {
  const [row] = await run.rows(`SELECT COUNT(*) AS n FROM \`${run.stateDatabase}\`.${table} WHERE ${column} = ?`, [name]);
  return Number(row!.n);
}

describe('the admin connections, when the server stops answering', () => {
  const relay = new TcpRelay();
  const logs = capturingLogger();
  /** The relay starts swallowing answers just before the next statement of this kind is sent. */
  let dropRepliesFrom: StatementKind | undefined;
  let broker: TestBroker;

  beforeAll(async () => {
    await relay.start();
    broker = run.startBroker({
      store: new MemoryStore(),
      logger: logs.logger,
      config: {
        url: adminUrl(relay.port),
        ...TIMEOUTS,
        onStatement: (kind) => {
          if (kind !== dropRepliesFrom) return;
          dropRepliesFrom = undefined;
          relay.mode = 'drop-replies';
        },
      },
    });
  });

  beforeEach(() => {
    relay.mode = 'forward';
    dropRepliesFrom = undefined;
  });

  afterAll(async () => {
    await relay.stop();
  });

  it('a first connection that never gets a handshake: 503 within the connect timeout, then the same provision succeeds', async () => {
    const instanceId = run.id('fresh');
    relay.mode = 'black-hole';
    const refused = await answered(broker.osb.provision(instanceId), 'provision');
    expect(refused.status).toBe(503);
    expect(refused.body).toEqual({ error: 'ServiceUnavailable', description: CONNECT_DESCRIPTION });
    expect(await run.databaseExists(databaseName(instanceId))).toBe(false);

    relay.mode = 'forward';
    expect((await answered(broker.osb.provision(instanceId), 'retried provision')).status).toBe(201);
    expect(await run.databaseExists(databaseName(instanceId))).toBe(true);
    expect((await broker.osb.deprovision(instanceId)).status).toBe(200);
  });

  it('pooled connections that stop answering: 503 within the query timeout, never reused, and the same bind succeeds later', async () => {
    const instanceId = run.id('pooled');
    const bindingId = run.id('pb');
    expect((await broker.osb.provision(instanceId)).status).toBe(201);

    relay.mode = 'black-hole';
    // The first bind meets an established connection of the pool; more attempts than the pool
    // has connections (4) show that each timed-out connection gave its place back.
    const first = await answered(broker.osb.bind(instanceId, bindingId), 'bind');
    expect(first.status).toBe(503);
    expect(first.body).toEqual({ error: 'ServiceUnavailable', description: QUERY_DESCRIPTION });
    for (let attempt = 0; attempt < 5; attempt++) {
      const again = await answered(broker.osb.bind(instanceId, bindingId), `bind attempt ${attempt + 2}`);
      expect(again.status).toBe(503);
      expect([QUERY_DESCRIPTION, CONNECT_DESCRIPTION]).toContain((again.body as { description?: string }).description);
    }

    relay.mode = 'forward';
    const bound = await answered(broker.osb.bind(instanceId, bindingId), 'retried bind');
    expect(bound.status).toBe(201);
    const credentials = credentialsOf(bound.body);
    const tenant = await connectAs(credentials.username, credentials.password, credentials.name, credentials.port);
    await tenant.end();
    // Statements after the recovery run on sound connections, one after another.
    expect((await answered(broker.osb.unbind(instanceId, bindingId), 'unbind')).status).toBe(200);
    expect(await run.accountsOf(bindingUserName(instanceId, bindingId))).toEqual([]);
    expect((await answered(broker.osb.deprovision(instanceId), 'deprovision')).status).toBe(200);

    // The operator learns what timed out from the log; the client saw only the description.
    const failures = logs.lines.filter((line) => line.msg === 'request failed');
    expect(JSON.stringify(failures)).toMatch(/QUERY_TIMEOUT/);
    expect(JSON.stringify(failures)).toMatch(/CONNECT_TIMEOUT/);
  });

  it('a CREATE DATABASE that ran but whose answer was lost: 503, and the retried provision adopts the database', async () => {
    const instanceId = run.id('lostdb');
    const database = databaseName(instanceId);
    dropRepliesFrom = 'CREATE DATABASE';
    const lost = await answered(broker.osb.provision(instanceId), 'provision');
    expect(lost.status).toBe(503);
    expect(lost.body).toEqual({ error: 'ServiceUnavailable', description: QUERY_DESCRIPTION });
    // The server made it; the broker recorded it before asking.
    expect(await run.databaseExists(database)).toBe(true);
    expect(await registryRows('mysql_broker_databases', 'database_name', database)).toBe(1);

    relay.mode = 'forward';
    expect((await answered(broker.osb.provision(instanceId), 'retried provision')).status).toBe(201);
    expect(await registryRows('mysql_broker_databases', 'database_name', database)).toBe(1);
    expect((await broker.osb.deprovision(instanceId)).status).toBe(200);
    expect(await run.databaseExists(database)).toBe(false);
  });

  it('a DROP DATABASE that ran but whose answer was lost: 503, and the retried deprovision finds it gone (410) and clears the registry', async () => {
    const instanceId = run.id('lostdrop');
    const database = databaseName(instanceId);
    expect((await broker.osb.provision(instanceId)).status).toBe(201);
    dropRepliesFrom = 'DROP DATABASE';
    const lost = await answered(broker.osb.deprovision(instanceId), 'deprovision');
    expect(lost.status).toBe(503);
    expect(lost.body).toEqual({ error: 'ServiceUnavailable', description: QUERY_DESCRIPTION });
    expect(await run.databaseExists(database)).toBe(false);
    expect(await registryRows('mysql_broker_databases', 'database_name', database)).toBe(1);

    relay.mode = 'forward';
    const retried = await answered(broker.osb.deprovision(instanceId), 'retried deprovision');
    expect({ status: retried.status, body: retried.body }).toEqual({ status: 410, body: {} });
    expect(await registryRows('mysql_broker_databases', 'database_name', database)).toBe(0);
    expect((await broker.osb.get(`/v2/service_instances/${instanceId}`)).status).toBe(404);
  });

  it('a CREATE USER, then a DROP USER, that ran but whose answers were lost: 503, and the retried bind replaces the user, the retried unbind finds it gone', async () => {
    const instanceId = run.id('lostu');
    const bindingId = run.id('lub');
    const user = bindingUserName(instanceId, bindingId);
    expect((await broker.osb.provision(instanceId)).status).toBe(201);
    dropRepliesFrom = 'CREATE USER';
    const lost = await answered(broker.osb.bind(instanceId, bindingId), 'bind');
    expect(lost.status).toBe(503);
    expect(lost.body).toEqual({ error: 'ServiceUnavailable', description: QUERY_DESCRIPTION });
    // Half-made: the accounts exist with a password nobody was given, and the registry knows them.
    expect(await run.accountsOf(user)).toEqual(['%', 'localhost']);
    expect(await registryRows('mysql_broker_users', 'user_name', user)).toBe(1);

    relay.mode = 'forward';
    const bound = await answered(broker.osb.bind(instanceId, bindingId), 'retried bind');
    expect(bound.status).toBe(201);
    const credentials = credentialsOf(bound.body);
    const tenant = await connectAs(credentials.username, credentials.password, credentials.name, credentials.port);
    await tenant.end();
    expect(await run.accountsOf(user)).toEqual(['%', 'localhost']);
    expect(await registryRows('mysql_broker_users', 'user_name', user)).toBe(1);

    // An unbind whose DROP USER ran but whose answer was lost: the retry finds the user gone.
    dropRepliesFrom = 'DROP USER';
    const unbound = await answered(broker.osb.unbind(instanceId, bindingId), 'unbind');
    expect(unbound.status).toBe(503);
    expect(unbound.body).toEqual({ error: 'ServiceUnavailable', description: QUERY_DESCRIPTION });
    expect(await run.accountsOf(user)).toEqual([]);
    relay.mode = 'forward';
    const retried = await answered(broker.osb.unbind(instanceId, bindingId), 'retried unbind');
    expect({ status: retried.status, body: retried.body }).toEqual({ status: 410, body: {} });
    expect(await registryRows('mysql_broker_users', 'user_name', user)).toBe(0);
    expect((await broker.osb.deprovision(instanceId)).status).toBe(200);
    // The CREATE USER failure was logged without its statement or any password.
    expect(logs.text()).toMatch(/CREATE USER failed \(QUERY_TIMEOUT\)/);
    expect(logs.text()).not.toContain('IDENTIFIED BY');
    expect(logs.text()).not.toContain(credentials.password);
  });
});

describe('the MySQL state store, when the server stops answering', () => {
  const relay = new TcpRelay();
  let broker: TestBroker;

  beforeAll(async () => {
    await relay.start();
    broker = run.startBroker({ store: 'mysql', config: { url: adminUrl(relay.port), ...TIMEOUTS } });
  });

  beforeEach(() => {
    relay.mode = 'forward';
  });

  afterAll(async () => {
    await relay.stop();
  });

  it('answers 503 naming the state database, more requests at once than it has connections, and the same provisions succeed later', async () => {
    const warm = run.id('swarm');
    expect((await broker.osb.provision(warm)).status).toBe(201);

    relay.mode = 'black-hole';
    const first = await answered(broker.osb.provision(run.id('sh0')), 'provision');
    expect(first.status).toBe(503);
    expect(first.body).toEqual({ error: 'ServiceUnavailable', description: STORE_QUERY_DESCRIPTION });
    // Ten at once, more than the store's pool (8): each waits for a connection within its own bound.
    const ids = Array.from({ length: 10 }, (_, i) => run.id(`sh${i + 1}`));
    const answers = await answered(Promise.all(ids.map((id) => broker.osb.provision(id))), 'ten provisions');
    for (const answer of answers) {
      expect(answer.status).toBe(503);
      expect([STORE_QUERY_DESCRIPTION, STORE_CONNECT_DESCRIPTION]).toContain((answer.body as { description?: string }).description);
    }
    const fetched = await answered(broker.osb.get(`/v2/service_instances/${warm}`), 'fetch');
    expect(fetched.status).toBe(503);

    relay.mode = 'forward';
    for (const id of [run.id('sh0'), ...ids]) {
      expect((await answered(broker.osb.provision(id), `retried provision of ${id}`)).status).toBe(201);
      expect((await broker.osb.deprovision(id)).status).toBe(200);
    }
    expect((await broker.osb.deprovision(warm)).status).toBe(200);
  });

  it('a hang that begins in the middle of a provision: 503, and the same provision then finishes without loss', async () => {
    let blackHoleFrom: StatementKind | undefined;
    const resumable = run.startBroker({
      store: 'mysql',
      config: {
        url: adminUrl(relay.port),
        ...TIMEOUTS,
        onStatement: (kind) => {
          if (kind !== blackHoleFrom) return;
          blackHoleFrom = undefined;
          relay.mode = 'black-hole';
        },
      },
      // A claim that lapses in a second and a scan that finds it soon after.
      engine: { leaseMs: 1_000, scanIntervalMs: 300 },
    });
    const warm = run.id('midwarm');
    const instanceId = run.id('midway');
    expect((await resumable.osb.provision(warm)).status).toBe(201);

    // The SDK has recorded the provision and the broker its registry row when the server stops
    // answering: the broker's CREATE DATABASE times out, and so does recording that outcome.
    blackHoleFrom = 'CREATE DATABASE';
    const failed = await answered(resumable.osb.provision(instanceId), 'provision');
    expect(failed.status).toBe(503);
    expect([STORE_QUERY_DESCRIPTION, STORE_CONNECT_DESCRIPTION]).toContain((failed.body as { description?: string }).description);

    // The platform retries. The operation is still claimed: 422 until the claim lapses and
    // the scan resumes it, then the retry finds it done.
    relay.mode = 'forward';
    const interim: number[] = [];
    const final = await waitFor(
      async () => {
        const answer = await answered(resumable.osb.provision(instanceId), 'retried provision');
        if (answer.status === 200 || answer.status === 201) return answer;
        interim.push(answer.status);
        return undefined;
      },
      'the retried provision to succeed',
      ANSWER_BOUND_MS,
    );
    expect(final.status).toBe(200);
    expect(interim.filter((status) => status !== 422)).toEqual([]);
    expect(await run.databaseExists(databaseName(instanceId))).toBe(true);
    expect(await registryRows('mysql_broker_databases', 'database_name', databaseName(instanceId))).toBe(1);
    expect((await resumable.osb.deprovision(instanceId)).status).toBe(200);
    expect((await resumable.osb.deprovision(warm)).status).toBe(200);
    expect(await run.databaseExists(databaseName(instanceId))).toBe(false);
  });

  it('a store with one connection: calls after a timeout still answer, and it works again once the server does', async () => {
    const store = new MysqlStore({
      connection: { host: MYSQL_HOST, port: relay.port, user: MYSQL_USER, password: MYSQL_PASSWORD },
      database: `osbkit_${run.prefix}_onestore`,
      poolSize: 1,
      ...TIMEOUTS,
    });
    try {
      await store.init();
      expect(await store.putInstance(instance('i-1'), null)).toBe(1);

      relay.mode = 'black-hole';
      for (const description of [STORE_QUERY_DESCRIPTION, STORE_CONNECT_DESCRIPTION, STORE_CONNECT_DESCRIPTION]) {
        const failed = await answered(
          store.getInstance('i-1').then(
            () => undefined,
            (error: unknown) => error,
          ),
          'getInstance',
        );
        expect(isOsbError(failed) && { status: failed.status, description: failed.description }).toEqual({ status: 503, description });
      }

      relay.mode = 'forward';
      expect((await answered(store.getInstance('i-1'), 'getInstance after recovery'))?.record.instanceId).toBe('i-1');
    } finally {
      await store.close();
    }
  });
});
