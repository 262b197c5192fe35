import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import request from 'supertest';
import { CREDENTIAL_SECRET, DatabaseBroker, databaseCatalog } from './support/brokers';
import { ADMIN, Harness } from './support/harness';
import { startTestBroker, sleep, type TestBroker } from './support/test-broker';

jest.setTimeout(30_000);

type Body = Record<string, unknown>;

/** Every file of the controller's data directory, as one string (SQLite's WAL included; packages/ holds only app bits). */
function dataDirText(dir: string): string {
  return readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => readFileSync(join(dir, entry.name)).toString('latin1')).join('\n');
}

describe('authentication', () => {
  let harness: Harness;
  let broker: TestBroker;
  let bindingGuid: string;
  let appGuid: string;

  beforeAll(async () => {
    broker = await startTestBroker({ catalog: databaseCatalog(), broker: new DatabaseBroker() });
    harness = await Harness.start();
    await harness.registerBroker('db', broker.url);
    await harness.enableAccess('testdb');
    const instance = await harness.createInstance('db1', await harness.planGuid('testdb', 'small'));
    appGuid = await harness.createApp('web');
    bindingGuid = (await harness.bind(appGuid, instance.guid)).guid;
  });

  afterAll(async () => {
    await harness.close();
    await broker.stop();
  });

  const anonymous = () => harness.client(null);

  test('without a token, the binding details (every tenant\'s credentials) are refused with 401', async () => {
    const res = await anonymous().get(`/v3/service_credential_bindings/${bindingGuid}/details`);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ errors: [{ code: 10002, title: 'CF-NotAuthenticated', detail: expect.stringContaining('Authorization: Bearer') }] });
    expect(res.headers['www-authenticate']).toBe('Bearer realm="osbkit"');
    expect(JSON.stringify(res.body)).not.toContain(CREDENTIAL_SECRET);
    // The same request with the admin's token is answered, so the 401 is the token's doing.
    expect((await harness.get(`/v3/service_credential_bindings/${bindingGuid}/details`)).body.credentials).toMatchObject({ password: CREDENTIAL_SECRET });
  });

  test('every API route but /, /v3 and the token endpoint needs a token, and nothing changes without one', async () => {
    const routes: Array<[string, string, Body?]> = [
      ['GET', `/v3/apps/${appGuid}/env`],
      ['GET', `/v3/apps/${appGuid}/environment_variables`],
      ['GET', '/v3/service_credential_bindings'],
      ['GET', '/v3/service_instances'],
      ['GET', '/v3/service_brokers'],
      ['GET', '/v3/service_plans'],
      ['GET', '/v3/spaces'],
      ['GET', '/v3/organizations'],
      ['GET', '/v3/users'],
      ['GET', '/v3/roles'],
      ['GET', '/v3/jobs/anything'],
      ['GET', '/v3/no-such-route'],
      ['POST', '/v3/apps', { name: 'sneaky', command: 'true' }],
      ['POST', '/v3/service_brokers', { name: 'evil', url: broker.url, authentication: { type: 'basic', credentials: { username: 'a', password: 'b' } } }],
      ['POST', '/v3/users', { username: 'mallory', password: 'mallory-password' }],
      ['POST', `/v3/apps/${appGuid}/actions/stop`],
      ['DELETE', `/v3/service_credential_bindings/${bindingGuid}`],
    ];
    for (const [method, path, body] of routes) {
      const client = anonymous();
      const res = method === 'GET' ? await client.get(path) : method === 'POST' ? await client.post(path, body) : await client.delete(path);
      expect([method, path, res.status]).toEqual([method, path, 401]);
      expect(res.body.errors[0].title).toBe('CF-NotAuthenticated');
    }
    expect((await harness.get('/v3/apps?names=sneaky')).body.resources).toEqual([]);
    expect((await harness.get('/v3/service_brokers?names=evil')).body.resources).toEqual([]);
    expect((await harness.get('/v3/users?usernames=mallory')).body.resources).toEqual([]);
    expect((await harness.get(`/v3/service_credential_bindings/${bindingGuid}`)).status).toBe(200);
    expect(harness.cell.calls.filter((c) => c.op === 'stop')).toEqual([]);

    expect((await anonymous().get('/')).status).toBe(200);
    expect((await anonymous().get('/v3')).status).toBe(200);
    expect((await anonymous().get('/')).body.links.login.href).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  test('an unknown token is a 401 CF-InvalidAuthToken', async () => {
    const res = await harness.client('A'.repeat(43)).get('/v3/spaces');
    expect(res.status).toBe(401);
    expect(res.body.errors[0]).toMatchObject({ code: 1000, title: 'CF-InvalidAuthToken', detail: 'Invalid Auth Token: the token is not valid; log in again' });
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  test('the password grant answers a bearer token, form-encoded or JSON, never cached', async () => {
    const form = await request(harness.controller.app).post('/oauth/token').type('form').send({ grant_type: 'password', ...ADMIN });
    expect(form.status).toBe(200);
    expect(form.body).toEqual({
      access_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      token_type: 'bearer',
      expires_in: 43200,
      scope: 'cloud_controller.admin cloud_controller.read cloud_controller.write',
    });
    expect(form.headers['cache-control']).toBe('no-store');
    const json = await request(harness.controller.app).post('/oauth/token').send({ grant_type: 'password', ...ADMIN });
    expect(json.status).toBe(200);
    expect(json.body.access_token).not.toBe(form.body.access_token);
    expect((await harness.client(String(json.body.access_token)).get('/v3/spaces')).status).toBe(200);
  });

  test('bad credentials and bad grant requests are refused in OAuth 2 terms, the same for a wrong password and an unknown user', async () => {
    const grant = (body: Body) => request(harness.controller.app).post('/oauth/token').type('form').send(body);
    const wrongPassword = await grant({ grant_type: 'password', username: ADMIN.username, password: 'not-the-password' });
    const unknownUser = await grant({ grant_type: 'password', username: 'nobody-here', password: 'not-the-password' });
    for (const res of [wrongPassword, unknownUser]) {
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: 'unauthorized', error_description: 'Bad credentials' });
    }
    expect((await grant({ grant_type: 'client_credentials' })).body).toMatchObject({ error: 'unsupported_grant_type' });
    expect((await grant({ username: ADMIN.username, password: ADMIN.password })).status).toBe(400);
    expect((await grant({ grant_type: 'password', username: ADMIN.username })).body).toMatchObject({ error: 'invalid_request' });
    const malformed = await request(harness.controller.app).post('/oauth/token').set('content-type', 'application/json').send('{"grant_type":');
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ error: 'invalid_request' });
    expect(harness.logs()).not.toContain('not-the-password');
  });

  test('a revoked token stops working at once', async () => {
    const token = await harness.login(ADMIN.username, ADMIN.password);
    expect((await harness.client(token).get('/v3/spaces')).status).toBe(200);
    const revoked = await request(harness.controller.app).post('/oauth/revoke').type('form').send({ token });
    expect(revoked.status).toBe(200);
    expect((await harness.client(token).get('/v3/spaces')).status).toBe(401);
  });

  test('neither passwords nor tokens are stored or logged in clear; passwords are scrypt hashes', async () => {
    const token = await harness.login(ADMIN.username, ADMIN.password);
    await harness.createUser('bob', 'bob-password-42');
    const bobToken = await harness.login('bob', 'bob-password-42');
    const stored = dataDirText(harness.dataDir);
    const logged = harness.logs();
    for (const secret of [ADMIN.password, 'bob-password-42', token, bobToken]) {
      expect(stored).not.toContain(secret);
      expect(logged).not.toContain(secret);
    }
    const db = new Database(join(harness.dataDir, 'controller.db'), { readonly: true });
    try {
      const hashes = db.prepare('SELECT password_hash FROM users').all() as Array<{ password_hash: string }>;
      expect(hashes.length).toBeGreaterThanOrEqual(2);
      for (const { password_hash: hash } of hashes) expect(hash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]{86}==$/);
    } finally {
      db.close();
    }
  });

  test('a deleted user\'s tokens stop working', async () => {
    const guid = await harness.createUser('carol', 'carol-password-42');
    const token = await harness.login('carol', 'carol-password-42');
    expect((await harness.client(token).get('/v3/spaces')).status).toBe(200);
    expect((await harness.delete(`/v3/users/${guid}`)).status).toBe(204);
    expect((await harness.client(token).get('/v3/spaces')).status).toBe(401);
    expect((await request(harness.controller.app).post('/oauth/token').type('form').send({ grant_type: 'password', username: 'carol', password: 'carol-password-42' })).status).toBe(401);
  });

  test('the last admin cannot be deleted', async () => {
    const res = await harness.delete(`/v3/users/${harness.userGuid}`);
    expect(res.status).toBe(422);
    expect(res.body.errors[0].detail).toBe('Cannot delete the last admin.');
  });
});

describe('token lifetime and the bootstrap admin', () => {
  let harness: Harness;

  afterEach(async () => {
    await harness?.close();
  });

  test('an expired token is a 401 that says so', async () => {
    harness = await Harness.start({ tokenValiditySeconds: 1 });
    const token = await harness.login(ADMIN.username, ADMIN.password);
    await sleep(1100);
    const res = await harness.client(token).get('/v3/spaces');
    expect(res.status).toBe(401);
    expect(res.body.errors[0]).toMatchObject({ title: 'CF-InvalidAuthToken', detail: 'Invalid Auth Token: the token has expired; log in again' });
  });

  test('a restart with another bootstrap password makes that the admin\'s password, ends the sessions of the old one, and existing data stays', async () => {
    harness = await Harness.start();
    const appGuid = await harness.createApp('kept');
    const oldToken = harness.token;
    await harness.restart({ bootstrapAdmin: { username: ADMIN.username, password: 'a-new-admin-password' } });
    await expect(harness.login(ADMIN.username, ADMIN.password)).rejects.toThrow(/401/);
    expect((await harness.client(oldToken).get('/v3/spaces')).status).toBe(401);
    harness.token = await harness.login(ADMIN.username, 'a-new-admin-password');
    expect((await harness.get(`/v3/apps/${appGuid}`)).status).toBe(200);
    expect((await harness.get(`/v3/users/${harness.userGuid}`)).body).toMatchObject({ username: ADMIN.username, admin: true });
  });

  test('a database from before users existed gains the tables and keeps its data', async () => {
    harness = await Harness.start();
    const appGuid = await harness.createApp('older');
    await harness.controller.close();
    const db = new Database(join(harness.dataDir, 'controller.db'));
    db.exec(`DROP TABLE access_tokens; DROP TABLE roles; DROP TABLE users;
      DROP TABLE packages; ALTER TABLE apps DROP COLUMN package_guid; ALTER TABLE apps ADD COLUMN path TEXT; PRAGMA user_version = 1;`);
    db.close();
    await harness.restart();
    harness.token = await harness.login(ADMIN.username, ADMIN.password);
    expect((await harness.get(`/v3/apps/${appGuid}`)).body).toMatchObject({ name: 'older' });
  });
});
