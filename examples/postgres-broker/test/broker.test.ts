import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createBroker, createLogger, MemoryStore } from 'osbkit';
import { OsbClient } from 'osbkit/client';
import { describeConformance } from 'osbkit/testkit';
import { PostgresBroker } from '../src/broker';
import { catalog } from '../src/catalog';

// A real PostgreSQL: PG_ADMIN_URL, or the postgres superuser on this machine. Every database and
// role a run makes starts with a prefix of its own, and the run drops them all at the end.
const adminUrl = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const namePrefix = `osbtest_${randomBytes(4).toString('hex')}`;
const credentials = { username: 'platform', password: 'test-secret' };
const SERVICE = catalog.services[0]!.id;
const PLAN = catalog.services[0]!.plans[0]!.id;

function app() {
  return createBroker({ catalog, broker: new PostgresBroker({ adminUrl, namePrefix }), store: new MemoryStore(), auth: credentials, logger: createLogger({ level: 'silent' }) });
}

/** This run's databases and roles. */
async function made(admin: pg.Client): Promise<{ databases: string[]; roles: string[] }> {
  const query = async (sql: string) => (await admin.query(sql, [`${namePrefix}%`])).rows.map((row: { name: string }) => row.name);
  return {
    databases: await query('SELECT datname AS name FROM pg_database WHERE datname LIKE $1'),
    roles: await query('SELECT rolname AS name FROM pg_roles WHERE rolname LIKE $1'),
  };
}

describeConformance(app(), { ...credentials, strict: true, plans: { shared: { async: false } }, runner: { describe, it, before, after } });

describe('what PostgreSQL holds', () => {
  const broker = app();
  const admin = new pg.Client({ connectionString: adminUrl });
  let client: OsbClient;
  before(async () => {
    await admin.connect();
    const { url } = await broker.listen(0);
    client = new OsbClient({ url, ...credentials });
  });

  after(async () => {
    await broker.close();
    // Whatever a failed test left, and only what this run made.
    const { databases, roles } = await made(admin);
    for (const name of databases) await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    for (const name of roles) await admin.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(name)}`);
    await admin.end();
  });

  it('a database per instance; bindings log in, share its tables, and leave nothing behind', async () => {
    await client.provision('inst-1', { service_id: SERVICE, plan_id: PLAN, organization_guid: 'org', space_guid: 'space' });
    const first = (await client.bind('inst-1', 'bind-1', { service_id: SERVICE, plan_id: PLAN })).body.credentials as { uri: string; database: string };
    const second = (await client.bind('inst-1', 'bind-2', { service_id: SERVICE, plan_id: PLAN })).body.credentials as { uri: string };
    const during = await made(admin);
    assert.equal(during.databases.length, 1);
    assert.equal(during.roles.length, 3, 'the owner and a role per binding');

    const one = new pg.Client({ connectionString: first.uri });
    await one.connect();
    await one.query('CREATE TABLE notes (text TEXT)');
    await one.query("INSERT INTO notes VALUES ('hello')");
    await one.end();
    const two = new pg.Client({ connectionString: second.uri });
    await two.connect();
    assert.deepEqual((await two.query('SELECT text FROM notes')).rows, [{ text: 'hello' }]);
    await two.end();

    await client.unbind('inst-1', 'bind-1', { service_id: SERVICE, plan_id: PLAN });
    await assert.rejects(async () => {
      const gone = new pg.Client({ connectionString: first.uri });
      try {
        await gone.connect();
      } finally {
        await gone.end().catch(() => undefined);
      }
    }, /does not exist|authentication failed/);
    await client.unbind('inst-1', 'bind-2', { service_id: SERVICE, plan_id: PLAN });
    await client.deprovision('inst-1', { service_id: SERVICE, plan_id: PLAN });
    assert.deepEqual(await made(admin), { databases: [], roles: [] });
  });
});
