import type { Connection, RowDataPacket } from 'mysql2/promise';
import { MemoryStore, type JsonObject } from '../../../sdk';
import { bindingUserName, databaseName } from '../../../brokers/mysql';
import {
  MYSQL_PASSWORD,
  MYSQL_USER,
  MysqlTestRun,
  PLAN_SMALL,
  capturingLogger,
  connectAs,
  credentialsOf,
  type BindingCredentials,
  type TestBroker,
  Sessions,
  isAlive,
} from './support';

/** The broker's life cycle against a real server, driven through createBroker over HTTP. */

let run: MysqlTestRun;
let broker: TestBroker;
let logs: ReturnType<typeof capturingLogger>;
const sessions = new Sessions();
const login = (credentials: BindingCredentials): Promise<Connection> => sessions.login(credentials);

beforeAll(async () => {
  run = await MysqlTestRun.start();
  logs = capturingLogger();
  broker = run.startBroker({ store: new MemoryStore(), logger: logs.logger });
});

afterAll(async () => {
  await sessions.closeAll();
  await run?.cleanup();
});



describe('provision', () => {
  it('creates the database with the requested character set and collation, idempotently', async () => {
    const instanceId = run.id('charset');
    const created = await broker.osb.provision(instanceId, PLAN_SMALL, { character_set: 'latin1', collation: 'latin1_swedish_ci' });
    expect(created.status).toBe(201);
    const database = databaseName(instanceId);
    const [schema] = await run.rows(
      'SELECT DEFAULT_CHARACTER_SET_NAME AS cs, DEFAULT_COLLATION_NAME AS co FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
      [database],
    );
    expect(schema).toEqual({ cs: 'latin1', co: 'latin1_swedish_ci' });

    const repeated = await broker.osb.provision(instanceId, PLAN_SMALL, { character_set: 'latin1', collation: 'latin1_swedish_ci' });
    expect(repeated.status).toBe(200);

    // The broker itself, asked again (a resumed provision), accepts the database it already made.
    const again = await broker.handle.broker.provision(
      {
        instanceId,
        offering: broker.app.catalog.offering('48717e83-ba87-4331-a4e2-ac6e1da9c8aa')!,
        plan: broker.app.catalog.plan(PLAN_SMALL)!.plan,
        parameters: { character_set: 'latin1' },
        organizationGuid: 'org-1',
        spaceGuid: 'space-1',
        acceptsIncomplete: false,
        caller: { apiVersion: '2.17' },
      },
      { signal: new AbortController().signal, operationId: 'op', step: 1, logger: logs.logger },
    );
    expect(again).toEqual({ data: { database } });

    expect((await broker.osb.deprovision(instanceId)).status).toBe(200);
    expect(await run.databaseExists(database)).toBe(false);
  });

  it('refuses an unknown character set or collation with 400 naming it, and makes nothing', async () => {
    const unknownCharset = await broker.osb.provision(run.id('badcs'), PLAN_SMALL, { character_set: 'klingon8' });
    expect(unknownCharset.status).toBe(400);
    expect(unknownCharset.body.description).toContain('klingon8');
    const unknownCollation = await broker.osb.provision(run.id('badco'), PLAN_SMALL, { collation: 'utf8mb4_klingon_ci' });
    expect(unknownCollation.status).toBe(400);
    expect(unknownCollation.body.description).toContain('utf8mb4_klingon_ci');
    const mismatch = await broker.osb.provision(run.id('mismatch'), PLAN_SMALL, { character_set: 'latin1', collation: 'utf8mb4_bin' });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.description).toContain('utf8mb4_bin');
    for (const label of ['badcs', 'badco', 'mismatch']) expect(await run.databaseExists(databaseName(run.id(label)))).toBe(false);
  });
});

describe('bind, fetch, unbind and deprovision', () => {
  const instanceId = (): string => run.id('life');
  let readWrite: BindingCredentials;
  let readOnly: BindingCredentials;

  it('provisions and binds a read-write user that can create tables and insert', async () => {
    expect((await broker.osb.provision(instanceId())).status).toBe(201);
    const bound = await broker.osb.bind(instanceId(), run.id('rw'));
    expect(bound.status).toBe(201);
    readWrite = credentialsOf(bound.body);
    expect(readWrite.username).toBe(bindingUserName(instanceId(), run.id('rw')));
    expect(readWrite.username.length).toBeLessThanOrEqual(32);
    expect(readWrite.password).toMatch(/^[A-Za-z0-9]{24,}$/);
    expect(readWrite.name).toBe(databaseName(instanceId()));
    expect(readWrite.uri).toBe(
      `mysql://${readWrite.username}:${readWrite.password}@${readWrite.hostname}:${readWrite.port}/${readWrite.name}?reconnect=true`,
    );
    expect(readWrite.jdbcUrl).toBe(
      `jdbc:mysql://${readWrite.hostname}:${readWrite.port}/${readWrite.name}?user=${readWrite.username}&password=${readWrite.password}`,
    );
    expect(await run.accountsOf(readWrite.username)).toEqual(['%', 'localhost']);

    const connection = await login(readWrite);
    await connection.query('CREATE TABLE orders (id INT PRIMARY KEY, item VARCHAR(50))');
    await connection.query('INSERT INTO orders VALUES (1, ?)', ["it's a `thing`"]);
    const [rows] = await connection.query<RowDataPacket[]>('SELECT item FROM orders');
    expect(rows.map((r) => r.item)).toEqual(["it's a `thing`"]);
  });

  it('keeps a binding user away from other databases', async () => {
    const connection = await login(readWrite);
    await expect(connection.query('SELECT * FROM mysql.user')).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
    await expect(connection.query(`CREATE DATABASE ${readWrite.name.replace('osb_', 'osbx')}`)).rejects.toMatchObject({
      code: 'ER_DBACCESS_DENIED_ERROR',
    });
  });

  it('binds a read-only user that can SELECT but not INSERT', async () => {
    const bound = await broker.osb.bind(instanceId(), run.id('ro'), { read_only: true });
    expect(bound.status).toBe(201);
    readOnly = credentialsOf(bound.body);
    const connection = await login(readOnly);
    const [rows] = await connection.query<RowDataPacket[]>('SELECT id FROM orders');
    expect(rows).toHaveLength(1);
    await expect(connection.query("INSERT INTO orders VALUES (2, 'x')")).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
    await expect(connection.query('CREATE TABLE t2 (id INT)')).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
  });

  it('answers fetches from what was stored: credentials for bindings, no secrets in parameters', async () => {
    const binding = await broker.osb.get(`/v2/service_instances/${instanceId()}/service_bindings/${run.id('ro')}`);
    expect(binding.status).toBe(200);
    expect(credentialsOf(binding.body)).toEqual(readOnly);
    expect(binding.body.parameters).toEqual({ read_only: true });
    const instance = await broker.osb.get(`/v2/service_instances/${instanceId()}`);
    expect(instance.status).toBe(200);
    expect(instance.body).toMatchObject({ plan_id: PLAN_SMALL, parameters: {} });
    expect(JSON.stringify(instance.body)).not.toContain(readWrite.password);
  });

  it('repeats an identical bind with the stored answer and never logs a password', async () => {
    const repeated = await broker.osb.bind(instanceId(), run.id('ro'), { read_only: true });
    expect(repeated.status).toBe(200);
    expect(credentialsOf(repeated.body)).toEqual(readOnly);
    const text = logs.text();
    expect(text).toContain('binding user created');
    expect(text).not.toContain(readWrite.password);
    expect(text).not.toContain(readOnly.password);
  });

  it('recreates the user when the broker runs a bind again (a resume): new password, old one dead', async () => {
    const instance = broker.app.catalog.plan(PLAN_SMALL)!;
    const view = { instanceId: instanceId(), offering: instance.offering, plan: instance.plan, parameters: {}, data: { database: readWrite.name } };
    const ctx = { signal: new AbortController().signal, operationId: 'op', step: 1, logger: logs.logger };
    const request = { instance: view, bindingId: run.id('again'), parameters: {}, acceptsIncomplete: false, caller: { apiVersion: '2.17' } };
    const first = credentialsOf(await broker.handle.broker.bind!(request, ctx));
    const second = credentialsOf(await broker.handle.broker.bind!(request, ctx));
    expect(second.username).toBe(first.username);
    expect(second.password).not.toBe(first.password);
    await expect(connectAs(first.username, first.password, first.name)).rejects.toMatchObject({ code: 'ER_ACCESS_DENIED_ERROR' });
    const connection = await login(second);
    expect(await isAlive(connection)).toBe(true);
    await broker.handle.broker.unbind!(
      { instance: view, binding: { instanceId: instanceId(), bindingId: run.id('again'), parameters: {} }, acceptsIncomplete: false, caller: { apiVersion: '2.17' } },
      ctx,
    );
    expect(await run.accountsOf(second.username)).toEqual([]);
  });

  it('unbind kills the open session of that user and the login fails afterwards', async () => {
    const session = await login(readWrite);
    expect(await isAlive(session)).toBe(true);
    const unbound = await broker.osb.unbind(instanceId(), run.id('rw'));
    expect(unbound.status).toBe(200);
    expect(unbound.body).toEqual({});
    expect(await isAlive(session)).toBe(false);
    // MariaDB answers a login to an account that does not exist with either code, at random.
    await expect(connectAs(readWrite.username, readWrite.password, readWrite.name)).rejects.toMatchObject({
      code: expect.stringMatching(/^ER_ACCESS_DENIED_(NO_PASSWORD_)?ERROR$/),
    });
    expect(await run.accountsOf(readWrite.username)).toEqual([]);
    expect((await broker.osb.unbind(instanceId(), run.id('rw'))).status).toBe(410);
  });

  it('deprovision kills the sessions on the database and drops it', async () => {
    expect((await broker.osb.unbind(instanceId(), run.id('ro'))).status).toBe(200);
    const session = await connectAs(MYSQL_USER, MYSQL_PASSWORD, readWrite.name);
    sessions.open.push(session);
    const deleted = await broker.osb.deprovision(instanceId());
    expect(deleted.status).toBe(200);
    expect(await run.databaseExists(readWrite.name)).toBe(false);
    expect(await isAlive(session)).toBe(false);
    expect((await broker.osb.deprovision(instanceId())).status).toBe(410);
  });

  it('answers 410 when the database or user vanished behind the broker', async () => {
    const id = run.id('vanish');
    expect((await broker.osb.provision(id)).status).toBe(201);
    const bound = credentialsOf((await broker.osb.bind(id, run.id('vb'))).body);
    await run.root.query('DROP USER ?@?, ?@?', [bound.username, '%', bound.username, 'localhost']);
    const unbound = await broker.osb.unbind(id, run.id('vb'));
    expect(unbound.status).toBe(410);
    expect(unbound.body).toEqual({});
    await run.root.query(`DROP DATABASE \`${bound.name}\``);
    const deleted = await broker.osb.deprovision(id);
    expect(deleted.status).toBe(410);
    expect(deleted.body).toEqual({});
  });
});

describe('hostile input', () => {
  it('refuses SQL metacharacters in parameters with 400, never 500', async () => {
    const attempts: JsonObject[] = [
      { character_set: "utf8mb4'; DROP DATABASE mysql; --" },
      { collation: 'utf8mb4_bin` ; DROP DATABASE mysql; --' },
      { character_set: 'utf8mb4', extra: "'; --" },
    ];
    for (const parameters of attempts) {
      const answer = await broker.osb.provision(run.id('inject'), PLAN_SMALL, parameters);
      expect(answer.status).toBe(400);
    }
    expect((await broker.osb.provision(run.id('inject2'))).status).toBe(201);
    const bind = await broker.osb.bind(run.id('inject2'), run.id('b1'), { read_only: "true'; GRANT ALL ON *.* TO x; --" });
    expect(bind.status).toBe(400);
    expect((await broker.osb.deprovision(run.id('inject2'))).status).toBe(200);
    expect(await run.databaseExists('mysql')).toBe(true);
  });

  it('accepts every id character the spec allows and names things safely', async () => {
    const id = `${run.prefix}.~_-ID`;
    const created = await broker.osb.provision(id);
    expect(created.status).toBe(201);
    const bound = await broker.osb.bind(id, `${run.prefix}~.-_B`);
    expect(bound.status).toBe(201);
    const credentials = credentialsOf(bound.body);
    expect(credentials.name).toMatch(/^osb_[a-z0-9_]+$/);
    expect(credentials.username).toMatch(/^u_[a-z0-9_]+$/);
    expect((await broker.osb.unbind(id, `${run.prefix}~.-_B`)).status).toBe(200);
    expect((await broker.osb.deprovision(id)).status).toBe(200);
  });

  it('refuses ids outside the spec at the SDK, before the broker sees them', async () => {
    const answer = await broker.osb.provision(encodeURIComponent("x'; DROP DATABASE mysql; --"));
    expect(answer.status).toBe(400);
  });

  it('makes hostile ids harmless even when they reach the broker directly', async () => {
    const entry = broker.app.catalog.plan(PLAN_SMALL)!;
    const ctx = { signal: new AbortController().signal, operationId: 'op', step: 1, logger: logs.logger };
    const hostile = [`${run.prefix}'; DROP DATABASE mysql; --`, `${run.prefix}\`; DROP USER root; --`, `${run.prefix}${'é'.repeat(300)}`];
    for (const instanceId of hostile) {
      const result = await broker.handle.broker.provision(
        {
          instanceId,
          offering: entry.offering,
          plan: entry.plan,
          parameters: {},
          organizationGuid: 'o',
          spaceGuid: 's',
          acceptsIncomplete: false,
          caller: { apiVersion: '2.17' },
        },
        ctx,
      );
      const database = (result as { data: { database: string } }).data.database;
      expect(database).toMatch(/^[a-z0-9_]{1,64}$/);
      expect(await run.databaseExists(database)).toBe(true);
      const view = { instanceId, offering: entry.offering, plan: entry.plan, parameters: {}, data: { database } };
      const bound = await broker.handle.broker.bind!(
        { instance: view, bindingId: `${run.prefix}"'\`;--`, parameters: {}, acceptsIncomplete: false, caller: { apiVersion: '2.17' } },
        ctx,
      );
      expect(credentialsOf(bound).username).toMatch(/^[a-z0-9_]{1,32}$/);
      await broker.handle.broker.unbind!(
        {
          instance: view,
          binding: { instanceId, bindingId: `${run.prefix}"'\`;--`, parameters: {} },
          acceptsIncomplete: false,
          caller: { apiVersion: '2.17' },
        },
        ctx,
      );
      await broker.handle.broker.deprovision({ instance: view, acceptsIncomplete: false, caller: { apiVersion: '2.17' } }, ctx);
      expect(await run.databaseExists(database)).toBe(false);
    }
    expect(await run.databaseExists('mysql')).toBe(true);
    expect(await run.accountsOf('root')).not.toEqual([]);
  });
});

describe('afterwards', () => {
  it('leaves nothing behind on the server but its own state database', async () => {
    const left = await run.leftovers();
    expect(left).toEqual({ databases: [run.stateDatabase], users: [] });
    const [registry] = await run.rows(
      `SELECT (SELECT COUNT(*) FROM \`${run.stateDatabase}\`.mysql_broker_databases) AS dbs,
              (SELECT COUNT(*) FROM \`${run.stateDatabase}\`.mysql_broker_users) AS users`,
    );
    expect(registry).toEqual({ dbs: 0, users: 0 });
  });
});
