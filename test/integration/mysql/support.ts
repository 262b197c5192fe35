import { randomBytes } from 'node:crypto';
import { createServer, Socket, type Server } from 'node:net';
import mysql, { type Connection, type RowDataPacket } from 'mysql2/promise';
import pino, { type Logger } from 'pino';
import request, { type Test } from 'supertest';
import { createBroker, readCatalogFile, type BrokerApp, type CreateBrokerOptions, type JsonObject, type StateStore } from '../../../sdk';
import { createMysqlBroker, mysqlCatalogPath, type MysqlBrokerConfig, type MysqlBrokerHandle } from '../../../brokers/mysql';

/**
 * What every MySQL integration suite shares: the real server, a unique prefix per run for
 * every name the suite makes, brokers wired through createBroker, and a cleanup that drops
 * everything carrying the prefix. Nothing here skips: an unreachable server fails the suite.
 */

export const MYSQL_HOST = process.env.OSBKIT_TEST_MYSQL_HOST ?? '127.0.0.1';
export const MYSQL_PORT = Number(process.env.OSBKIT_TEST_MYSQL_PORT ?? 3306);
export const MYSQL_USER = process.env.OSBKIT_TEST_MYSQL_USER ?? 'root';
export const MYSQL_PASSWORD = process.env.OSBKIT_TEST_MYSQL_PASSWORD ?? '';

export const AUTH = { username: 'platform', password: 'platform-secret-1' };
export const SERVICE_ID = '48717e83-ba87-4331-a4e2-ac6e1da9c8aa';
export const PLAN_SMALL = '21e3abc7-b405-40bd-b0ef-f04c01783e9d';
export const PLAN_MEDIUM = '521c6f32-5446-4d22-af0e-9a43a35da763';
/** Test-only plan: 1 MB and 3 connections, small enough to fill in a test. */
export const PLAN_TINY = 'a0c3e3f5-1d0e-4f5e-9c61-5b8f3c2f7e11';

export function testCatalog(): JsonObject {
  const document = structuredClone(readCatalogFile(mysqlCatalogPath)) as { services: Array<{ plans: JsonObject[] }> };
  const offering = document.services[0]!;
  const small = offering.plans[0]!;
  offering.plans.push({
    ...small,
    id: PLAN_TINY,
    name: 'tiny',
    description: 'Test plan: 1 MB, 3 connections',
    metadata: { max_storage_mb: 1, max_user_connections: 3 },
  });
  return document as unknown as JsonObject;
}

export function adminUrl(port = MYSQL_PORT): string {
  const password = MYSQL_PASSWORD === '' ? '' : `:${encodeURIComponent(MYSQL_PASSWORD)}`;
  return `mysql://${encodeURIComponent(MYSQL_USER)}${password}@${MYSQL_HOST}:${port}`;
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** Pino output kept as parsed lines and raw text, for checks on what was (not) logged. */
export function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>>; text: () => string } {
  const raw: string[] = [];
  const lines: Array<Record<string, unknown>> = [];
  const stream = {
    write(chunk: string): void {
      raw.push(chunk);
      for (const line of chunk.split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
    },
  };
  return { logger: pino({ level: 'debug' }, stream), lines, text: () => raw.join('') };
}

export async function connectAs(user: string, password: string, database?: string, port = MYSQL_PORT): Promise<Connection> {
  return mysql.createConnection({ host: MYSQL_HOST, port, user, password, ...(database ? { database } : {}), connectTimeout: 5_000 });
}

export interface TestBroker {
  app: BrokerApp;
  handle: MysqlBrokerHandle;
  osb: Osb;
}

/** One suite's run: its prefix, a root connection, and every broker it started. */
export class MysqlTestRun {
  /** Lowercase alphanumeric, so it survives name derivation and starts every derived name. */
  readonly prefix = `t${randomBytes(4).toString('hex')}`;
  readonly stateDatabase = `osbkit_${this.prefix}_state`;
  private readonly brokers: TestBroker[] = [];
  private readonly extraStateDatabases = new Set<string>();

  private constructor(readonly root: Connection) {}

  static async start(): Promise<MysqlTestRun> {
    let root: Connection;
    try {
      root = await mysql.createConnection({
        host: MYSQL_HOST,
        port: MYSQL_PORT,
        user: MYSQL_USER,
        password: MYSQL_PASSWORD,
        connectTimeout: 5_000,
      });
    } catch (error) {
      throw new Error(
        `MySQL is not reachable at ${MYSQL_HOST}:${MYSQL_PORT} as ${MYSQL_USER} (${(error as { code?: string }).code ?? String(error)}); ` +
          'start it (scripts/ensure-services.sh) — these tests never skip.',
      );
    }
    return new MysqlTestRun(root);
  }

  id(label: string): string {
    return `${this.prefix}-${label}`;
  }

  startBroker(
    options: {
      config?: Partial<MysqlBrokerConfig>;
      store?: StateStore | 'mysql';
      logger?: Logger;
      catalog?: JsonObject;
      /** Overrides of the engine settings below (a short lease and scan, say). */
      engine?: CreateBrokerOptions['engine'];
    } = {},
  ): TestBroker {
    const logger = options.logger ?? silentLogger();
    const config: MysqlBrokerConfig = { url: adminUrl(), stateDatabase: this.stateDatabase, ...options.config };
    if (config.stateDatabase && config.stateDatabase !== this.stateDatabase) this.extraStateDatabases.add(config.stateDatabase);
    const handle = createMysqlBroker({ ...config, stateStore: options.store === 'mysql' }, logger);
    const store = options.store === 'mysql' ? handle.store : options.store;
    const app = createBroker({
      catalog: options.catalog ?? testCatalog(),
      broker: handle.broker,
      ...(store ? { store } : {}),
      auth: AUTH,
      logger,
      engine: { stepIntervalMs: 20, scanIntervalMs: 60_000, ...options.engine },
    });
    const broker = { app, handle, osb: new Osb(app) };
    this.brokers.push(broker);
    return broker;
  }

  async rows(sql: string, values: unknown[] = []): Promise<RowDataPacket[]> {
    const [rows] = await this.root.query<RowDataPacket[]>(sql, values);
    return rows;
  }

  async databaseExists(name: string): Promise<boolean> {
    return (await this.rows('SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name])).length > 0;
  }

  async accountsOf(user: string): Promise<string[]> {
    const rows = await this.rows('SELECT Host FROM mysql.user WHERE User = ? ORDER BY Host', [user]);
    return rows.map((row) => String(row.Host));
  }

  /** Databases and users whose names carry this run's prefix. */
  async leftovers(): Promise<{ databases: string[]; users: string[] }> {
    const databases = (await this.rows('SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA')).map((r) => String(r.name));
    const users = (await this.rows('SELECT DISTINCT User AS name FROM mysql.user')).map((r) => String(r.name));
    return {
      databases: databases.filter((name) => name.includes(this.prefix)),
      users: users.filter((name) => name.includes(this.prefix)),
    };
  }

  async cleanup(): Promise<void> {
    for (const broker of this.brokers.splice(0)) {
      await broker.app.close().catch(() => undefined);
      await broker.handle.close().catch(() => undefined);
    }
    const { databases, users } = await this.leftovers();
    for (const database of databases) await this.root.query(`DROP DATABASE IF EXISTS \`${database.replace(/`/g, '``')}\``);
    for (const database of this.extraStateDatabases) await this.root.query(`DROP DATABASE IF EXISTS \`${database.replace(/`/g, '``')}\``);
    for (const user of users) {
      for (const row of await this.rows('SELECT Host FROM mysql.user WHERE User = ?', [user])) {
        await this.root.query('DROP USER ?@?', [user, String(row.Host)]);
      }
    }
    await this.root.end();
  }
}

/** A supertest agent that sends what a platform sends: Basic auth and the API version header. */
export class Osb {
  constructor(private readonly app: BrokerApp) {}

  get(path: string): Test {
    return this.prepare(request(this.app.handler).get(path));
  }

  put(path: string, body: object): Test {
    return this.prepare(request(this.app.handler).put(path)).send(body);
  }

  patch(path: string, body: object): Test {
    return this.prepare(request(this.app.handler).patch(path)).send(body);
  }

  delete(path: string): Test {
    return this.prepare(request(this.app.handler).delete(path));
  }

  provision(instanceId: string, planId = PLAN_SMALL, parameters: JsonObject = {}): Test {
    return this.put(`/v2/service_instances/${instanceId}`, {
      service_id: SERVICE_ID,
      plan_id: planId,
      organization_guid: 'org-1',
      space_guid: 'space-1',
      parameters,
    });
  }

  updatePlan(instanceId: string, planId: string): Test {
    return this.patch(`/v2/service_instances/${instanceId}`, { service_id: SERVICE_ID, plan_id: planId });
  }

  deprovision(instanceId: string, planId = PLAN_SMALL): Test {
    return this.delete(`/v2/service_instances/${instanceId}?service_id=${SERVICE_ID}&plan_id=${planId}`);
  }

  bind(instanceId: string, bindingId: string, parameters: JsonObject = {}, planId = PLAN_SMALL): Test {
    return this.put(`/v2/service_instances/${instanceId}/service_bindings/${bindingId}`, {
      service_id: SERVICE_ID,
      plan_id: planId,
      bind_resource: { app_guid: 'app-1' },
      parameters,
    });
  }

  unbind(instanceId: string, bindingId: string, planId = PLAN_SMALL): Test {
    return this.delete(`/v2/service_instances/${instanceId}/service_bindings/${bindingId}?service_id=${SERVICE_ID}&plan_id=${planId}`);
  }

  private prepare(test: Test): Test {
    return test.auth(AUTH.username, AUTH.password).set('X-Broker-API-Version', '2.17');
  }
}

export interface BindingCredentials {
  hostname: string;
  port: number;
  name: string;
  username: string;
  password: string;
  uri: string;
  jdbcUrl: string;
}

export function credentialsOf(body: unknown): BindingCredentials {
  const credentials = (body as { credentials?: BindingCredentials }).credentials;
  if (!credentials) throw new Error(`no credentials in ${JSON.stringify(body)}`);
  return credentials;
}

/**
 * How a TcpRelay treats traffic: `forward` relays both ways; `black-hole` is a server that
 * stopped answering (a paused process, a dropped route): new connections are accepted and held
 * but never reach MySQL, and nothing is relayed on open ones, which stay open; `drop-replies`
 * delivers what clients send but swallows every answer, so a statement runs on the server
 * while its client never hears back.
 */
export type RelayMode = 'forward' | 'black-hole' | 'drop-replies';

/**
 * A TCP relay in front of MySQL, on an ephemeral port of 127.0.0.1, that a test can take down
 * (a closed port: new connections are refused, open ones are cut), bring back on the same
 * port, or switch between the modes above at any moment, open connections included.
 */
export class TcpRelay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  mode: RelayMode = 'forward';

  async start(): Promise<void> {
    const server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address && typeof address === 'object') this.port = address.port;
    this.server = server;
  }

  private accept(client: Socket): void {
    this.sockets.add(client);
    if (this.mode === 'black-hole') {
      // Held, never answered, never connected upstream: the client sees no handshake.
      client.on('error', () => client.destroy()).on('close', () => this.sockets.delete(client));
      client.resume();
      return;
    }
    const upstream = new Socket();
    this.sockets.add(upstream);
    const forget = (): void => {
      this.sockets.delete(client);
      this.sockets.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', forget).on('close', forget);
    // A server that stopped answering does not close anything either.
    const upstreamGone = (): void => {
      if (this.mode === 'forward') forget();
      else this.sockets.delete(upstream);
    };
    upstream.on('error', upstreamGone).on('close', upstreamGone);
    client.on('data', (chunk: Buffer) => {
      if (this.mode !== 'black-hole') upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (this.mode === 'forward') client.write(chunk);
    });
    upstream.connect(MYSQL_PORT, MYSQL_HOST);
  }

  /** The port stays reserved in `port`, but nothing listens on it any more. */
  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A port nothing listens on: bound once to learn a free number, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = address && typeof address === 'object' ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Tenant sessions a suite opens, so every one is closed at the end whatever the test did. */
export class Sessions {
  readonly open: Connection[] = [];

  async login(credentials: BindingCredentials): Promise<Connection> {
    const connection = await connectAs(credentials.username, credentials.password, credentials.name, credentials.port);
    this.open.push(connection);
    return connection;
  }

  async closeAll(): Promise<void> {
    for (const connection of this.open.splice(0)) await connection.end().catch(() => undefined);
  }
}

/** Whether the server still serves this session (unbind and the quota enforcer kill sessions). */
export async function isAlive(connection: Connection): Promise<boolean> {
  try {
    await connection.query('SELECT 1');
    return true;
  } catch {
    return false;
  }
}
