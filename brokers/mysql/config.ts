import { readFileSync } from 'node:fs';
import type { Registry } from 'prom-client';
import type { MysqlServerAddress, StatementListener } from './admin-sql';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_QUERY_TIMEOUT_MS } from '../../sdk/store/mysql/bounded-pool';

export type { MysqlServerAddress } from './admin-sql';

export interface MysqlQuotaConfig {
  /** Pause between enforcer passes when it runs inside the broker (default 10 s). */
  intervalMs?: number;
  /** Where the enforcer registers its metrics; its own registry when absent. */
  metricsRegistry?: Registry;
  /** How long a pass waits for a table lock a tenant holds before it uses older statistics. */
  lockWaitTimeoutSeconds?: number;
  /**
   * For tests and trials only: the enforcer holds every database to this many megabytes
   * instead of its plan's max_storage_mb. Plan changes still check the plans' own figures.
   */
  overrideMb?: number;
}

/** What an operator configures; `url` or host/port/user/password name the admin account. */
export interface MysqlBrokerConfig {
  /** mysql://user:pass@host:port[/stateDatabase] */
  url?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  /** The host and port applications use, when they differ from the admin address (a proxy, a DNS name). */
  publicHost?: string;
  publicPort?: number;
  /** PEM of the CA that signed the server certificate; handed to applications in credentials. */
  caCertificate?: string;
  /** Database for the broker's own tables (its registry and, unless disabled, the SDK state). */
  stateDatabase?: string;
  /** Keep the SDK state in MySQL too (default true), so replicas behind a load balancer share it. */
  stateStore?: boolean;
  /** Host parts of each binding account; see README for why localhost is included. */
  userHosts?: string[];
  /**
   * How long the admin pool and the state store wait for a connection, a new one's connect
   * and handshake or a free one of a full pool (default 10 s).
   */
  connectTimeoutMs?: number;
  /** How long one statement may go unanswered before the request fails with 503 (default 30 s). */
  queryTimeoutMs?: number;
  quota?: MysqlQuotaConfig;
  /** Called before every admin statement with its kind (never its text): for metrics and tests. */
  onStatement?: StatementListener;
}

export interface ResolvedMysqlConfig {
  admin: MysqlServerAddress;
  publicHost: string;
  publicPort: number;
  caCertificate: string | undefined;
  stateDatabase: string;
  stateStore: boolean;
  userHosts: string[];
  connectTimeoutMs: number;
  queryTimeoutMs: number;
  quota: { intervalMs: number; metricsRegistry: Registry | undefined; lockWaitTimeoutSeconds: number; overrideMb: number | undefined };
  onStatement: StatementListener | undefined;
}

export const DEFAULT_STATE_DATABASE = 'osbkit_broker';
const DEFAULT_PORT = 3306;
const DEFAULT_USER_HOSTS = ['%', 'localhost'];

/** Messages here never echo the URL or password: they end up in logs and terminals. */
export class MysqlConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MysqlConfigError';
  }
}

export function resolveMysqlConfig(config: MysqlBrokerConfig): ResolvedMysqlConfig {
  const fromUrl = config.url !== undefined ? parseMysqlUrl(config.url) : undefined;
  const host = config.host ?? fromUrl?.host;
  const user = config.user ?? fromUrl?.user;
  if (!host) throw new MysqlConfigError('the MySQL host is missing: set MYSQL_URL (mysql://user:password@host:port)');
  if (!user) throw new MysqlConfigError('the MySQL admin user is missing: set MYSQL_URL (mysql://user:password@host:port)');
  const port = checkPort(config.port ?? fromUrl?.port ?? DEFAULT_PORT, 'port');
  const stateDatabase = config.stateDatabase ?? fromUrl?.database ?? DEFAULT_STATE_DATABASE;
  if (!/^[A-Za-z0-9_]{1,64}$/.test(stateDatabase)) {
    throw new MysqlConfigError('the state database name must be 1 to 64 characters from A-Z a-z 0-9 _');
  }
  const userHosts = config.userHosts ?? DEFAULT_USER_HOSTS;
  if (userHosts.length === 0 || userHosts.some((h) => !/^[A-Za-z0-9_.%:-]{1,255}$/.test(h))) {
    throw new MysqlConfigError('userHosts must list host patterns made of A-Z a-z 0-9 _ . % : -');
  }
  const intervalMs = config.quota?.intervalMs ?? 10_000;
  if (!Number.isFinite(intervalMs) || intervalMs <= 0) throw new MysqlConfigError('the quota interval must be a positive number of milliseconds');
  const overrideMb = config.quota?.overrideMb;
  if (overrideMb !== undefined && (!Number.isFinite(overrideMb) || overrideMb <= 0)) {
    throw new MysqlConfigError('the quota override must be a positive number of megabytes');
  }
  return {
    admin: { host, port, user, password: config.password ?? fromUrl?.password ?? '' },
    publicHost: config.publicHost ?? host,
    publicPort: checkPort(config.publicPort ?? port, 'public port'),
    caCertificate: config.caCertificate === '' ? undefined : config.caCertificate,
    stateDatabase,
    stateStore: config.stateStore ?? true,
    userHosts: [...new Set(userHosts)],
    connectTimeoutMs: checkTimeout(config.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, 'connect timeout'),
    queryTimeoutMs: checkTimeout(config.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS, 'query timeout'),
    quota: {
      intervalMs,
      metricsRegistry: config.quota?.metricsRegistry,
      lockWaitTimeoutSeconds: config.quota?.lockWaitTimeoutSeconds ?? 5,
      overrideMb,
    },
    onStatement: config.onStatement,
  };
}

interface ParsedUrl {
  host: string;
  port: number | undefined;
  user: string;
  password: string;
  database: string | undefined;
}

export function parseMysqlUrl(text: string): ParsedUrl {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new MysqlConfigError('MYSQL_URL is not a valid URL; expected mysql://user:password@host:port');
  }
  if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') {
    throw new MysqlConfigError('MYSQL_URL must start with mysql:// (or mariadb://)');
  }
  const path = decodeURIComponent(url.pathname.replace(/^\/+/, '').replace(/\/+$/, ''));
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? undefined : Number(url.port),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: path === '' ? undefined : path,
  };
}

/**
 * The CLI's configuration source. Variables: MYSQL_URL (required), MYSQL_PUBLIC_HOST,
 * MYSQL_PUBLIC_PORT, MYSQL_CA_CERTIFICATE (PEM) or MYSQL_CA_CERTIFICATE_FILE,
 * MYSQL_STATE_DATABASE, MYSQL_STATE_STORE (false keeps SDK state elsewhere),
 * MYSQL_CONNECT_TIMEOUT_SECONDS, MYSQL_QUERY_TIMEOUT_SECONDS,
 * MYSQL_QUOTA_INTERVAL_SECONDS, MYSQL_QUOTA_OVERRIDE_MB (tests and trials only).
 */
export function mysqlBrokerConfigFromEnv(env: NodeJS.ProcessEnv = process.env): MysqlBrokerConfig {
  const url = env.MYSQL_URL;
  if (!url) throw new MysqlConfigError('MYSQL_URL is not set; expected mysql://user:password@host:port');
  const config: MysqlBrokerConfig = { url };
  if (env.MYSQL_PUBLIC_HOST) config.publicHost = env.MYSQL_PUBLIC_HOST;
  if (env.MYSQL_PUBLIC_PORT) config.publicPort = checkPort(Number(env.MYSQL_PUBLIC_PORT), 'MYSQL_PUBLIC_PORT');
  if (env.MYSQL_CA_CERTIFICATE) config.caCertificate = env.MYSQL_CA_CERTIFICATE;
  else if (env.MYSQL_CA_CERTIFICATE_FILE) {
    try {
      config.caCertificate = readFileSync(env.MYSQL_CA_CERTIFICATE_FILE, 'utf8');
    } catch {
      throw new MysqlConfigError(`MYSQL_CA_CERTIFICATE_FILE ${env.MYSQL_CA_CERTIFICATE_FILE} cannot be read`);
    }
  }
  if (env.MYSQL_STATE_DATABASE) config.stateDatabase = env.MYSQL_STATE_DATABASE;
  if (env.MYSQL_STATE_STORE !== undefined && env.MYSQL_STATE_STORE !== '') {
    config.stateStore = !/^(false|0|no|off)$/i.test(env.MYSQL_STATE_STORE);
  }
  if (env.MYSQL_CONNECT_TIMEOUT_SECONDS) config.connectTimeoutMs = secondsToMs(env.MYSQL_CONNECT_TIMEOUT_SECONDS, 'MYSQL_CONNECT_TIMEOUT_SECONDS');
  if (env.MYSQL_QUERY_TIMEOUT_SECONDS) config.queryTimeoutMs = secondsToMs(env.MYSQL_QUERY_TIMEOUT_SECONDS, 'MYSQL_QUERY_TIMEOUT_SECONDS');
  if (env.MYSQL_QUOTA_INTERVAL_SECONDS) {
    const seconds = Number(env.MYSQL_QUOTA_INTERVAL_SECONDS);
    if (!Number.isFinite(seconds) || seconds <= 0) throw new MysqlConfigError('MYSQL_QUOTA_INTERVAL_SECONDS must be a positive number');
    config.quota = { ...config.quota, intervalMs: seconds * 1000 };
  }
  if (env.MYSQL_QUOTA_OVERRIDE_MB) {
    const megabytes = Number(env.MYSQL_QUOTA_OVERRIDE_MB);
    if (!Number.isFinite(megabytes) || megabytes <= 0) throw new MysqlConfigError('MYSQL_QUOTA_OVERRIDE_MB must be a positive number');
    config.quota = { ...config.quota, overrideMb: megabytes };
  }
  return config;
}

/** Timers take at most 2^31-1 ms; a larger value would fire at once. */
const MAX_TIMEOUT_MS = 2_147_483_647;

function checkTimeout(ms: number, what: string): number {
  if (!Number.isFinite(ms) || ms <= 0 || ms > MAX_TIMEOUT_MS) {
    throw new MysqlConfigError(`the ${what} must be a positive number of milliseconds, at most ${MAX_TIMEOUT_MS}`);
  }
  return ms;
}

function secondsToMs(text: string, variable: string): number {
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds * 1000 > MAX_TIMEOUT_MS) {
    throw new MysqlConfigError(`${variable} must be a positive number of seconds, at most ${Math.floor(MAX_TIMEOUT_MS / 1000)}`);
  }
  return seconds * 1000;
}

function checkPort(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new MysqlConfigError(`the ${what} must be an integer from 1 to 65535`);
  return value;
}
