import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql, { type Connection, type RowDataPacket } from 'mysql2/promise';
import { databaseName } from '../../../brokers/mysql';
import { freePort } from '../../support/process';
import { Platform, prepareAppDirectory } from './platform';

/**
 * End to end through the controller and the cell: `osbkit up` with the MySQL broker, the CLI
 * as a person uses it, and a node app inside the cell that finds its database in
 * VCAP_SERVICES and talks to it with mysql2. The root account checks from outside what the
 * app did. Every object is made for this run and removed at the end; an unreachable MySQL
 * fails the suite.
 *
 * The quota is 1 MB through MYSQL_QUOTA_OVERRIDE_MB (a test-only broker setting) so the app
 * can fill its database in seconds, and the enforcer runs every second.
 */

const MYSQL_HOST = process.env.OSBKIT_TEST_MYSQL_HOST ?? '127.0.0.1';
const MYSQL_PORT = Number(process.env.OSBKIT_TEST_MYSQL_PORT ?? 3306);
const MYSQL_USER = process.env.OSBKIT_TEST_MYSQL_USER ?? 'root';
const MYSQL_PASSWORD = process.env.OSBKIT_TEST_MYSQL_PASSWORD ?? '';

const prefix = `e2e${randomBytes(4).toString('hex')}`;
const stateDatabase = `osbkit_${prefix}_state`;
const service = `${prefix}-db`;
const apps = { writer: `${prefix}-writer`, reader: `${prefix}-reader`, filler: `${prefix}-filler`, prober: `${prefix}-prober` };

interface LogLine {
  timestamp: string;
  instance: number;
  source: string;
  line: string;
}

interface Credentials {
  hostname: string;
  port: number;
  name: string;
  username: string;
  password: string;
}

interface AppEnv {
  system_env_json?: { VCAP_SERVICES?: { mysql?: Array<{ credentials: Credentials; instance_name: string }> } };
}

let root: Connection;
let work: string;
let platform: Platform | undefined;
let database = '';
/** Binding users seen during the run, removed at the end even if the broker did not get to it. */
const bindingUsers = new Set<string>();
const databases = new Set<string>();

function quoted(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

async function rows(sql: string, values: unknown[] = []): Promise<RowDataPacket[]> {
  const [result] = await root.query<RowDataPacket[]>(sql, values);
  return result;
}

async function databaseExists(name: string): Promise<boolean> {
  return (await rows('SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name])).length > 0;
}

async function accountsOf(user: string): Promise<string[]> {
  return (await rows('SELECT Host FROM mysql.user WHERE User = ? ORDER BY Host', [user])).map((row) => String(row.Host));
}

async function grantsOf(user: string, host = '%'): Promise<string> {
  return (await rows('SHOW GRANTS FOR ?@?', [user, host])).map((row) => String(Object.values(row)[0])).join('\n');
}

function connectWith(credentials: Credentials): Promise<Connection> {
  return mysql.createConnection({
    host: credentials.hostname,
    port: credentials.port,
    user: credentials.username,
    password: credentials.password,
    database: credentials.name,
    connectTimeout: 5_000,
  });
}

function cli(): Platform {
  if (!platform) throw new Error('the platform is not running');
  return platform;
}

/** The app's credentials as the platform hands them to it, in VCAP_SERVICES. */
async function credentialsOf(app: string): Promise<Credentials> {
  const env = await cli().cliJson<AppEnv>(['env', app]);
  const entry = env.system_env_json?.VCAP_SERVICES?.mysql?.[0];
  if (!entry) throw new Error(`${app} has no mysql binding in VCAP_SERVICES: ${JSON.stringify(env)}`);
  bindingUsers.add(entry.credentials.username);
  return entry.credentials;
}

async function resultLines(app: string): Promise<string[]> {
  const lines = await cli().cliJson<LogLine[]>(['logs', app, '--recent']);
  return lines.filter((l) => l.line.startsWith('RESULT ')).map((l) => l.line.slice('RESULT '.length));
}

/** Polls the app's recent logs until a RESULT line matches; fails with the app's logs otherwise. */
async function waitForResult(app: string, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  let seen: string[] = [];
  for (;;) {
    seen = await resultLines(app);
    for (const line of seen) {
      const match = pattern.exec(line);
      if (match) return match;
    }
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 400));
  }
  const all = await cli().cli(['logs', app, '--recent']);
  throw new Error(`${app} printed no line matching ${pattern} within ${timeoutMs} ms; its logs:\n${all.stdout}${all.stderr}`);
}

/** Pushes the app with ACTION=action, binds it (with optional parameters) and starts it. */
async function pushBindStart(app: string, action: string, bindParameters?: object, env: Record<string, string> = {}): Promise<Credentials> {
  const envFlags = Object.entries(env).flatMap(([name, value]) => ['--env', `${name}=${value}`]);
  await cli().cliOk(['push', app, '--command', 'node app.js', '--path', join(work, 'app'), '--env', `ACTION=${action}`, ...envFlags, '--no-start']);
  await cli().cliOk(['bind-service', app, service, ...(bindParameters ? ['-c', JSON.stringify(bindParameters)] : [])]);
  await cli().cliOk(['start', app]);
  const credentials = await credentialsOf(app);
  // The app's processes join what the shutdown test must see end.
  await waitForResult(app, /./);
  cli().snapshotProcesses();
  return credentials;
}

beforeAll(async () => {
  try {
    root = await mysql.createConnection({ host: MYSQL_HOST, port: MYSQL_PORT, user: MYSQL_USER, password: MYSQL_PASSWORD, connectTimeout: 5_000 });
  } catch (error) {
    throw new Error(
      `MySQL is not reachable at ${MYSQL_HOST}:${MYSQL_PORT} as ${MYSQL_USER} (${(error as { code?: string }).code ?? String(error)}); ` +
        'start it (scripts/ensure-services.sh) — this suite never skips.',
    );
  }
  work = mkdtempSync(join(tmpdir(), `osbkit-${prefix}-`));
  // The cell copies the app as uid 2000, which must be able to reach it.
  chmodSync(work, 0o755);
  mkdirSync(join(work, 'home'), { mode: 0o755 });
  prepareAppDirectory(join(work, 'app'));
  const password = MYSQL_PASSWORD === '' ? '' : `:${encodeURIComponent(MYSQL_PASSWORD)}`;
  platform = await Platform.start({
    home: join(work, 'home'),
    port: await freePort(),
    env: {
      MYSQL_URL: `mysql://${encodeURIComponent(MYSQL_USER)}${password}@${MYSQL_HOST}:${MYSQL_PORT}/${stateDatabase}`,
      MYSQL_QUOTA_INTERVAL_SECONDS: '1',
      MYSQL_QUOTA_OVERRIDE_MB: '1',
    },
  });
}, 120_000);

afterAll(async () => {
  const problems: string[] = [];
  if (platform?.running) {
    // Only reached when a test failed before the shutdown test: stop it all the same.
    const { survivors } = await platform.stop().catch((error: Error) => {
      problems.push(error.message);
      return { survivors: [] };
    });
    for (const p of survivors) {
      problems.push(`process ${p.pid} (${p.command}) outlived osbkit up; killed`);
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // Gone in the meantime.
      }
    }
  }
  if (root) {
    await dropEverything().catch((error: Error) => problems.push(`MySQL cleanup: ${error.message}`));
    await root.end().catch(() => undefined);
  }
  if (work) rmSync(work, { recursive: true, force: true });
  if (problems.length > 0) throw new Error(problems.join('\n'));
}, 90_000);

/** Whatever the broker recorded or the suite saw, then the state database itself. */
async function dropEverything(): Promise<void> {
  if (await databaseExists(stateDatabase)) {
    for (const row of await rows(`SELECT database_name FROM ${quoted(stateDatabase)}.mysql_broker_databases`).catch(() => [])) {
      databases.add(String(row.database_name));
    }
    for (const row of await rows(`SELECT user_name FROM ${quoted(stateDatabase)}.mysql_broker_users`).catch(() => [])) {
      bindingUsers.add(String(row.user_name));
    }
  }
  for (const name of databases) await root.query(`DROP DATABASE IF EXISTS ${quoted(name)}`);
  for (const user of bindingUsers) {
    for (const host of await accountsOf(user)) await root.query('DROP USER IF EXISTS ?@?', [user, host]);
  }
  await root.query(`DROP DATABASE IF EXISTS ${quoted(stateDatabase)}`);
}

describe('MySQL end to end through the controller and the cell', () => {
  let writer: Credentials;
  let reader: Credentials;
  let filler: Credentials;

  it('creates the service instance as a database the broker records', async () => {
    await cli().cliOk(['create-service', 'mysql', 'small', service]);
    const instance = await cli().cliJson<{ guid: string; service_plan_name: string; last_operation: { state: string } }>(['service', service]);
    expect(instance).toMatchObject({ service_plan_name: 'small', last_operation: { state: 'succeeded' } });
    database = databaseName(instance.guid);
    databases.add(database);
    expect(await databaseExists(database)).toBe(true);
    const services = await cli().cliJson<Array<{ name: string }>>(['services']);
    expect(services.map((s) => s.name)).toContain(service);
    const recorded = await rows(`SELECT instance_id FROM ${quoted(stateDatabase)}.mysql_broker_databases WHERE database_name = ?`, [database]);
    expect(recorded.map((r) => String(r.instance_id))).toEqual([instance.guid]);
  }, 60_000);

  it('a bound app creates a table and writes rows into the instance database', async () => {
    writer = await pushBindStart(apps.writer, 'write');
    expect(writer).toMatchObject({ hostname: MYSQL_HOST, port: MYSQL_PORT, name: database });
    await waitForResult(apps.writer, /^write ok rows=3$/);

    const written = await rows(`SELECT note FROM ${quoted(database)}.items ORDER BY id`);
    expect(written.map((r) => String(r.note))).toEqual([1, 2, 3].map((i) => `written by the app, row ${i}`));
    expect(await accountsOf(writer.username)).toEqual(['%', 'localhost']);
  }, 90_000);

  it('a read-only binding reads the rows but its INSERT is refused', async () => {
    reader = await pushBindStart(apps.reader, 'read', { read_only: true });
    expect(reader.username).not.toBe(writer.username);
    await waitForResult(apps.reader, /^read ok count=3$/);
    await waitForResult(apps.reader, /^insert denied code=ER_TABLEACCESS_DENIED_ERROR$/);

    expect(await rows(`SELECT COUNT(*) AS n FROM ${quoted(database)}.items`)).toEqual([expect.objectContaining({ n: 3 })]);
    const grants = await grantsOf(reader.username);
    expect(grants).toMatch(/GRANT SELECT ON/);
    expect(grants).not.toMatch(/INSERT|ALL PRIVILEGES/);
  }, 90_000);

  it('the app reaches MySQL with its own credentials, but not as root, and not the controller or any other host port', async () => {
    const controllerPort = new URL(cli().api).port;
    const prober = await pushBindStart(apps.prober, 'isolation', undefined, { CONTROLLER_PORT: controllerPort, ROOT_USER: MYSQL_USER, ROOT_PASSWORD: MYSQL_PASSWORD });
    await waitForResult(apps.prober, new RegExp(`^isolation own ok user=${prober.username}$`));
    // The admin account the host logs in with (root, for localhost and 127.0.0.1) is refused: the app's connections come from its own address.
    await waitForResult(apps.prober, /^isolation root denied code=ER_(ACCESS_DENIED_ERROR|HOST_NOT_PRIVILEGED)$/);
    const controller = await waitForResult(apps.prober, /^isolation controller (\S+)$/);
    expect(controller[1]).not.toBe('open');
    const postgres = await waitForResult(apps.prober, /^isolation postgres (\S+)$/);
    expect(postgres[1]).not.toBe('open');
    // The other side: the same login from the host itself works, so only the app is kept out.
    const hostRoot = await mysql.createConnection({ host: MYSQL_HOST, port: MYSQL_PORT, user: MYSQL_USER, password: MYSQL_PASSWORD, connectTimeout: 5_000 });
    await hostRoot.end();
  }, 90_000);

  it('over quota, inserts fail; once the rows are deleted, writes work again', async () => {
    const readerGrants = await grantsOf(reader.username);
    filler = await pushBindStart(apps.filler, 'insert-loop');
    // The app fills 200 KB per step until the enforcer (every 1 s, 1 MB quota) takes INSERT away.
    const firstOk = await waitForResult(apps.filler, /^loop seq=(\d+) phase=fill ok$/);
    expect(Number(firstOk[1])).toBeGreaterThan(0);
    await waitForResult(apps.filler, /^loop seq=\d+ phase=probe denied code=ER_TABLEACCESS_DENIED_ERROR$/, 60_000);

    for (const user of [filler.username, writer.username]) {
      for (const host of ['%', 'localhost']) expect(await grantsOf(user, host)).not.toMatch(/INSERT|ALL PRIVILEGES/);
    }
    expect(await grantsOf(reader.username)).toBe(readerGrants);
    const brokerLog = readFileSync(join(work, 'home', 'logs', 'broker-mysql.log'), 'utf8');
    const revoked = brokerLog
      .split('\n')
      .filter((line) => line.includes('write privileges revoked'))
      .map((line) => JSON.parse(line) as { database: string; quotaMb: number; usedMb: number });
    expect(revoked).toEqual(expect.arrayContaining([expect.objectContaining({ database, quotaMb: 1 })]));
    expect(revoked.find((entry) => entry.database === database)!.usedMb).toBeGreaterThan(1);

    // What the README tells tenants to do: DELETE keeps working over quota and frees the space.
    const tenant = await connectWith(filler);
    try {
      await expect(tenant.query('INSERT INTO filler (payload) VALUES (?)', [Buffer.alloc(10)])).rejects.toMatchObject({
        code: 'ER_TABLEACCESS_DENIED_ERROR',
      });
      await tenant.query('DELETE FROM filler');
    } finally {
      await tenant.end().catch(() => undefined);
    }
    const deniedSoFar = (await resultLines(apps.filler))
      .map((line) => /^loop seq=(\d+) phase=probe denied/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]));
    const lastDenied = Math.max(...deniedSoFar);
    const restored = await waitForResult(apps.filler, /^loop seq=(\d+) phase=probe ok$/, 60_000);
    expect(Number(restored[1])).toBeGreaterThan(lastDenied);

    const probes = await rows(`SELECT COUNT(*) AS n FROM ${quoted(database)}.filler WHERE LENGTH(payload) = 10`);
    expect(Number(probes[0]!.n)).toBeGreaterThan(0);
    expect(await grantsOf(filler.username)).toMatch(/ALL PRIVILEGES/);
    expect(await grantsOf(reader.username)).toBe(readerGrants);
    await cli().cliOk(['stop', apps.filler]);
  }, 150_000);

  it('a plan change reaches the binding users: medium allows 40 connections each', async () => {
    const limits = async (): Promise<number[]> =>
      (await rows('SELECT max_user_connections AS n FROM mysql.user WHERE User IN (?, ?) ORDER BY User, Host', [writer.username, reader.username])).map((r) =>
        Number(r.n),
      );
    expect(await limits()).toEqual([10, 10, 10, 10]);
    await cli().cliOk(['update-service', service, '-p', 'medium']);
    const instance = await cli().cliJson<{ service_plan_name: string; last_operation: { type: string; state: string } }>(['service', service]);
    expect(instance).toMatchObject({ service_plan_name: 'medium', last_operation: { type: 'update', state: 'succeeded' } });
    expect(await limits()).toEqual([40, 40, 40, 40]);
  }, 60_000);

  it('after unbind, the old credentials no longer log in', async () => {
    const before = await connectWith(writer);
    await before.end();

    await cli().cliOk(['unbind-service', apps.writer, service]);
    await expect(connectWith(writer)).rejects.toMatchObject({ code: expect.stringMatching(/^ER_ACCESS_DENIED/) });
    expect(await accountsOf(writer.username)).toEqual([]);
    const recorded = await rows(`SELECT user_name FROM ${quoted(stateDatabase)}.mysql_broker_users WHERE user_name = ?`, [writer.username]);
    expect(recorded).toEqual([]);
    const env = await cli().cliJson<AppEnv>(['env', apps.writer]);
    expect(env.system_env_json?.VCAP_SERVICES?.mysql ?? []).toEqual([]);
    // The other bindings are untouched.
    const still = await connectWith(reader);
    await still.end();
  }, 60_000);

  it('after delete-service, the database and every binding user are gone', async () => {
    // Deleting an app unbinds it first, through the broker.
    for (const app of Object.values(apps)) await cli().cliOk(['delete', app]);
    for (const credentials of [reader, filler]) expect(await accountsOf(credentials.username)).toEqual([]);
    await cli().cliOk(['delete-service', service]);

    expect(await databaseExists(database)).toBe(false);
    expect(await cli().cliJson<unknown[]>(['services'])).toEqual([]);
    expect(await rows(`SELECT database_name FROM ${quoted(stateDatabase)}.mysql_broker_databases`)).toEqual([]);
    expect(await rows(`SELECT user_name FROM ${quoted(stateDatabase)}.mysql_broker_users`)).toEqual([]);
  }, 90_000);

  it('SIGINT stops osbkit up and every process it started', async () => {
    const running = cli();
    const started = running.snapshotProcesses();
    expect(started.length).toBeGreaterThanOrEqual(4);
    const { code, survivors } = await running.stop();
    expect(survivors).toEqual([]);
    expect(code).toBe(0);
    expect(running.log()).toContain('Stopping osbkit...');
    platform = undefined;

    await dropEverything();
    expect(await databaseExists(stateDatabase)).toBe(false);
  }, 90_000);
});
