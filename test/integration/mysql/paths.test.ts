import type { Connection, RowDataPacket } from 'mysql2/promise';
import { MemoryStore, type InstanceView, type StepContext } from '../../../sdk';
import { bindingUserName, databaseName, type StatementKind } from '../../../brokers/mysql';
import {
  MYSQL_PASSWORD,
  MYSQL_USER,
  MysqlTestRun,
  PLAN_SMALL,
  connectAs,
  credentialsOf,
  isAlive,
  silentLogger,
  type BindingCredentials,
  type TestBroker,
  Sessions,
} from './support';

/**
 * The broker's statements, path by path: the common path of each step sends only what it
 * needs, and every less common path (a resumed bind, an account or database that already
 * exists, accounts that are half there, concurrent calls) still ends in a known state, checked
 * on the server and by logging in.
 */

let run: MysqlTestRun;
let broker: TestBroker;
const sessions = new Sessions();
const statements: StatementKind[] = [];
let recording = false;

beforeAll(async () => {
  run = await MysqlTestRun.start();
  broker = run.startBroker({
    store: new MemoryStore(),
    config: { onStatement: (kind) => void (recording && statements.push(kind)) },
  });
});

afterAll(async () => {
  await sessions.closeAll();
  await run?.cleanup();
});

const ctx = (): StepContext => ({ signal: new AbortController().signal, operationId: 'op', step: 1, logger: silentLogger() });
const caller = { apiVersion: '2.17' };

function view(instanceId: string): InstanceView {
  const entry = broker.app.catalog.plan(PLAN_SMALL)!;
  return { instanceId, offering: entry.offering, plan: entry.plan, parameters: {}, data: { database: databaseName(instanceId) } };
}

function provision(instanceId: string): Promise<unknown> {
  const entry = broker.app.catalog.plan(PLAN_SMALL)!;
  return broker.handle.broker.provision(
    { instanceId, offering: entry.offering, plan: entry.plan, parameters: {}, organizationGuid: 'o', spaceGuid: 's', acceptsIncomplete: false, caller },
    ctx(),
  );
}

async function bind(instanceId: string, bindingId: string, readOnly = false): Promise<BindingCredentials> {
  const result = await broker.handle.broker.bind!(
    { instance: view(instanceId), bindingId, parameters: readOnly ? { read_only: true } : {}, acceptsIncomplete: false, caller },
    ctx(),
  );
  return credentialsOf(result);
}

async function unbind(instanceId: string, bindingId: string): Promise<void> {
  await broker.handle.broker.unbind!({ instance: view(instanceId), binding: { instanceId, bindingId, parameters: {} }, acceptsIncomplete: false, caller }, ctx());
}

async function deprovision(instanceId: string): Promise<void> {
  await broker.handle.broker.deprovision({ instance: view(instanceId), acceptsIncomplete: false, caller }, ctx());
}

async function recorded<T>(work: () => Promise<T>): Promise<StatementKind[]> {
  statements.length = 0;
  recording = true;
  try {
    await work();
  } finally {
    recording = false;
  }
  return [...statements];
}

async function registeredUsers(user: string): Promise<RowDataPacket[]> {
  return run.rows(`SELECT user_name, read_only FROM \`${run.stateDatabase}\`.mysql_broker_users WHERE user_name = ?`, [user]);
}

async function registeredDatabases(database: string): Promise<RowDataPacket[]> {
  return run.rows(`SELECT database_name, instance_id FROM \`${run.stateDatabase}\`.mysql_broker_databases WHERE database_name = ?`, [database]);
}

/** Logs in with the credentials and proves the grant works by writing and reading a row. */
async function loginAndWrite(credentials: BindingCredentials, table: string): Promise<Connection> {
  const connection = await sessions.login(credentials);
  await connection.query(`CREATE TABLE IF NOT EXISTS \`${table}\` (id INT PRIMARY KEY)`);
  await connection.query(`REPLACE INTO \`${table}\` VALUES (1)`);
  const [rows] = await connection.query<RowDataPacket[]>(`SELECT id FROM \`${table}\``);
  expect(rows.map((row) => row.id)).toEqual([1]);
  return connection;
}

async function expectLoginRefused(credentials: { username: string; password: string; name: string }): Promise<void> {
  // MariaDB answers a login to an account that does not exist with either code, at random.
  await expect(connectAs(credentials.username, credentials.password, credentials.name)).rejects.toMatchObject({
    code: expect.stringMatching(/^ER_ACCESS_DENIED_(NO_PASSWORD_)?ERROR$/),
  });
}

async function sessionsOf(user: string): Promise<number> {
  const rows = await run.rows('SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = ?', [user]);
  return Number(rows[0]!.n);
}

describe('the common path of each step', () => {
  it('sends 2 statements to provision, 3 to bind, 3 to unbind and 3 to deprovision', async () => {
    const instanceId = run.id('trace');
    // The registry's tables are made on first use; that is not part of any step's path.
    await provision(run.id('warm'));
    await deprovision(run.id('warm'));

    expect(await recorded(() => provision(instanceId))).toEqual(['REGISTRY', 'CREATE DATABASE']);
    let credentials: BindingCredentials | undefined;
    expect(
      await recorded(async () => {
        credentials = await bind(instanceId, run.id('tb'));
      }),
    ).toEqual(['REGISTRY', 'CREATE USER', 'GRANT']);
    expect(await run.accountsOf(credentials!.username)).toEqual(['%', 'localhost']);
    await loginAndWrite(credentials!, 'trace');
    await sessions.closeAll();
    // Closed sessions can linger in the process list for a moment; wait until the user has none.
    for (let i = 0; i < 50 && (await sessionsOf(credentials!.username)) > 0; i++) await new Promise((r) => setTimeout(r, 20));

    expect(await recorded(() => unbind(instanceId, run.id('tb')))).toEqual(['DROP USER', 'READ CATALOG', 'REGISTRY']);
    expect(await run.accountsOf(credentials!.username)).toEqual([]);
    expect(await registeredUsers(credentials!.username)).toEqual([]);

    expect(await recorded(() => deprovision(instanceId))).toEqual(['REGISTRY', 'DROP DATABASE', 'REGISTRY']);
    expect(await run.databaseExists(databaseName(instanceId))).toBe(false);
    expect(await registeredDatabases(databaseName(instanceId))).toEqual([]);
  });
});

describe('bind', () => {
  const instanceId = (): string => run.id('binds');

  beforeAll(async () => {
    await provision(instanceId());
  });

  afterAll(async () => {
    await deprovision(instanceId()).catch(() => undefined);
  });

  it('a resumed bind (its registry row already there) ends with one working user with the new password', async () => {
    const bindingId = run.id('resumed');
    const first = await bind(instanceId(), bindingId);
    const session = await loginAndWrite(first, 'resumed');

    // The SDK runs the bind again (a resume after a crash): the row is there, the user too.
    const kinds = await recorded(async () => {
      const second = await bind(instanceId(), bindingId, true);
      expect(second.username).toBe(first.username);
      expect(second.password).not.toBe(first.password);
      await expectLoginRefused(first);
      const connection = await sessions.login(second);
      const [rows] = await connection.query<RowDataPacket[]>('SELECT id FROM resumed');
      expect(rows).toHaveLength(1);
      // The repeat asked for read-only: the new user got exactly that.
      await expect(connection.query('INSERT INTO resumed VALUES (2)')).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
    });
    expect(kinds.slice(0, 4)).toEqual(['REGISTRY', 'READ CATALOG', 'DROP USER', 'READ CATALOG']);
    expect(await isAlive(session)).toBe(false);
    expect(await run.accountsOf(first.username)).toEqual(['%', 'localhost']);
    expect(await registeredUsers(first.username)).toEqual([{ user_name: first.username, read_only: 1 }]);
    await unbind(instanceId(), bindingId);
    expect(await run.accountsOf(first.username)).toEqual([]);
  });

  it('a bind resumed after a crash between its registry row and CREATE USER makes the user', async () => {
    const bindingId = run.id('crashed');
    const user = bindingUserName(instanceId(), bindingId);
    await run.root.query(
      `INSERT INTO \`${run.stateDatabase}\`.mysql_broker_users (user_name, database_name, instance_id, binding_id, read_only) VALUES (?, ?, ?, ?, 1)`,
      [user, databaseName(instanceId()), instanceId(), bindingId],
    );
    const credentials = await bind(instanceId(), bindingId);
    await loginAndWrite(credentials, 'crashed');
    expect(await run.accountsOf(user)).toEqual(['%', 'localhost']);
    expect(await registeredUsers(user)).toEqual([{ user_name: user, read_only: 0 }]);
    await unbind(instanceId(), bindingId);
  });

  it('recovers when the user exists without a registry row: drops it, its sessions too, and makes it afresh', async () => {
    const bindingId = run.id('foreign');
    const user = bindingUserName(instanceId(), bindingId);
    const foreignPassword = 'ForeignPassword1234567890';
    await run.root.query('CREATE USER ?@? IDENTIFIED BY ?, ?@? IDENTIFIED BY ?', [user, '%', foreignPassword, user, 'localhost', foreignPassword]);
    await run.root.query(`GRANT SELECT ON \`${databaseName(instanceId()).replace(/_/g, '\\_')}\`.* TO ?@?, ?@?`, [user, '%', user, 'localhost']);
    const foreign = await connectAs(user, foreignPassword, databaseName(instanceId()));
    sessions.open.push(foreign);

    const kinds = await recorded(async () => {
      const credentials = await bind(instanceId(), bindingId);
      await loginAndWrite(credentials, 'foreign');
    });
    // The plain path first; CREATE USER fails, then the accounts are removed and made once more.
    expect(kinds.slice(0, 6)).toEqual(['REGISTRY', 'CREATE USER', 'DROP USER', 'READ CATALOG', 'KILL', 'CREATE USER']);
    expect(await isAlive(foreign)).toBe(false);
    await expectLoginRefused({ username: user, password: foreignPassword, name: databaseName(instanceId()) });
    expect(await run.accountsOf(user)).toEqual(['%', 'localhost']);
    expect(await registeredUsers(user)).toHaveLength(1);
    await unbind(instanceId(), bindingId);
    expect(await run.accountsOf(user)).toEqual([]);
  });

  it('recovers when only one of the accounts exists (what a partial multi-account CREATE USER leaves)', async () => {
    const bindingId = run.id('half');
    const user = bindingUserName(instanceId(), bindingId);
    await run.root.query('CREATE USER ?@? IDENTIFIED BY ?', [user, 'localhost', 'HalfMadePassword1234567890']);
    const credentials = await bind(instanceId(), bindingId);
    expect(await run.accountsOf(user)).toEqual(['%', 'localhost']);
    await loginAndWrite(credentials, 'half');
    await expectLoginRefused({ username: user, password: 'HalfMadePassword1234567890', name: databaseName(instanceId()) });
    await unbind(instanceId(), bindingId);
  });

  it('undoes a bind whose CREATE USER fails twice: no account, no registry row', async () => {
    const bindingId = run.id('twice');
    const user = bindingUserName(instanceId(), bindingId);
    let creates = 0;
    const faulty = run.startBroker({
      store: new MemoryStore(),
      config: {
        onStatement: (kind) => {
          if (kind === 'CREATE USER' && ++creates <= 2) {
            throw Object.assign(new Error('Operation CREATE USER failed'), { code: 'ER_CANNOT_USER', errno: 1396 });
          }
        },
      },
    });
    await expect(
      faulty.handle.broker.bind!({ instance: view(instanceId()), bindingId, parameters: {}, acceptsIncomplete: false, caller }, ctx()),
    ).rejects.toMatchObject({ status: 500 });
    expect(creates).toBe(2);
    expect(await run.accountsOf(user)).toEqual([]);
    expect(await registeredUsers(user)).toEqual([]);
  });

  it('concurrent binds of different bindings each get a working user', async () => {
    const ids = [1, 2, 3, 4, 5].map((n) => run.id(`c${n}`));
    const all = await Promise.all(ids.map((id) => bind(instanceId(), id)));
    expect(new Set(all.map((c) => c.username)).size).toBe(ids.length);
    for (const [i, credentials] of all.entries()) {
      expect(await run.accountsOf(credentials.username)).toEqual(['%', 'localhost']);
      await loginAndWrite(credentials, `concurrent${i}`);
    }
    await sessions.closeAll();
    await Promise.all(ids.map((id) => unbind(instanceId(), id)));
    for (const credentials of all) expect(await run.accountsOf(credentials.username)).toEqual([]);
  });

  it('concurrent identical binds over HTTP run once: one 201, one working user', async () => {
    const httpInstance = run.id('samehttp');
    const bindingId = run.id('same');
    expect((await broker.osb.provision(httpInstance)).status).toBe(201);
    const answers = await Promise.all(Array.from({ length: 6 }, () => broker.osb.bind(httpInstance, bindingId)));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    for (const status of statuses) expect([200, 201, 422]).toContain(status);
    const created = answers.find((a) => a.status === 201)!;
    const credentials = credentialsOf(created.body);
    await loginAndWrite(credentials, 'same');
    for (const answer of answers) if (answer.status === 200) expect(credentialsOf(answer.body)).toEqual(credentials);
    expect(await run.accountsOf(credentials.username)).toEqual(['%', 'localhost']);
    await sessions.closeAll();
    expect((await broker.osb.unbind(httpInstance, bindingId)).status).toBe(200);
    expect(await run.accountsOf(credentials.username)).toEqual([]);
    expect((await broker.osb.deprovision(httpInstance)).status).toBe(200);
  });
});

describe('unbind', () => {
  const instanceId = (): string => run.id('unbinds');

  beforeAll(async () => {
    await provision(instanceId());
  });

  afterAll(async () => {
    await deprovision(instanceId()).catch(() => undefined);
  });

  it('kills every live session of the user after dropping it', async () => {
    const bindingId = run.id('live');
    const credentials = await bind(instanceId(), bindingId);
    const one = await loginAndWrite(credentials, 'live');
    const two = await sessions.login(credentials);
    expect(await sessionsOf(credentials.username)).toBe(2);
    const kinds = await recorded(() => unbind(instanceId(), bindingId));
    expect(kinds).toEqual(['DROP USER', 'READ CATALOG', 'KILL', 'KILL', 'REGISTRY']);
    expect(await isAlive(one)).toBe(false);
    expect(await isAlive(two)).toBe(false);
    expect(await sessionsOf(credentials.username)).toBe(0);
    await expectLoginRefused(credentials);
    expect(await run.accountsOf(credentials.username)).toEqual([]);
  });

  it('answers as existing (not 410) when only one of the accounts was left, and drops it', async () => {
    const bindingId = run.id('onehost');
    const credentials = await bind(instanceId(), bindingId);
    await run.root.query('DROP USER ?@?', [credentials.username, '%']);
    await expect(unbind(instanceId(), bindingId)).resolves.toBeUndefined();
    expect(await run.accountsOf(credentials.username)).toEqual([]);
    expect(await registeredUsers(credentials.username)).toEqual([]);
  });

  it('answers 410 over HTTP when no account is left, kills a session that outlived the drop, and forgets the row', async () => {
    const httpInstance = run.id('gonehttp');
    const bindingId = run.id('gone');
    expect((await broker.osb.provision(httpInstance)).status).toBe(201);
    const bound = await broker.osb.bind(httpInstance, bindingId);
    expect(bound.status).toBe(201);
    const credentials = credentialsOf(bound.body);
    const survivor = await sessions.login(credentials);
    // Dropped behind the broker's back: the session that was already logged in stays alive.
    await run.root.query('DROP USER ?@?, ?@?', [credentials.username, '%', credentials.username, 'localhost']);
    expect(await isAlive(survivor)).toBe(true);
    const answer = await broker.osb.unbind(httpInstance, bindingId);
    expect(answer.status).toBe(410);
    expect(await isAlive(survivor)).toBe(false);
    expect(await registeredUsers(credentials.username)).toEqual([]);
    expect((await broker.osb.deprovision(httpInstance)).status).toBe(200);
  });
});

describe('provision', () => {
  it('refuses with 409 a database name that exists but is not in the registry, and records nothing', async () => {
    const instanceId = run.id('squat');
    const database = databaseName(instanceId);
    await run.root.query(`CREATE DATABASE \`${database}\``);
    await run.root.query(`CREATE TABLE \`${database}\`.precious (id INT)`);
    const kinds = await recorded(async () => {
      const answer = await broker.osb.provision(instanceId);
      expect(answer.status).toBe(409);
    });
    expect(kinds).toEqual(['REGISTRY', 'REGISTRY']);
    expect(await registeredDatabases(database)).toEqual([]);
    const tables = await run.rows('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [database]);
    expect(tables.map((row) => row.t)).toEqual(['precious']);
    // The platform never got the instance, so it never asks to delete it: the database stays.
    expect((await broker.osb.deprovision(instanceId)).status).toBe(410);
    expect(await run.databaseExists(database)).toBe(true);
    await run.root.query(`DROP DATABASE \`${database}\``);
  });

  it('refuses with 409 a name recorded for another instance, and leaves that record alone', async () => {
    const instanceId = run.id('taken');
    const database = databaseName(instanceId);
    await run.root.query(
      `INSERT INTO \`${run.stateDatabase}\`.mysql_broker_databases (database_name, instance_id, plan_id, max_storage_mb, max_user_connections) VALUES (?, 'someone-else', 'p', 1, 1)`,
      [database],
    );
    await expect(provision(instanceId)).rejects.toMatchObject({ status: 409 });
    expect(await run.databaseExists(database)).toBe(false);
    expect(await registeredDatabases(database)).toEqual([{ database_name: database, instance_id: 'someone-else' }]);
    await run.root.query(`DELETE FROM \`${run.stateDatabase}\`.mysql_broker_databases WHERE database_name = ?`, [database]);
  });

  it('a resumed provision accepts its own record, with or without the database', async () => {
    const instanceId = run.id('again');
    const database = databaseName(instanceId);
    // Crashed between the record and CREATE DATABASE: the resume makes the database.
    await run.root.query(
      `INSERT INTO \`${run.stateDatabase}\`.mysql_broker_databases (database_name, instance_id, plan_id, max_storage_mb, max_user_connections) VALUES (?, ?, 'old-plan', 1, 1)`,
      [database, instanceId],
    );
    await expect(provision(instanceId)).resolves.toEqual({ data: { database } });
    expect(await run.databaseExists(database)).toBe(true);
    const [row] = await run.rows(`SELECT plan_id FROM \`${run.stateDatabase}\`.mysql_broker_databases WHERE database_name = ?`, [database]);
    expect(row!.plan_id).toBe(PLAN_SMALL);
    // Crashed after CREATE DATABASE: the resume finds both and changes nothing.
    await run.root.query(`CREATE TABLE \`${database}\`.kept (id INT)`);
    await expect(provision(instanceId)).resolves.toEqual({ data: { database } });
    expect((await run.rows('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [database])).map((r) => r.t)).toEqual(['kept']);
    expect(await registeredDatabases(database)).toHaveLength(1);
    await deprovision(instanceId);
    expect(await run.databaseExists(database)).toBe(false);
    expect(await registeredDatabases(database)).toEqual([]);
  });

  it('concurrent runs of one provision all succeed with one database and one record', async () => {
    for (let round = 0; round < 5; round++) {
      const instanceId = run.id(`together${round}`);
      const database = databaseName(instanceId);
      const results = await Promise.allSettled(Array.from({ length: 4 }, () => provision(instanceId)));
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
      expect(await run.databaseExists(database)).toBe(true);
      expect(await registeredDatabases(database)).toEqual([{ database_name: database, instance_id: instanceId }]);
      await deprovision(instanceId);
      expect(await run.databaseExists(database)).toBe(false);
    }
  });

  it('concurrent provisions of different instances each make their database', async () => {
    const ids = [1, 2, 3, 4].map((n) => run.id(`many${n}`));
    await Promise.all(ids.map((id) => provision(id)));
    for (const id of ids) {
      expect(await run.databaseExists(databaseName(id))).toBe(true);
      expect(await registeredDatabases(databaseName(id))).toHaveLength(1);
    }
    await Promise.all(ids.map((id) => deprovision(id)));
    for (const id of ids) expect(await run.databaseExists(databaseName(id))).toBe(false);
  });
});

describe('deprovision', () => {
  it('kills a session with an open transaction on the database before dropping it', async () => {
    const instanceId = run.id('busy');
    const database = databaseName(instanceId);
    await provision(instanceId);
    const tenant = await connectAs(MYSQL_USER, MYSQL_PASSWORD, database);
    sessions.open.push(tenant);
    await tenant.query('CREATE TABLE t (id INT PRIMARY KEY) ENGINE=InnoDB');
    await tenant.query('START TRANSACTION');
    await tenant.query('INSERT INTO t VALUES (1)');
    await deprovision(instanceId);
    expect(await isAlive(tenant)).toBe(false);
    expect(await run.databaseExists(database)).toBe(false);
    await expect(deprovision(instanceId)).rejects.toMatchObject({ status: 410 });
    expect(await registeredDatabases(database)).toEqual([]);
  });
});

describe('deprovision of an instance with an unfinished binding', () => {
  it('reads the binding users and the sessions together, drops the users and their sessions, then the database', async () => {
    const instanceId = run.id('leftover');
    const database = databaseName(instanceId);
    await provision(instanceId);
    // A bind the SDK never finished: its user and registry row are there, its binding is not.
    const credentials = await bind(instanceId, run.id('lb'));
    const session = await loginAndWrite(credentials, 'leftover');
    const kinds = await recorded(() => deprovision(instanceId));
    expect(kinds[0]).toBe('REGISTRY');
    expect(kinds.slice(1, 4)).toEqual(['DROP USER', 'READ CATALOG', 'KILL']);
    expect(kinds.slice(-2)).toEqual(['DROP DATABASE', 'REGISTRY']);
    expect(await isAlive(session)).toBe(false);
    expect(await run.accountsOf(credentials.username)).toEqual([]);
    expect(await registeredUsers(credentials.username)).toEqual([]);
    expect(await run.databaseExists(database)).toBe(false);
    expect(await registeredDatabases(database)).toEqual([]);
  });
});

describe('afterwards', () => {
  it('leaves nothing behind on the server but its own state database', async () => {
    await sessions.closeAll();
    expect(await run.leftovers()).toEqual({ databases: [run.stateDatabase], users: [] });
    const [registry] = await run.rows(
      `SELECT (SELECT COUNT(*) FROM \`${run.stateDatabase}\`.mysql_broker_databases) AS dbs,
              (SELECT COUNT(*) FROM \`${run.stateDatabase}\`.mysql_broker_users) AS users`,
    );
    expect(registry).toEqual({ dbs: 0, users: 0 });
  });
});
