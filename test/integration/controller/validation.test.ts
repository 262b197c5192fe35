import request from 'supertest';
import { DatabaseBroker, databaseCatalog } from './support/brokers';
import { Harness, errorDetail } from './support/harness';
import { BROKER_CREDENTIALS, startTestBroker, type TestBroker } from './support/test-broker';

jest.setTimeout(30_000);

type Body = Record<string, unknown>;

/** Every request body is checked at the edge: a 4xx naming the problem, and nothing changed. */
describe('request validation', () => {
  let harness: Harness;
  let broker: TestBroker;
  let planGuid: string;
  let instanceGuid: string;
  let appGuid: string;

  beforeAll(async () => {
    broker = await startTestBroker({ catalog: databaseCatalog(), broker: new DatabaseBroker() });
    harness = await Harness.start();
    await harness.registerBroker('db', broker.url);
    await harness.enableAccess('testdb');
    planGuid = await harness.planGuid('testdb', 'small');
    instanceGuid = (await harness.createInstance('db1', planGuid)).guid;
    appGuid = await harness.createApp('web', { env: { KEEP: 'me' } });
  });

  afterAll(async () => {
    await harness.close();
    await broker.stop();
  });

  /** Everything a bad request could have changed, to compare before and after. */
  async function snapshot(): Promise<string> {
    const parts = await Promise.all(
      ['/v3/service_brokers', '/v3/service_plans', '/v3/service_instances', '/v3/service_credential_bindings', '/v3/apps', `/v3/apps/${appGuid}/env`]
        .map(async (path) => JSON.stringify((await harness.get(path)).body).replace(/http:\/\/127\.0\.0\.1:\d+/g, '')),
    );
    return `${parts.join('\n')}\n${broker.requests.length}`;
  }

  async function expectRefused(send: () => Promise<request.Response>, status: number, mentions: string[]): Promise<void> {
    const before = await snapshot();
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(Array.isArray(res.body.errors)).toBe(true);
    const detail = errorDetail(res);
    for (const mention of mentions) expect(detail).toContain(mention);
    expect(JSON.stringify(res.body)).not.toMatch(/at [\w.<>]+ \(|\.ts:\d+/);
    expect(await snapshot()).toBe(before);
  }

  test('service broker bodies', async () => {
    await expectRefused(() => harness.post('/v3/service_brokers', {}), 422, ["'name'", "'url'", "'authentication'"]);
    await expectRefused(() => harness.post('/v3/service_brokers', {
      name: 'x', url: 'ftp://example', authentication: { type: 'token', credentials: { username: 'u', password: '' } }, colour: 'red',
    }), 422, ["'colour'", "'url' must be a valid http or https URL", "'authentication.type' must be 'basic'", "'authentication.credentials.password'"]);
    await expectRefused(() => harness.post('/v3/service_brokers', {
      name: 'x', url: 'http://user:pw@example.com', authentication: { type: 'basic', credentials: BROKER_CREDENTIALS },
    }), 422, ["'url' must not contain credentials"]);
    const brokerGuid = String(((await harness.get('/v3/service_brokers')).body.resources as Body[])[0]!.guid);
    await expectRefused(() => harness.patch(`/v3/service_brokers/${brokerGuid}`, { name: 42 }), 422, ["'name'"]);
  });

  test('a refused password is never echoed', async () => {
    const res = await harness.post('/v3/service_brokers', { name: 'x', url: 'nope', authentication: { type: 'basic', credentials: { username: 'u', password: 'hunter2-secret' } } });
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body)).not.toContain('hunter2-secret');
  });

  test('bodies that are not JSON objects', async () => {
    await expectRefused(() => request(harness.controller.app).post('/v3/service_brokers').set('Authorization', harness.authorization()).set('content-type', 'application/json').send('{"name": '), 400, ['not valid JSON']);
    await expectRefused(() => harness.post('/v3/service_instances', [1, 2]), 400, ['must be a JSON object']);
    await expectRefused(() => request(harness.controller.app).post('/v3/apps').set('Authorization', harness.authorization()).set('content-type', 'text/plain').send('name=web'), 400, ['Content-Type: application/json']);
    await expectRefused(() => request(harness.controller.app).post('/v3/apps').set('Authorization', harness.authorization()).set('content-type', 'application/json').send(JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) })), 413, ['too large']);
  });

  test('service instance bodies', async () => {
    await expectRefused(() => harness.post('/v3/service_instances', { name: 42, parameters: [1], tags: 'a', relationships: { service_plan: { data: {} } } }), 422, [
      "'type' must be 'managed'", "'name'", "'parameters' must be an object", "'tags' must be an array", "'relationships.space.data.guid' is required", "'relationships.service_plan.data.guid'",
    ]);
    await expectRefused(() => harness.post('/v3/service_instances', {
      type: 'managed', name: 'x', relationships: { space: { data: { guid: 'nope' } }, service_plan: { data: { guid: planGuid } } },
    }), 422, ['Invalid space']);
    await expectRefused(async () => harness.post('/v3/service_instances', {
      type: 'managed', name: 'x', relationships: { space: { data: { guid: await harness.spaceGuid() } }, service_plan: { data: { guid: 'nope' } } },
    }), 422, ['Invalid service plan']);
    await expectRefused(() => harness.patch(`/v3/service_instances/${instanceGuid}`, { name: '', parameters: 'x', maintenance_info: {} }), 422, [
      "'name'", "'parameters' must be an object", "'maintenance_info.version'",
    ]);
    await expectRefused(() => harness.patch(`/v3/service_instances/${instanceGuid}`, { relationships: { space: { data: { guid: 'x' } } } }), 422, ["'relationships.space'"]);
  });

  test('binding bodies', async () => {
    await expectRefused(() => harness.post('/v3/service_credential_bindings', { type: 'route', parameters: 7 }), 422, [
      "'type' must be 'app' (a binding to an app) or 'key' (a service key)", "'relationships' is required", "'parameters' must be an object",
    ]);
    await expectRefused(() => harness.post('/v3/service_credential_bindings', { type: 'key', parameters: 7 }), 422, [
      "'name' is required", "'relationships' is required", "'parameters' must be an object",
    ]);
    await expectRefused(() => harness.post('/v3/service_credential_bindings', {
      type: 'app', relationships: { service_instance: { data: { guid: instanceGuid } }, app: { data: { guid: 'nope' } } },
    }), 422, ['The app could not be found: nope']);
    await expectRefused(() => harness.post('/v3/service_credential_bindings', {
      type: 'app', relationships: { service_instance: { data: { guid: 'nope' } }, app: { data: { guid: appGuid } } },
    }), 422, ['The service instance could not be found: nope']);
  });

  test('app bodies', async () => {
    await expectRefused(() => harness.post('/v3/apps', { name: 'x', instances: 0, env: { 'BAD-NAME': 'v', VCAP_SERVICES: '{}', N: 1 }, path: 'relative/dir' }), 422, [
      "'command'", "'instances' must be an integer from 1 to 256", "'env.BAD-NAME' is not a valid environment variable name",
      'cannot start with VCAP_', "'env.N' must be a string", "'path' is not accepted: an app runs only uploaded bits",
    ]);
    await expectRefused(() => harness.post('/v3/apps', { name: 'web', command: 'run' }), 422, ["App with the name 'web' already exists."]);
    await expectRefused(() => harness.patch(`/v3/apps/${appGuid}/environment_variables`, { var: { KEEP: 5 } }), 422, ["'var.KEEP' must be a string"]);
    await expectRefused(() => harness.patch(`/v3/apps/${appGuid}/environment_variables`, {}), 422, ["'var' is required"]);
  });

  test('plan visibility bodies', async () => {
    await expectRefused(() => harness.post(`/v3/service_plans/${planGuid}/visibility`, { type: 'everyone' }), 422, ["'type' must be 'public' or 'admin'"]);
  });

  test('an Authorization header that is not a bearer token is a 401, and nothing is created', async () => {
    for (const header of ['Basic YWxpY2U6cHc=', 'Bearer', `Bearer ${'x'.repeat(300)}`]) {
      const res = await request(harness.controller.app).post('/v3/apps').set('Authorization', header).send({ name: 'other', command: 'run' });
      expect(res.status).toBe(401);
      expect(res.body.errors[0].title).toBe('CF-InvalidAuthToken');
    }
    expect((await harness.get('/v3/apps?names=other')).body.resources).toEqual([]);
  });

  test('unknown routes and guids are CC-style 404s', async () => {
    const route = await harness.get('/v3/nothing-here');
    expect(route.status).toBe(404);
    expect(route.body).toEqual({ errors: [{ code: 10000, title: 'CF-NotFound', detail: 'Unknown request' }] });
    const guid = await harness.get('/v3/service_instances/4d1c0b84-0000-4000-8000-000000000000');
    expect(guid.status).toBe(404);
    expect(guid.body).toEqual({ errors: [{ code: 10010, title: 'CF-ResourceNotFound', detail: 'Service instance not found' }] });
    expect((await harness.get('/v3/jobs/nope')).body.errors[0].detail).toBe('Job not found');
  });

  test('a path parameter with a malformed percent-encoding is a 400 naming it, not a 500', async () => {
    for (const path of ['/v3/apps/%ZZ', '/v3/service_instances/%E0%A4%A', '/v3/jobs/%', '/v3/service_credential_bindings/%ff/details']) {
      const answer = await harness.get(path);
      expect(answer.status).toBe(400);
      expect(answer.body.errors[0]).toMatchObject({ title: 'CF-InvalidRequest', detail: expect.stringContaining('malformed percent-encoding') });
    }
  });

  test('list endpoints refuse unknown query parameters and bad paging', async () => {
    expect((await harness.get('/v3/apps?sort=name')).status).toBe(400);
    expect((await harness.get('/v3/apps?per_page=0')).status).toBe(400);
    const paged = await harness.get('/v3/service_plans?per_page=2&page=2');
    expect(paged.status).toBe(200);
    expect(paged.body.pagination).toMatchObject({ total_results: 6, total_pages: 3 });
    expect((paged.body.resources as Body[]).map((p) => p.name)).toEqual(['fixed', 'async']);
  });
});
