import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import {
  answerFromStore, errors, type BindRequest, type BindResult, type DeprovisionRequest, type ProvisionRequest,
  type ProvisionResult, type ServiceBroker, type UnbindRequest,
} from 'osbkit';

export interface PostgresBrokerOptions {
  /** An account that may create databases and roles, e.g. postgres://postgres@127.0.0.1:5432/postgres. */
  adminUrl: string;
  /** What every database and role name starts with (default "osb"). */
  namePrefix?: string;
}

/**
 * A database per instance, owned by a role of its own that cannot log in, and a login role
 * per binding that is a member of it. Every name comes from the ids, so a step that runs again
 * after a crash finds what the first run made.
 */
export class PostgresBroker implements ServiceBroker {
  private readonly pool: pg.Pool;

  constructor(private readonly options: PostgresBrokerOptions) {
    this.pool = new pg.Pool({ connectionString: options.adminUrl, max: 4 });
  }

  private name(...ids: string[]): string {
    return `${this.options.namePrefix ?? 'osb'}_${createHash('sha256').update(ids.join('/')).digest('hex').slice(0, 24)}`;
  }

  async provision(request: ProvisionRequest): Promise<ProvisionResult> {
    const owner = this.name('owner', request.instanceId);
    const database = this.name('db', request.instanceId);
    if (!(await this.exists('pg_roles', 'rolname', owner))) await this.sql(`CREATE ROLE ${pg.escapeIdentifier(owner)} NOLOGIN`);
    if (!(await this.exists('pg_database', 'datname', database))) await this.sql(`CREATE DATABASE ${pg.escapeIdentifier(database)} OWNER ${pg.escapeIdentifier(owner)}`);
    return {};
  }

  async deprovision(request: DeprovisionRequest): Promise<void> {
    const database = this.name('db', request.instance.instanceId);
    await this.sql('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [database]);
    await this.sql(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)}`);
    await this.sql(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(this.name('owner', request.instance.instanceId))}`);
  }

  async bind(request: BindRequest): Promise<BindResult> {
    const { instanceId } = request.instance;
    const user = this.name('user', instanceId, request.bindingId);
    const password = randomBytes(24).toString('base64url');
    // A step run twice gives the role the first run made a new password.
    const verb = (await this.exists('pg_roles', 'rolname', user)) ? 'ALTER' : 'CREATE';
    await this.sql(`${verb} ROLE ${pg.escapeIdentifier(user)} LOGIN PASSWORD ${pg.escapeLiteral(password)}`);
    await this.sql(`GRANT ${pg.escapeIdentifier(this.name('owner', instanceId))} TO ${pg.escapeIdentifier(user)}`);
    // Sessions act as the owner, so what one binding creates every binding can use.
    await this.sql(`ALTER ROLE ${pg.escapeIdentifier(user)} SET role = ${pg.escapeIdentifier(this.name('owner', instanceId))}`);
    const url = new URL(this.options.adminUrl);
    const database = this.name('db', instanceId);
    const uri = `postgres://${user}:${encodeURIComponent(password)}@${url.hostname}:${url.port || 5432}/${database}`;
    return { credentials: { uri, host: url.hostname, port: Number(url.port || 5432), database, username: user, password } };
  }

  async unbind(request: UnbindRequest): Promise<void> {
    const user = this.name('user', request.instance.instanceId, request.binding.bindingId);
    if (!(await this.exists('pg_roles', 'rolname', user))) return;
    // Anything the role still owns in the instance's database passes to the instance's owner.
    const url = new URL(this.options.adminUrl);
    url.pathname = `/${this.name('db', request.instance.instanceId)}`;
    const client = new pg.Client({ connectionString: url.toString() });
    await this.guard(() => client.connect());
    try {
      await this.guard(() => client.query(`REASSIGN OWNED BY ${pg.escapeIdentifier(user)} TO ${pg.escapeIdentifier(this.name('owner', request.instance.instanceId))}`));
      await this.guard(() => client.query(`DROP OWNED BY ${pg.escapeIdentifier(user)}`));
    } finally {
      await client.end();
    }
    await this.sql(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(user)}`);
  }

  getInstance = answerFromStore.getInstance;
  getBinding = answerFromStore.getBinding;

  async stop(): Promise<void> {
    await this.pool.end();
  }

  private async exists(catalog: 'pg_roles' | 'pg_database', column: string, name: string): Promise<boolean> {
    return (await this.sql(`SELECT 1 FROM ${catalog} WHERE ${column} = $1`, [name])).rowCount === 1;
  }

  private sql(text: string, values: unknown[] = []): Promise<pg.QueryResult> {
    return this.guard(() => this.pool.query(text, values));
  }

  /** A server that cannot be reached is a 503, so the platform tries again; anything else stays a 500. */
  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'ECONNREFUSED' || code === 'ETIMEDOUT' || code === '57P03') throw errors.unavailable('PostgreSQL is unreachable; try again later.', error);
      throw error;
    }
  }
}
